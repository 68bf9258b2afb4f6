"""Reading export files: JSON Lines streamed line by line, or one JSON document.

Exports come as JSON Lines (the OpenTelemetry collector's file exporter writes one
`ExportTraceServiceRequest` a line; proxies log one request a line) or as one JSON
document (an API page, a JSON array, pretty-printed), or as pretty-printed documents one
after another (the OpenTelemetry Python SDK's console exporter writes a span so). A file
whose first line is a JSON value is JSON Lines and is streamed line by line, so a file of
any size is read in bounded memory: one line at a time, each within the cap (a longer
line is a CPR003 finding and is skipped without being read into memory). Any other file
is read whole when it is within the JSON size cap (4 MiB), else line by line too.

Every value keeps its position: `JsonItem.locate` gives the line and column of any key
path inside the item, computed only when a finding needs it. A record's own place is its
line; in a multi-line document, where every record is on "line 1" of the item, the first
record of each unit (trace, session) is placed exactly (`FirstPlaces`), so that a
finding about a conversation points into it.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO

from cprlint.documents import (
    MAX_JSON_LINE_BYTES,
    SYNTAX,
    TOO_LARGE,
    Document,
    iter_json_lines,
    parse_json_line,
)
from cprlint.findings import Location, Problem


@dataclass
class JsonItem:
    """One JSON value of an export file: a line of JSON Lines, or the whole document."""

    path: str
    document: Document
    # The text of a multi-line document: positions in it are offsets to turn into lines.
    multiline_text: str | None = None
    # The column its text starts at on its first line (a document after another).
    first_column: int = 1
    # Where each line of `multiline_text` starts, made when a position is first needed.
    _line_starts: list[int] = field(default_factory=list, repr=False)

    @property
    def data(self) -> object:
        return self.document.data

    @property
    def line(self) -> int:
        return self.document.start_line

    def locate(self, *key_path: str | int) -> Location:
        location = self.document.locate(*key_path)
        text = self.multiline_text
        if text is None:
            return location
        if not self._line_starts:
            self._line_starts = _line_starts(text)
        offset = (location.column or 1) - 1
        line = bisect.bisect_right(self._line_starts, offset)
        column = offset - self._line_starts[line - 1] + 1
        if line == 1:
            column += self.first_column - 1
        return Location(self.path, self.line + line - 1, column)


def _line_starts(text: str) -> list[int]:
    starts = [0]
    found = text.find("\n")
    while found != -1:
        starts.append(found + 1)
        found = text.find("\n", found + 1)
    return starts


# Units per file whose first record is placed exactly: each costs a walk to its value.
MAX_PLACED_UNITS = 256


class FirstPlaces:
    """Where the records of one file are: their line; in a multi-line document, the
    exact place of the first record of each unit (of the first `MAX_PLACED_UNITS`)."""

    def __init__(self) -> None:
        self._placed: set[str] = set()

    def location(self, item: JsonItem, unit: str, locate: Callable[[], Location]) -> Location:
        rough = Location(item.path, item.line)
        if item.multiline_text is None or unit in self._placed:
            return rough
        if len(self._placed) >= MAX_PLACED_UNITS:
            return rough
        self._placed.add(unit)
        return locate()


def _bounded_lines(stream: IO[bytes], path: str, pending: list[Problem]) -> Iterator[bytes]:
    """The stream's lines; a line over the cap is skipped unread (a blank line in its place)."""
    number = 0
    while True:
        line = stream.readline(MAX_JSON_LINE_BYTES + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_JSON_LINE_BYTES and not line.endswith(b"\n"):
            size = len(line)
            while True:
                chunk = stream.readline(1 << 20)
                size += len(chunk)
                if not chunk or chunk.endswith(b"\n"):
                    break
            pending.append(
                Problem(
                    f"line is {size:,} bytes, over the {MAX_JSON_LINE_BYTES:,}-byte limit; "
                    "export smaller batches",
                    Location(path, number, 1),
                    code=TOO_LARGE,
                )
            )
            line = b"\n"
        yield line


def iter_json_items(path: str, stream: IO[bytes]) -> Iterator[JsonItem | Problem]:
    """The JSON values of one export file, or the problems that stand in their place.

    A file whose first line is a JSON value is JSON Lines, streamed; otherwise, within the
    cap, it is tried as one (pretty-printed) document.
    """
    if not _starts_with_a_json_line(stream):
        head = stream.read(MAX_JSON_LINE_BYTES + 1)
        if len(head) <= MAX_JSON_LINE_BYTES:
            whole = _whole_document(path, head)
            if whole is not None:
                yield from whole
                return
        elif _lone_bracket(head):
            yield Problem(
                f"a JSON document over the {MAX_JSON_LINE_BYTES:,}-byte limit cannot be read "
                "whole; export JSON Lines (one record a line), which is read at any size",
                Location(path, 1, 1),
                code=TOO_LARGE,
            )
            return
        stream.seek(0)
    pending: list[Problem] = []
    yield from _items(iter_json_lines(path, _bounded_lines(stream, path, pending)), pending)


def _lone_bracket(head: bytes) -> bool:
    """Whether the first non-blank line is a lone `{` or `[`: a pretty-printed document."""
    for line in head.splitlines()[:50]:
        if line.strip():
            return line.strip().lstrip(b"\xef\xbb\xbf") in (b"{", b"[")
    return False


def _starts_with_a_json_line(stream: IO[bytes]) -> bool:
    """Whether the first non-blank line is a JSON value on its own; rewinds the stream."""
    try:
        while True:
            line = stream.readline(MAX_JSON_LINE_BYTES + 1)
            if not line or line.strip():
                break
        if not line.strip() or len(line) > MAX_JSON_LINE_BYTES:
            return False
        try:
            parse_json_line(line.decode("utf-8-sig").strip())
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            return False
        return True
    finally:
        stream.seek(0)


def _items(
    documents: Iterator[Document | Problem], pending: list[Problem]
) -> Iterator[JsonItem | Problem]:
    for document in documents:
        yield from pending
        pending.clear()
        if isinstance(document, Problem):
            yield document
        else:
            yield JsonItem(document.path, document)
    yield from pending


def _whole_document(path: str, raw: bytes) -> list[JsonItem] | list[Problem] | None:
    """The file as one JSON document (or documents one after another), or None when it
    is not one (JSON Lines, say).

    A document that does not parse is reported once, where parsing stopped, when its
    first line is a lone bracket (no JSON line is); otherwise it is read as JSON Lines.
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    stripped = text.strip()
    if "\n" not in stripped:
        return None  # one line: read as JSON Lines, which reports errors the same way
    try:
        data = parse_json_line(text)
    except json.JSONDecodeError as error:
        if stripped.split("\n", 1)[0].strip() in ("{", "["):
            if error.msg == "Extra data":
                return _json_sequence(path, text)
            return [_syntax_error(path, error)]
        return None
    except (ValueError, RecursionError):
        return None
    document = Document(path=path, data=data, start_line=1, raw_json=text)
    return [JsonItem(path, document, multiline_text=text)]


def _syntax_error(path: str, error: json.JSONDecodeError) -> Problem:
    return Problem(
        f"JSON syntax error: {error.msg}", Location(path, error.lineno, error.colno), code=SYNTAX
    )


_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")


def _json_sequence(path: str, text: str) -> list[JsonItem] | list[Problem]:
    """Documents one after another: each an item placed where it starts; a syntax error
    where parsing stopped, for the whole file (its documents cannot be told apart)."""
    items: list[JsonItem] = []
    position, line, counted_to = 0, 1, 0
    while True:
        position = _SPACE.match(text, position).end()  # type: ignore[union-attr]  # ("" matches)
        if position >= len(text):
            return items
        try:
            _, end = _DECODER.raw_decode(text, position)
            data = parse_json_line(text[position:end])
        except json.JSONDecodeError as error:
            return [_syntax_error(path, error)]
        except (ValueError, RecursionError) as error:
            line += text.count("\n", counted_to, position)
            return [Problem(f"JSON syntax error: {error}", Location(path, line, 1), code=SYNTAX)]
        line += text.count("\n", counted_to, position)
        counted_to = position
        column = position - text.rfind("\n", 0, position)
        piece = text[position:end]
        document = Document(path=path, data=data, start_line=line, raw_json=piece)
        items.append(JsonItem(path, document, multiline_text=piece, first_column=column))
        position = end
