"""Slack's markup in command text → what the person typed (pure).

Slack sends slash command text with `&`, `<` and `>` as `&amp;`, `&lt;` and `&gt;`, so a raw `<` only ever
opens markup. With the command's "Escape channels, users, and links" setting on, it also rewrites what the
person typed (https://api.slack.com/reference/surfaces/formatting#retrieving-messages):

| typed                 | sent                                        | read here as            |
|-----------------------|---------------------------------------------|-------------------------|
| `troll.tv`            | `<http://troll.tv|troll.tv>`                | `troll.tv` (the label)  |
| `https://x.tv/a`      | `<https://x.tv/a>`                          | `https://x.tv/a`        |
| `troll@example.com`   | `<mailto:troll@example.com|troll@example.com>` | `troll@example.com`  |
| `@dana`               | `<@U0123>` or `<@U0123|dana>`               | a mention: `@dana`      |
| `#general`            | `<#C0123>` or `<#C0123|general>`            | a mention: `#general`   |
| `@mods`               | `<!subteam^S0123>` or `<!subteam^S0123|@mods>` | a mention: `@mods`   |
| `@here`               | `<!here>` (also `<!channel>`, `<!everyone>`) | a mention: `@here`     |
| (a date)              | `<!date^1392734382^{date}|Feb 18, 2014>`    | `Feb 18, 2014`          |

Entities are decoded exactly once, after the markup is read, so a typed `&lt;` stays the text `&lt;`.
A mention stands for a Slack member, channel or group, which has no IVS Chat identity: where an ID is
expected it is refused (see `kick.command`); in free text it becomes the words it showed (`plain_text`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MARKUP = re.compile(r"<([^<>]*)>")
_ENTITIES = re.compile(r"&(amp|lt|gt);")
_DECODED = {"amp": "&", "lt": "<", "gt": ">"}
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Mention:
    """A Slack mention found where text was expected: what it names (`kind`, `id`) and the words it showed."""

    kind: str  # "member", "channel", "user group" or "special mention"
    id: str
    shown: str

    def describe(self) -> str:
        if self.kind == "special mention":
            return f"the Slack mention \u201c{self.shown}\u201d"
        return f"a mention of the Slack {self.kind} \u201c{self.shown}\u201d ({self.id})"


def decode_entities(text: str) -> str:
    """`&amp;`, `&lt;`, `&gt;` → `&`, `<`, `>`, in one pass, so `&amp;lt;` becomes `&lt;` and nothing more."""
    return _ENTITIES.sub(lambda m: _DECODED[m.group(1)], text)


def _mention(target: str, label: str) -> Mention | None:
    """The mention a markup target stands for, or None for a link or a date."""
    if target.startswith("@"):
        return Mention("member", target[1:], f"@{label or target[1:]}")
    if target.startswith("#"):
        return Mention("channel", target[1:], f"#{label or target[1:]}")
    if target.startswith("!subteam^"):
        group = target[len("!subteam^") :]
        return Mention("user group", group, label if label.startswith("@") else f"@{label or group}")
    if target.startswith("!") and not target.startswith("!date^"):
        name = target[1:].split("^", 1)[0]  # here, channel, everyone, or one Slack adds later
        shown = label or name
        return Mention("special mention", name, shown if shown.startswith("@") else f"@{shown}")
    return None


def _link_text(target: str, label: str) -> str:
    """A link as typed: its label (what Slack linked), else the address (a mailto's without `mailto:`)."""
    if label:
        return label
    if target.startswith("!date^"):  # a date always carries its fallback text; without one, its timestamp
        return target.split("^")[1]
    return target.removeprefix("mailto:")


def _read(inner: str) -> tuple[str, Mention | None]:
    target, _, label = inner.partition("|")
    target, label = decode_entities(target), decode_entities(label)
    mention = _mention(target, label)
    return (mention.shown, mention) if mention else (_link_text(target, label), None)


def plain_text(raw: str) -> str:
    """Command text as the person saw it: links as their label or address, mentions as `@name`/`#name`,
    dates as their fallback text, entities decoded once. Nothing of the markup (`<`, `|`, `>`) is left."""
    pieces, start = [], 0
    for match in _MARKUP.finditer(raw):
        pieces += [decode_entities(raw[start : match.start()]), _read(match.group(1))[0]]
        start = match.end()
    pieces.append(decode_entities(raw[start:]))
    return "".join(pieces)


def mentions(raw: str) -> list[Mention]:
    """Every Slack mention in a piece of command text, in order."""
    found = (_read(match.group(1))[1] for match in _MARKUP.finditer(raw))
    return [mention for mention in found if mention]


def clean(text: str) -> str:
    """`text` with each lone surrogate (half of a character cut in two; not Unicode text, so it cannot be
    stored or sent as UTF-8) replaced by U+FFFD, the replacement character."""
    return _LONE_SURROGATE.sub("\N{REPLACEMENT CHARACTER}", text)


def first_lone_surrogate(text: str) -> int | None:
    """Where (0-based) the first lone surrogate in `text` is, or None when it is all Unicode text."""
    found = _LONE_SURROGATE.search(text)
    return found.start() if found else None
