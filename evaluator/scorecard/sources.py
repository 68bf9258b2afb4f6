"""Which log files a scorecard reads, and where a log that an engine refused goes wrong.

Engines read the logs natively, which is what makes them fast, but their errors name a
byte offset or a Java stack, not a line a person can open. So when an engine refuses a
log, the logs are read again here, with the same parser and schema `check` uses on
fixtures, to name the first file, line and column that do not fit the format. That
reading holds one line at a time, and never more of a line than `check` would read.
"""

from __future__ import annotations

import datetime as dt
import gzip
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from cprlint.documents import (
    MAX_JSON_LINE_BYTES,
    TOO_LARGE,
    Document,
    json_document,
    json_line_texts,
)
from cprlint.errors import CprlintError
from cprlint.findings import Location, Problem
from cprlint.fixture_shape import conforms
from cprlint.schemas import validate

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


def started_at_problem(value: object) -> str | None:
    """Why a `started_at` value cannot be a ticket's timestamp, or None when it can."""
    if value is None:
        return None
    if not isinstance(value, str):
        return "`started_at` must be an ISO 8601 date-time text"
    try:
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return f"`started_at` {value!r} is not an ISO 8601 date-time"
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


def _documents(path: Path, handle: IO[bytes] | gzip.GzipFile) -> Iterator[Document | Problem]:
    """The conversations of a log in line order, or the problem of each line that is
    over the size limit, not UTF-8 or not JSON (as `check` reads a fixture line)."""
    name = str(path)
    for number, line in enumerate(bounded_lines(handle), start=1):
        if isinstance(line, OverLong):
            yield Problem(
                f"line is {line.size:,} bytes, over the {MAX_LOG_LINE_BYTES:,}-byte limit",
                Location(name, number, 1),
                code=TOO_LARGE,
            )
            continue
        for text in json_line_texts(name, iter((line,)), first_line=number):
            yield text if isinstance(text, Problem) else json_document(name, *text)


def jsonl_problems(path: Path) -> Iterator[Problem]:
    """The problems of one JSON Lines log, in line order: lines that are too long or not
    JSON, and conversations that do not match the fixture format."""
    try:
        with _open(path) as handle:
            for item in _documents(path, handle):
                if isinstance(item, Problem):
                    yield item
                    continue
                if not conforms(item.data):
                    yield from validate(item, "fixture")
                    continue
                problem = started_at_problem(item.data.get("started_at"))
                if problem is not None:
                    yield Problem(problem, item.locate("started_at"))
                yield from _out_of_range(item)
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise CprlintError(f"{path}: cannot be read: {error}") from error


# The largest value each numeric field of the event layout holds (layout.py's types).
_LIMITS = {
    ("attempt",): 2**31 - 1,
    ("usage", "input_tokens"): 2**63 - 1,
    ("usage", "output_tokens"): 2**63 - 1,
    ("usage", "cached_input_tokens"): 2**63 - 1,
    ("usage", "cache_write_tokens"): 2**63 - 1,
    ("context_tokens",): 2**63 - 1,
    ("handle_minutes",): 10**12 - 1,  # DECIMAL(18, 6)
}


def _out_of_range(document: Document) -> Iterator[Problem]:
    """Numbers the fixture schema allows but the event layout's columns cannot hold."""
    for index, event in enumerate(document.data.get("events") or ()):
        if not isinstance(event, dict):
            continue
        for path, limit in _LIMITS.items():
            value: Any = event
            for key in path:
                value = value.get(key) if isinstance(value, dict) else None
            if isinstance(value, int | Decimal) and not -limit <= value <= limit:
                yield Problem(
                    f"`{'.'.join(path)}` is {value}, more than a log can hold ({limit:,})",
                    document.locate("events", index, *path),
                )


def first_problem(files: Sequence[Path]) -> Problem | None:
    for path in files:
        for problem in jsonl_problems(path):
            return problem
    return None


def describe(problem: Problem) -> str:
    return f"{problem.location}: {problem.message}"


def engine_message(error: BaseException) -> str:
    """An engine's error as one printable line: its first line, with the bytes it may
    quote from a broken file shown as `?`."""
    text = str(error).strip()
    line = text.splitlines()[0] if text else type(error).__name__
    return "".join(character if character.isprintable() else "?" for character in line)
