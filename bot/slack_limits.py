"""Slack's documented size limits on what the bot sends, and the two ways it keeps text within them.

Sources: Block Kit reference (docs.slack.dev/reference/block-kit: text object, section, context, input, button,
option and view objects), chat.postMessage (`text`, `msg_too_long`) and views.open (`private_metadata`). Slack
refuses a whole message or view over any of them (`invalid_blocks`, `invalid_arguments`, `msg_too_long`), so
each surface shortens its own lists and free text first; the full list stays in the case record.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

SECTION_TEXT = 3000  # a section's text; any text object's text
SECTION_FIELD = 2000  # each of a section's (at most 10) fields
CONTEXT_TEXT = 3000  # a context element's text (a text object)
CONTEXT_ELEMENTS = 10
HEADER_TEXT = 150
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
OPTION_TEXT = 75  # an option's text and description
OPTION_VALUE = 150
OPTIONS = 100  # options (or option groups) in one menu or block_suggestion answer
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
VIEW_TITLE = 24  # a view's title, submit and close
PRIVATE_METADATA = 3000
INPUT_LABEL = 2000
INPUT_HINT = 2000
PLACEHOLDER = 150
INPUT_VALUE = 3000  # a plain_text_input's max_length: what a person can type into one box
MESSAGE_TEXT_MAX = 40_000  # chat.postMessage's `text`: `msg_too_long` beyond
# Slack advises keeping a message's `text` to 4,000 characters; every message the bot builds stays within.
MESSAGE_TEXT = 4000

ELLIPSIS = "…"
# An entity Slack decodes in mrkdwn (escape_mrkdwn makes them), or a <…> link, mention or date token: never cut.
_UNCUTTABLE = re.compile(r"&(?:amp|lt|gt);|<[^<>]*>")


def clip(text: str, limit: int) -> str:
    """Plain text of at most `limit` characters: cut, with "…" as its last character, when longer."""
    return text if len(text) <= limit else text[: limit - len(ELLIPSIS)] + ELLIPSIS


def clip_mrkdwn(text: str, limit: int) -> str:
    """Escaped mrkdwn of at most `limit` characters, cut (with "…") only between entities and <…> tokens, so a
    cut never leaves half an `&amp;` or an open link for Slack to misread."""
    if len(text) <= limit:
        return text
    end = limit - len(ELLIPSIS)
    for token in _UNCUTTABLE.finditer(text, max(0, end - 200)):  # tokens are short; look just behind the cut
        if token.start() < end < token.end():
            end = token.start()
            break
    return text[:end] + ELLIPSIS


def listing(items: Sequence[str], limit: int, show: Callable[[str], str], separator: str = ", ") -> str:
    """`items`, each rendered by `show`, joined while they fit in `limit` characters; the rest are counted in
    " … and N more". Empty when there are no items. The first item is always shown (clipped if need be)."""
    if not items:
        return ""
    tail = f" {ELLIPSIS} and {len(items)} more"  # as long as any count the tail can name
    shown: list[str] = []
    used = 0
    for index, item in enumerate(items):
        rendered = show(item)
        room = limit - (0 if index == len(items) - 1 else len(tail))
        if used + len(separator) * bool(shown) + len(rendered) > room:
            break
        shown.append(rendered)
        used += len(separator) * (len(shown) > 1) + len(rendered)
    if not shown:
        shown.append(clip_mrkdwn(show(items[0]), limit - len(tail)))
    hidden = len(items) - len(shown)
    return separator.join(shown) + (f" {ELLIPSIS} and {hidden} more" if hidden else "")
