"""The Ban select of every kick confirmation, and the words of a modal that follow it (Kick / Ban / Time out).

The select dispatches its choice to the bot (`dispatch_action`), which relabels the open modal, so the title and
the submit button always say what pressing it will do.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from .kick.bans import (
    BAN_CHOICES,
    MIN_TIMEOUT,
    InvalidDuration,
    Term,
    choice_for_term,
    describe_length,
    parse_duration,
    term_for_choice,
)
from .kick.request import InvalidField
from .slack_limits import OPTION_TEXT, VIEW_TITLE, clip

BAN_BLOCK, BAN_ACTION = "ban", "ivs_kick_ban"
KICK_ONLY = "kick"
CHOICE_LABELS = {
    "kick": "No, kick only",
    "10m": "10 minutes",
    "1h": "1 hour",
    "24h": "24 hours",
    "7d": "7 days",
    "permanent": "Permanently",
}


def verb(term: Term | None) -> str:
    """What confirming does: `Kick`, `Ban` (permanently) or `Time out`."""
    return "Kick" if term is None else "Ban" if term.permanent else "Time out"


def modal_title(term: Term | None) -> str:
    return {"Kick": "Kick from IVS Chat", "Ban": "Ban from IVS Chat"}.get(verb(term), "Time out in IVS Chat")


def submit_label(term: Term | None, count: int = 1) -> str:
    """The submit button: `Kick`, `Ban 10`, `Time out 500` (within Slack's 24 characters)."""
    return clip(verb(term) if count <= 1 else f"{verb(term)} {count}", VIEW_TITLE)


def _option(value: str, label: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": clip(label, OPTION_TEXT)}, "value": value}


def _choice(term: Term | None) -> tuple[str, str]:
    """The option (value, label) that stands for `term`: a listed one, or for a timeout of another length typed in
    the command (`90m`) its own, valued in whole seconds (`5400s`), which parse_duration reads back."""
    try:
        value = choice_for_term(term)
    except ValueError:
        assert term is not None and term.length is not None
        return f"{int(term.length.total_seconds())}s", describe_length(term.length)
    return value, CHOICE_LABELS[value]


def _offered(term: Term | None, every_room: bool, shortest: timedelta) -> bool:
    """Whether the select lists this choice: not *No, kick only* for a ban on every room (a kick cannot be), and
    no timeout shorter than `shortest` (IVS_KICK_SHORTEST_TIMEOUT)."""
    if term is None:
        return not every_room
    return term.length is None or term.length >= shortest


def ban_select(term: Term | None, *, every_room: bool = False, shortest: timedelta = MIN_TIMEOUT) -> dict[str, Any]:
    """The Ban input: the choices offered (see _offered), `term`'s own option first among the timeouts when it is
    not listed, `term` chosen."""
    listed = [value for value, known in BAN_CHOICES if _offered(known, every_room, shortest)]
    options = [_option(value, CHOICE_LABELS[value]) for value in listed]
    chosen = _option(*_choice(term))
    if chosen not in options:
        options.insert(1 if not every_room else 0, chosen)
    return {
        "type": "input",
        "block_id": BAN_BLOCK,
        "dispatch_action": True,  # a change relabels the modal's submit button
        "label": {"type": "plain_text", "text": "Ban"},
        "hint": {
            "type": "plain_text",
            "text": "A ban or timeout also keeps the viewer out until it ends: the room's message review handler "
            "and your app's chat-token service check the bans ivs-kick keeps.",
        },
        "element": {"type": "static_select", "action_id": BAN_ACTION, "options": options, "initial_option": chosen},
    }


def chosen_value(view: dict[str, Any]) -> str | None:
    """The Ban select's option value as submitted (or dispatched); None when the view has none."""
    selected = view.get("state", {}).get("values", {}).get(BAN_BLOCK, {}).get(BAN_ACTION, {}).get("selected_option")
    value = (selected or {}).get("value")
    return value if isinstance(value, str) else None


def term_of(value: str | None, shortest: timedelta) -> Term | None:
    """An option value → its Term (None: kick only, also when the view has no Ban select); InvalidField("ban")
    for a value the select never offers, or a timeout shorter than `shortest` (IVS_KICK_SHORTEST_TIMEOUT)."""
    if value is None or value == KICK_ONLY:
        return None
    try:
        term = term_for_choice(value)
    except ValueError:  # not a listed choice: a typed timeout's own option (`5400s`), or a value never offered
        try:
            return Term(parse_duration(value, shortest))
        except InvalidDuration as error:
            problem = str(error)
    else:
        if term is None or term.length is None or term.length >= shortest:
            return term
        problem = f"Duration must be from {describe_length(shortest)} to 90 days; got {describe_length(term.length)}."
    raise InvalidField(BAN_BLOCK, f"Ban must be one of the choices listed; {problem}")


# A view as views.update takes it: what views.open returned, less what Slack adds (id, hash, state, …).
_VIEW_KEYS = ("type", "callback_id", "title", "submit", "close", "private_metadata", "blocks", "clear_on_close",
              "notify_on_close", "external_id")  # fmt: skip


def _kept_input(block: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """An input block with what the moderator has entered so far as its initial value."""
    entered = values.get(block.get("block_id"), {}).get((block.get("element") or {}).get("action_id"), {})
    element = dict(block.get("element") or {})
    if entered.get("selected_option"):
        element["initial_option"] = entered["selected_option"]
    elif isinstance(entered.get("value"), str):
        element["initial_value"] = entered["value"]
    elif "value" in entered:  # cleared by the moderator
        element.pop("initial_value", None)
    return {**block, "element": element}


def relabeled(view: dict[str, Any], term: Term | None, count: int) -> dict[str, Any]:
    """The open modal `view` (as Slack sends it with an action) with its title and submit button saying what
    confirming will now do, and every input as the moderator left it."""
    values = view.get("state", {}).get("values", {})
    blocks = [_kept_input(b, values) if b.get("type") == "input" else b for b in view.get("blocks") or []]
    updated = {key: view[key] for key in _VIEW_KEYS if key in view} | {"blocks": blocks}
    updated["title"] = {"type": "plain_text", "text": modal_title(term)}
    updated["submit"] = {"type": "plain_text", "text": submit_label(term, count)}
    return updated
