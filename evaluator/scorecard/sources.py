"""Which log files a scorecard reads, and which of their lines are malformed.

Engines read the logs natively, which is what makes them fast, but their errors name a
byte offset or a Java stack, not a line a person can open, and they stop at the first.
So when an engine refuses a JSON Lines log, the logs are read again here, with `check`'s
parser, to find every malformed line: one that is not a JSON object, or holds a value
the event layout cannot (`layout_problems`). With --strict the first is named and the
run stops; else each file with a malformed line is copied without them (`set_aside`)
for the engine to read again, and they are counted, the first MAX_NAMED_MALFORMED named.
That reading holds one line at a time, and never more of a line than `check` would read.

A malformed line is what an engine cannot read into the layout, or would read wrongly:
the careful reading and the engines agree on it (see `engines.py`), so that a log is
scored the same whether or not another of its lines made an engine stop. A line the
layout can hold but the fixture format does not allow (an unknown `automation`, a
negative count) is read as `check` would read it, not left out.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from cprlint.documents import (
    MAX_JSON_LINE_BYTES,
    TOO_LARGE,
    Document,
    json_document,
    json_line_texts,
    key_path_text,
)
from cprlint.errors import CprlintError
from cprlint.findings import Location, Problem
from cprlint.resolution import instant
from cprlint.scorecard.card import MAX_NAMED_MALFORMED, Malformed, MalformedLine
from cprlint.scorecard.layout import (
    CONVERSATION_FIELDS,
    DECIMAL_TEXT_FORM,
    EVENT_FIELDS,
    REQUIRED_FIELDS,
    STARTED_AT_FORM,
    sql_type,
)

JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")
PARQUET_SUFFIXES = (".parquet",)


@dataclass(frozen=True)
class LogFiles:
    jsonl: tuple[Path, ...]
    parquet: tuple[Path, ...]

    @property
    def all(self) -> tuple[Path, ...]:
        return (*self.jsonl, *self.parquet)


def _kind(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    return None


def find_logs(arguments: Sequence[str]) -> LogFiles:
    """The log files named, or found under the folders named, in a stable order."""
    jsonl: list[Path] = []
    parquet: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and _kind(p))
            if not found:
                raise CprlintError(f"{argument}: no .jsonl, .jsonl.gz or .parquet logs in it")
        elif path.is_file():
            if _kind(path) is None:
                raise CprlintError(
                    f"{argument}: not a log (expected .jsonl, .jsonl.gz or .parquet)"
                )
            found = [path]
        else:
            raise CprlintError(f"{argument}: no such file or directory")
        for file in found:
            (jsonl if _kind(file) == "jsonl" else parquet).append(file)
    if not jsonl and not parquet:
        raise CprlintError("no logs given")
    return LogFiles(tuple(dict.fromkeys(jsonl)), tuple(dict.fromkeys(parquet)))


def _open(path: Path) -> IO[bytes] | gzip.GzipFile:
    if path.name.lower().endswith(".gz"):
        return gzip.GzipFile(path, "rb")
    return path.open("rb")


_STARTED_AT = re.compile(STARTED_AT_FORM)


def time_problem(value: object, where: str) -> str | None:
    """Why a time (`started_at`, `outcome.reopened_at`, an event's `at`, named `where`)
    cannot be read, or None when it can: an ISO 8601 date, or date and time to the
    second, in a form every engine reads alike (STARTED_AT_FORM), and a real one (as
    `check` reads it: `resolution.instant`)."""
    if value is None:
        return None
    if not isinstance(value, str):
        return f"{where} must be an ISO 8601 date-time text"
    if not _STARTED_AT.fullmatch(value) or instant(value) is None:
        return (
            f"{where} {value!r} is not an ISO 8601 date-time such as "
            "2026-11-02T09:15:00Z, 2026-11-02T10:15:00+01:00 or 2026-11-02"
        )
    return None


# The longest line the careful reading holds, as `check` limits a fixture line (its line
# break included). A longer line is a problem at its number, skipped in chunks of
# SKIP_BYTES, so that a 2.6 GB line costs no more memory than a short one.
MAX_LOG_LINE_BYTES = MAX_JSON_LINE_BYTES
SKIP_BYTES = 64 * 1024


@dataclass(frozen=True)
class OverLong:
    """A line longer than MAX_LOG_LINE_BYTES: its length, not its bytes."""

    size: int


def bounded_lines(handle: IO[bytes] | gzip.GzipFile) -> Iterator[bytes | OverLong]:
    """The lines of a log, each with its line break; a line longer than
    MAX_LOG_LINE_BYTES comes as its length, and at no time are more than
    MAX_LOG_LINE_BYTES + 1 bytes of it read at once."""
    limit = MAX_LOG_LINE_BYTES
    while line := handle.readline(limit + 1):
        if len(line) <= limit:
            yield line
            continue
        size = len(line)
        while not line.endswith(b"\n") and (line := handle.readline(SKIP_BYTES)):
            size += len(line)
        yield OverLong(size)


@dataclass(frozen=True)
class LogLine:
    """A non-blank line of a log: its number, its bytes (None when over-long, and not
    held), and its problems (none: it can be scored)."""

    number: int
    data: bytes | None
    problems: tuple[Problem, ...]


def log_lines(path: Path, handle: IO[bytes] | gzip.GzipFile) -> Iterator[LogLine]:
    """The non-blank lines of a log in order, each with its problems: over the size
    limit, not UTF-8 or not JSON (as `check` reads a fixture line), or not something
    the event layout can hold (`layout_problems`)."""
    name = str(path)
    for number, line in enumerate(bounded_lines(handle), start=1):
        if isinstance(line, OverLong):
            problem = Problem(
                f"line is {line.size:,} bytes, over the {MAX_LOG_LINE_BYTES:,}-byte limit",
                Location(name, number, 1),
                code=TOO_LARGE,
            )
            yield LogLine(number, None, (problem,))
            continue
        for text in json_line_texts(name, iter((line,)), first_line=number):
            if isinstance(text, Problem):
                yield LogLine(number, line, (text,))
                continue
            repeated = _RepeatedKey()
            document = json_document(name, *text, pairs_hook=repeated)
            if isinstance(document, Problem):
                yield LogLine(number, line, (document,))
                continue
            problems = list(layout_problems(document))
            if not problems and (key := repeated.found) is not None:
                problems.append(
                    Problem(f"the key `{key}` is given twice in one object", document.locate())
                )
            yield LogLine(number, line, tuple(problems))


def jsonl_problems(path: Path) -> Iterator[Problem]:
    """The problems of one JSON Lines log, in line order."""
    try:
        with _open(path) as handle:
            for line in log_lines(path, handle):
                yield from line.problems
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise CprlintError(f"{path}: cannot be read: {error}") from error


def first_problem(files: Sequence[Path]) -> Problem | None:
    for path in files:
        for problem in jsonl_problems(path):
            return problem
    return None


# --- what the event layout can hold -----------------------------------------------------

# The largest value each numeric type of the event layout holds.
_LIMITS: dict[str, int | Decimal] = {
    "BIGINT": 2**63 - 1,
    "INTEGER": 2**31 - 1,
    "DECIMAL(18,6)": 10**12 - Decimal("0.000001"),
}
_DECIMAL_TEXT = re.compile(DECIMAL_TEXT_FORM)


def _where(path: tuple[str | int, ...]) -> str:
    return f"`{key_path_text(path)}`"


def _shown(value: Any) -> str:
    text = str(value) if isinstance(value, Decimal) else json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def _value_problem(value: Any, layout_type: str) -> str | None:
    """Why a value cannot go into a column of `layout_type`, or None when it can (null
    can). Any value has a text; numbers must be JSON numbers and booleans JSON booleans,
    as Spark reads them (DuckDB would turn "12" or true into a number without a word)."""
    if value is None or layout_type == "VARCHAR":
        return None
    if layout_type in ("BIGINT", "INTEGER"):
        if type(value) is not int:
            return f"must be a whole number, not {_shown(value)}"
    elif layout_type.startswith("DECIMAL"):
        if isinstance(value, str) and _DECIMAL_TEXT.fullmatch(value):
            value = Decimal(value)
        if type(value) not in (int, Decimal) or not Decimal(value).is_finite():
            return f"must be a number, not {_shown(value)}"
        try:
            value = Decimal(value).quantize(Decimal("0.000001"))
        except InvalidOperation:
            value = Decimal("Infinity")
    elif layout_type == "BOOLEAN":
        return None if type(value) is bool else f"must be true or false, not {_shown(value)}"
    limit = _LIMITS[layout_type]
    if not -limit <= value <= limit:
        return f"is {value}, more than a log can hold ({limit:,})"
    return None


@dataclass(frozen=True)
class _Checks:
    """What the layout reads from one object of a conversation (the conversation, or an
    event), made ready to check it fast: the keys whose values must be mappings, and the
    values whose columns take other than any text, with their column's type (`TEXT` for
    the text a greeting is told from)."""

    mappings: tuple[str, ...]
    typed: tuple[tuple[tuple[str, ...], str], ...]


# The kind of check of a message's `text`: any value but a list or a mapping (`check`
# reads a text that is not one as no text, and so do the engines, but for a list or a
# mapping, which Spark would read as the JSON it is written as).
TEXT = "TEXT"


def _checks(fields: Sequence[tuple[str, tuple[str, ...]]]) -> _Checks:
    assert all(len(path) <= 2 for _, path in fields), "the layout reads two levels deep"
    return _Checks(
        mappings=tuple(dict.fromkeys(path[0] for _, path in fields if len(path) == 2)),
        typed=tuple(
            (path, TEXT if column == "greeting" else sql_type(column))
            for column, path in fields
            if column == "greeting" or sql_type(column) != "VARCHAR"
        ),
    )


_CONVERSATION_CHECKS = _checks(CONVERSATION_FIELDS)
_EVENT_CHECKS = _checks(EVENT_FIELDS)


def _object_problems(
    document: Document, mapping: dict[str, Any], prefix: tuple[str | int, ...], checks: _Checks
) -> Iterator[Problem]:
    """The problems of one object (at `prefix` in the document): a value that should be
    a mapping and is not, a value its column cannot hold."""
    for key in checks.mappings:
        value = mapping.get(key)
        if value is not None and type(value) is not dict:
            where = (*prefix, key)
            yield Problem(
                f"{_where(where)} must be a mapping, not {_shown(value)}", document.locate(*where)
            )
    for path, kind in checks.typed:
        value = mapping.get(path[0])
        if len(path) == 2:
            value = value.get(path[1]) if type(value) is dict else None
        if value is None:
            continue
        if kind == "TIMESTAMP":
            why = time_problem(value, _where((*prefix, *path)))
            if why is not None:
                yield Problem(why, document.locate(*prefix, *path))
            continue
        if kind == TEXT:
            if type(value) in (list, dict) and mapping.get("type") == "message":
                where = (*prefix, *path)
                yield Problem(
                    f"{_where(where)} of a message must be a text, not {_shown(value)}",
                    document.locate(*where),
                )
            continue
        why = _value_problem(value, kind)
        if why is not None:
            where = (*prefix, *path)
            yield Problem(f"{_where(where)} {why}", document.locate(*where))


def layout_problems(document: Document) -> Iterator[Problem]:
    """Why a conversation cannot go into the event layout: it is not a JSON object, a
    required key (`REQUIRED_FIELDS`) is missing or null, `events` is not a list of
    objects, or a value does not fit its column (see `_value_problem`)."""
    data = document.data
    if type(data) is not dict:
        yield Problem(
            f"the line must be a conversation (a JSON object), not {_shown(data)}",
            document.locate(),
        )
        return
    yield from _object_problems(document, data, (), _CONVERSATION_CHECKS)
    events = data.get("events")
    if events is not None and type(events) is not list:
        yield Problem(f"`events` must be a list, not {_shown(events)}", document.locate("events"))
        events = None
    for index, event in enumerate(events or ()):
        if event is None:  # an event with nothing in it: the engines read it so
            continue
        if type(event) is not dict:
            yield Problem(
                f"`events[{index}]` must be a mapping, not {_shown(event)}",
                document.locate("events", index),
            )
            continue
        yield from _object_problems(document, event, ("events", index), _EVENT_CHECKS)
    for path in REQUIRED_FIELDS:
        node: Any = data
        for key in path:
            node = node.get(key) if type(node) is dict else None
        if node is None:
            needed = [_where(required) for required in REQUIRED_FIELDS]
            yield Problem(
                f"{_where(path)} is missing: a conversation needs "
                f"{', '.join(needed[:-1])} and {needed[-1]}",
                document.locate(*path),
            )


# The keys the layout reads: given twice in one object, DuckDB refuses the line (Spark
# and `check` take the last), so the line is malformed on every engine.
_LAYOUT_KEYS = frozenset(key for _, path in (*CONVERSATION_FIELDS, *EVENT_FIELDS) for key in path)


class _RepeatedKey:
    """Makes each object of a line as it is parsed (`parse_json_line`'s `pairs_hook`),
    and notes the first key the layout reads that an object gives twice (`found`)."""

    __slots__ = ("found",)

    def __init__(self) -> None:
        self.found: str | None = None

    def __call__(self, items: list[tuple[str, Any]]) -> dict[str, Any]:
        mapping = dict(items)
        if len(mapping) < len(items) and self.found is None:
            seen: set[str] = set()
            for key, _ in items:
                if key in seen and key in _LAYOUT_KEYS:
                    self.found = key
                    break
                seen.add(key)
        return mapping


# --- setting malformed lines aside ------------------------------------------------------


def malformed_line(problem: Problem) -> MalformedLine:
    location = problem.location
    return MalformedLine(location.path, location.line, location.column, problem.message)


@dataclass(frozen=True)
class Kept:
    """A log to read: `path`, which is the log itself, or a copy of its well-formed lines."""

    path: Path
    source: Path


def set_aside(
    files: Sequence[Path], folder: Path, progress: Callable[[float], None] | None = None
) -> tuple[list[Kept], Malformed]:
    """The logs to read instead of `files`, and their malformed lines: each file with a
    malformed line is copied into `folder` with its well-formed lines only (as JSON
    Lines, uncompressed); a file without one is read as it is. One line at a time is
    held, and the first MAX_NAMED_MALFORMED problems."""
    kept: list[Kept] = []
    count = 0
    first: list[MalformedLine] = []
    for index, path in enumerate(files):
        copy = folder / f"kept-{index:05d}.jsonl"
        bad = 0
        try:
            with _open(path) as handle, copy.open("wb") as out:
                for line in log_lines(path, handle):
                    if line.problems:
                        bad += 1
                        if len(first) < MAX_NAMED_MALFORMED:
                            first.append(malformed_line(line.problems[0]))
                    elif line.data is not None:
                        out.write(line.data if line.data.endswith(b"\n") else line.data + b"\n")
        except (OSError, EOFError, gzip.BadGzipFile) as error:
            raise CprlintError(f"{path}: cannot be read: {error}") from error
        if bad:
            kept.append(Kept(copy, path))
        else:
            copy.unlink()
            kept.append(Kept(path, path))
        count += bad
        if progress is not None:
            progress((index + 1) / len(files))
    return kept, Malformed(count, tuple(first))


def describe(problem: Problem) -> str:
    return f"{problem.location}: {problem.message}"


def engine_message(error: BaseException) -> str:
    """An engine's error as one printable line: its first line, with the bytes it may
    quote from a broken file shown as `?`."""
    text = str(error).strip()
    line = text.splitlines()[0] if text else type(error).__name__
    return "".join(character if character.isprintable() else "?" for character in line)
