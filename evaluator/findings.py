"""The one type that carries a problem: `Finding`, and the `Location` it points at."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import msgspec


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"

    @property
    def rank(self) -> int:
        return 2 if self is Severity.ERROR else 1


@dataclass(frozen=True, order=True, slots=True)
class Location:
    """A place in a file of the project: repository-relative path, 1-based line and
    column, and in a JSON line (thousands of characters long) the JSON path of the value
    (`events[12].model`), which says more to a reader than a column."""

    path: str
    line: int = 1
    column: int | None = None
    # (Derived from the rest: not compared, so a location is equal with or without it.)
    json_path: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        if self.column is None:
            return f"{self.path}:{self.line}"
        return f"{self.path}:{self.line}:{self.column}"

    @property
    def place(self) -> str:
        """Where in the file, for people: `83 events[12].model`, `12:5` or `12`."""
        if self.json_path:
            return f"{self.line} {self.json_path}"
        return str(self.line) if self.column is None else f"{self.line}:{self.column}"

    def __reduce__(self) -> tuple[Any, ...]:
        return Location, (self.path, self.line, self.column, self.json_path)


@dataclass(frozen=True, slots=True)
class Scope:
    """What a finding is about, beyond the file: the keys users filter and waive by."""

    intent: str | None = None
    queue: str | None = None
    conversation: str | None = None
    prompt: str | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        return Scope, (self.intent, self.queue, self.conversation, self.prompt)

    def to_dict(self) -> dict[str, str]:
        keys = (
            ("intent", self.intent),
            ("queue", self.queue),
            ("conversation", self.conversation),
            ("prompt", self.prompt),
        )
        return {key: value for key, value in keys if value is not None}


@dataclass(frozen=True, slots=True)
class Problem:
    """What a rule or a loader yields; the engine stamps the rule's code and severity on it."""

    message: str
    location: Location
    scope: Scope = field(default_factory=Scope)
    # Set by loaders, which report under several codes; a rule's problems get its own.
    code: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    severity: Severity
    message: str
    location: Location
    scope: Scope = field(default_factory=Scope)
    # The waiver (policy path:line) that accepted this finding; a waived finding is shown
    # but never fails the run.
    waived_by: str | None = None

    # Findings cross from worker processes pickled, a quarter of a million in a large run:
    # by default pickle takes a slotted dataclass apart through `dataclasses.fields`,
    # twice as slow each way as these (and so Location and Scope).
    def __reduce__(self) -> tuple[Any, ...]:
        fields = (self.rule, self.severity, self.message, self.location, self.scope)
        return Finding, (*fields, self.waived_by)

    @property
    def path(self) -> str:
        return self.location.path

    @property
    def line(self) -> int:
        return self.location.line

    @property
    def column(self) -> int | None:
        return self.location.column

    @property
    def sort_key(self) -> tuple[Any, ...]:
        return (
            self.location.path,
            self.location.line,
            self.location.column or 0,
            self.rule,
            self.message,
            self.scope.conversation or "",
        )

    @property
    def rank(self) -> tuple[bool, int]:
        """Where fewer findings can be shown than there are (a comment, code scanning):
        the active errors first, then the warnings, then the waived."""
        return (self.waived_by is not None, -self.severity.rank)

    def __lt__(self, other: Finding) -> bool:
        return self.sort_key < other.sort_key

    def to_record(self) -> FindingRecord:
        location, scope = self.location, self.scope
        return FindingRecord(
            self.rule,
            self.severity.value,
            self.message,
            location.path,
            location.line,
            location.column,
            location.json_path,
            scope.intent,
            scope.queue,
            scope.conversation,
            scope.prompt,
            self.waived_by,
        )


class FindingRecord(msgspec.Struct, omit_defaults=True, gc=False):
    """A finding as the JSON report writes it (SPEC §5), fields that do not apply left
    out. A Struct, not a dictionary: a run may have a quarter of a million findings, and
    msgspec writes these in C."""

    rule: str
    severity: str
    message: str
    path: str
    line: int
    column: int | None = None
    json_path: str | None = None
    intent: str | None = None
    queue: str | None = None
    conversation: str | None = None
    prompt: str | None = None
    waived_by: str | None = None
