"""What every reporter is told besides the report itself."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import msgspec


@dataclass(frozen=True)
class RenderOptions:
    # Colour and styles: only when writing to a terminal, and never under NO_COLOR.
    color: bool = False
    # The project root's path inside the git repository ("" at the top), so that SARIF
    # and annotations name files the way GitHub does.
    repo_prefix: str = ""

    def repo_path(self, path: str) -> str:
        return f"{self.repo_prefix}{path}" if self.repo_prefix else path


class Items:
    """A long list in a document, made and written a few thousand items at a time by
    `json_pieces`, so that it is never all in memory at once: the findings of a run
    may number a quarter of a million. Its items are written by msgspec, in C: Structs,
    and dictionaries of text and integers (msgspec writes some floats otherwise than the
    standard library does: 0.00001 for 1e-05)."""

    __slots__ = ("items",)

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = items


_INDENT = "  "
ITEMS_PER_PIECE = 4096


def indented_json(value: Any) -> str:
    """`json.dumps(value, indent=2, ensure_ascii=False)`, byte for byte (`json_pieces`)."""
    return "".join(json_pieces(value))


def json_pieces(value: Any, level: int = 0) -> Iterator[str]:
    """`json.dumps(value, indent=2, ensure_ascii=False)` in pieces, byte for byte, three
    to five times as fast on a large report: the standard library writes indented JSON
    in Python but compact JSON in C, which msgspec then indents (copying numbers and
    strings as they are written). The `Items` in `value` are written a piece at a time."""
    if isinstance(value, Items):
        yield from _items_pieces(value, level)
    elif isinstance(value, dict | list) and value and _holds_items(value):
        members = value.items() if isinstance(value, dict) else enumerate(value)
        inner = "\n" + _INDENT * (level + 1)
        opening, closing = "{}" if isinstance(value, dict) else "[]"
        yield opening
        for number, (key, item) in enumerate(members):
            separator = "," + inner if number else inner
            if isinstance(value, dict):
                separator += json.dumps(key, ensure_ascii=False) + ": "
            yield separator
            yield from json_pieces(item, level + 1)
        yield "\n" + _INDENT * level + closing
    else:
        yield _shifted(_indented(value), level)


def _holds_items(value: Any) -> bool:
    if isinstance(value, Items):
        return True
    if isinstance(value, dict):
        return any(_holds_items(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_items(item) for item in value)
    return False


def _items_pieces(items: Items, level: int) -> Iterator[str]:
    remaining = iter(items.items)
    opening = "["
    while chunk := list(itertools.islice(remaining, ITEMS_PER_PIECE)):
        text = _indented_items(chunk)
        # `[\n  item,\n  item\n]`: the items, one level further in, without the brackets.
        yield opening + _shifted(text[1:-2], level)
        opening = ","
    yield "[]" if opening == "[" else "\n" + _INDENT * level + "]"


def _indented(value: Any) -> str:
    compact = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    try:
        return msgspec.json.format(compact, indent=2)
    except UnicodeEncodeError:  # a lone surrogate (a YAML "\udfff"): not for msgspec
        return json.dumps(value, indent=2, ensure_ascii=False)


def _indented_items(chunk: list[Any]) -> str:
    try:
        return msgspec.json.format(msgspec.json.encode(chunk).decode("utf-8"), indent=2)
    except UnicodeEncodeError:  # (as above)
        return json.dumps(msgspec.to_builtins(chunk), indent=2, ensure_ascii=False)


def _shifted(text: str, level: int) -> str:
    """An indented value, moved `level` steps in (JSON text holds no raw line break)."""
    return text.replace("\n", "\n" + _INDENT * level) if level else text


# Control characters that came in with the project's files (an ESC that retitles the
# terminal or clears it, a carriage return that hides a line) are shown, never sent; so
# are the characters that reorder what a reader sees (bidirectional overrides and
# isolates: "Trojan Source", CVE-2021-42574) and the Unicode line and paragraph
# separators, which some viewers break lines at.
_REORDERING = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
_ESCAPED_CONTROLS = {
    **{code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0))},
    **{code: f"\\u{code:04x}" for code in (*_REORDERING, 0x2028, 0x2029)},
}


# GitHub takes at most this many characters in a pull-request comment.
GITHUB_COMMENT_LIMIT = 65_536


def github_length(text: str) -> int:
    """Characters as GitHub counts them against GITHUB_COMMENT_LIMIT (UTF-16 code units,
    as a browser does: a character beyond U+FFFF counts twice, which never undercounts)."""
    return len(text.encode("utf-16-le")) // 2


def shown(text: str) -> str:
    """`text` as it may be printed anywhere: its control characters, and those that
    reorder text, escaped (`\\x1b`, `\\u202e`)."""
    return text.translate(_ESCAPED_CONTROLS)


def pct_text(value: float | int | None) -> str:
    """A change in percent as the reports write it: "+2.3%", or "n/a" without one."""
    return "n/a" if value is None else f"{value:+.1f}%"


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


# A run of backticks: it opens a code span, which the next run of the same length closes.
_BACKTICKS = re.compile(r"`+")
# `@` before a letter or digit, and `#` before a digit: GitHub makes them a mention of
# that user or team (and notifies them), or a reference to that issue (and marks it on
# the issue), except inside code. `GH-12` is an issue reference too, and a bare
# `https://…` or `www.…` becomes a link.
_MENTION = re.compile(
    r"@(?=[A-Za-z0-9])|#(?=[0-9])|(?i:\bGH)(?=-[0-9])|(?i:\b(?:https?|ftp))(?=://)|(?i:\bwww)(?=\.)"
)
_WORD_JOINER = "\u2060"  # invisible, and neither matches across it
_PLAIN_ESCAPES = str.maketrans(
    {
        "\\": "\\\\",
        "|": "\\|",
        "[": "\\[",  # no link or image: `[text](url)` stays text
        "]": "\\]",
        "&": "&amp;",  # an entity written in the text shows as written
        "<": "&lt;",  # no HTML, no autolink
        ">": "&gt;",
    }
)


def escape_markdown(text: str, *, table_cell: bool = True) -> str:
    """Text made safe for one line of GitHub markdown (a table cell, unless `table_cell`
    is False): text from fixtures, policies and prompts (a pull request's) reaches a
    comment on it.

    cprlint's messages quote values in `code`, so code spans are kept: in a table cell
    a pipe in one is escaped (GitHub splits cells before it reads code); anything else in
    code shows as written, so an entity or a backslash escape would show literally. Outside
    them, what markdown would read as a link, HTML, an entity or a table's pipe is
    escaped, and a mention or an issue reference is broken with an invisible word joiner,
    so that a fixture cannot ping people or mark issues, and a bare URL or `GH-12` is
    broken the same way, so that it is not made a link. Line breaks become spaces, and
    other control characters are shown escaped (`shown`): the markdown is also printed to
    terminals and written to the job summary, where an ESC would be obeyed.
    """
    text = shown(text.replace("\r", " ").replace("\n", " "))
    pieces = []
    for is_code, piece in _code_spans(text):
        if is_code:
            pieces.append(piece.replace("|", "\\|") if table_cell else piece)
        else:
            escaped = piece.translate(_PLAIN_ESCAPES)
            pieces.append(_MENTION.sub(lambda sign: sign.group() + _WORD_JOINER, escaped))
    return "".join(pieces)


def _code_spans(text: str) -> list[tuple[bool, str]]:
    """`text` cut into (is code, piece), as CommonMark reads code spans: a run of n
    backticks opens one, the next run of exactly n closes it, and a run that nothing
    closes is plain text."""
    runs = list(_BACKTICKS.finditer(text))
    # For each run, the index of the next run of the same length (found back to front).
    next_alike: list[int | None] = [None] * len(runs)
    last_of_length: dict[int, int] = {}
    for index in range(len(runs) - 1, -1, -1):
        length = len(runs[index].group())
        next_alike[index] = last_of_length.get(length)
        last_of_length[length] = index
    pieces: list[tuple[bool, str]] = []
    plain_from = 0
    index = 0
    while index < len(runs):
        closing = next_alike[index]
        if closing is None:
            index += 1  # never closed: these backticks are text
            continue
        opening = runs[index]
        if opening.start() > plain_from:
            pieces.append((False, text[plain_from : opening.start()]))
        plain_from = runs[closing].end()
        pieces.append((True, text[opening.start() : plain_from]))
        index = closing + 1
    if plain_from < len(text):
        pieces.append((False, text[plain_from:]))
    return pieces
