"""What every reporter is told besides the report itself."""

from __future__ import annotations

import json
import re
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


def indented_json(value: Any) -> str:
    """`json.dumps(value, indent=2, ensure_ascii=False)`, byte for byte, three to five
    times as fast on a large report: the standard library writes indented JSON in
    Python but compact JSON in C, which msgspec then indents (copying numbers and
    strings as they are written)."""
    compact = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    try:
        return msgspec.json.format(compact, indent=2)
    except UnicodeEncodeError:  # a lone surrogate (a YAML "\udfff"): not for msgspec
        return json.dumps(value, indent=2, ensure_ascii=False)


# Control characters that came in with the project's files (an ESC that retitles the
# terminal or clears it, a carriage return that hides a line) are shown, never sent.
_ESCAPED_CONTROLS = {code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0))}


def shown(text: str) -> str:
    """`text` as it may be printed to a terminal: its control characters escaped."""
    return text.translate(_ESCAPED_CONTROLS)


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


# A run of backticks: it opens a code span, which the next run of the same length closes.
_BACKTICKS = re.compile(r"`+")
# `@` before a letter or digit, and `#` before a digit: GitHub makes them a mention of
# that user or team (and notifies them), or a reference to that issue (and marks it on
# the issue), except inside code.
_MENTION = re.compile(r"@(?=[A-Za-z0-9])|#(?=[0-9])")
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
    so that a fixture cannot ping people or mark issues. Line breaks become spaces.
    """
    text = text.replace("\r", " ").replace("\n", " ")
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
