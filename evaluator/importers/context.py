"""What an importer is given besides its input: labels, redaction, and where problems go."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ParamSpec

from cprlint.findings import Location, Problem
from cprlint.importers.labels import CALL_FIELDS, CONVERSATION_FIELDS, GROUPING_FIELD, LabelMap
from cprlint.importers.providers import ParsedCall
from cprlint.importers.records import (
    OK,
    Record,
    TimeError,
    llm_call_event,
    message_event,
    plain,
    tool_call_event,
)
from cprlint.pii import Redactor
from cprlint.rules.imports import CALL_WITHOUT_MODEL, CALL_WITHOUT_USAGE, MALFORMED_RECORD

# Findings kept per input file; past this, one more says how many were left out, so a
# broken gigabyte is a short report, not an unbounded list.
MAX_PROBLEMS_PER_FILE = 100
# Attribute keys remembered to suggest what to map (CPR803).
MAX_SEEN_KEYS = 2000
# Keys of fixture events that are never personal data, and never redacted.
_STRUCTURAL_KEYS = frozenset({"type", "role", "model", "status", "attempt", "usage"})

P = ParamSpec("P")


@dataclass(frozen=True)
class Locator:
    """Where a record is: its line at once, its exact column only when a finding needs it."""

    path: str
    line: int
    column: int | None = None
    exact: Callable[[], Location] | None = None

    @property
    def rough(self) -> Location:
        return Location(self.path, self.line, self.column)

    def __call__(self) -> Location:
        return self.exact() if self.exact is not None else self.rough


@dataclass
class FirstAndCount:
    location: Location
    count: int = 0


class ImportContext:
    def __init__(self, *, label_map: LabelMap, redactor: Redactor | None) -> None:
        self.label_map = label_map
        self.redactor = redactor
        self.problems: list[Problem] = []
        self._problems_per_file: Counter[str] = Counter()
        self._left_out: dict[str, FirstAndCount] = {}
        self.seen_keys: set[str] = set()
        self.without_usage: dict[str, FirstAndCount] = {}
        self.without_model: dict[str, FirstAndCount] = {}
        self._seq = 0
        # The position of the file being read among all input files.
        self.file_number = 0
        # Bytes of recorded bodies decompressed in this import (bounded by the vcr reader).
        self.inflated_bytes = 0
        self._names: Counter[str] = Counter()

    # --- problems --------------------------------------------------------------------

    def add(self, problem: Problem) -> None:
        path = problem.location.path
        if self._problems_per_file[path] < MAX_PROBLEMS_PER_FILE:
            self._problems_per_file[path] += 1
            self.problems.append(problem)
            return
        left_out = self._left_out.setdefault(path, FirstAndCount(problem.location))
        left_out.count += 1

    def problem(self, code: str, message: str, location: Location) -> None:
        self.add(Problem(message, location, code=code))

    def malformed(self, message: str, location: Location) -> None:
        self.problem(MALFORMED_RECORD, message, location)

    def read_time(
        self,
        locate: Locator,
        without: str,
        read: Callable[P, int],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> int:
        """`read(*args, **kwargs)`, a time in nanoseconds; when it is no time (TimeError),
        a finding that says so and what is done `without` it, and 0."""
        try:
            return read(*args, **kwargs)
        except TimeError as error:
            self.malformed(f"{error}; {without}", locate())
            return 0

    def all_problems(self) -> list[Problem]:
        problems = list(self.problems)
        for _, left_out in sorted(self._left_out.items()):
            problems.append(
                Problem(
                    f"{left_out.count:,} more problems in this file are not listed",
                    left_out.location,
                    code=MALFORMED_RECORD,
                )
            )
        problems += _counted(
            self.without_usage,
            "without token usage",
            ("it is imported and costs", "they are imported and cost"),
            "nothing in `check`",
            CALL_WITHOUT_USAGE,
        )
        problems += _counted(
            self.without_model,
            "without a model",
            ("it is imported", "they are imported"),
            "with the model `unknown`",
            CALL_WITHOUT_MODEL,
        )
        return problems

    # --- ordering and naming -------------------------------------------------------------

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def unique_name(self, name: str) -> str:
        """`name`, or `name~2`, `name~3` when files of the same name were read before."""
        self._names[name] += 1
        count = self._names[name]
        return name if count == 1 else f"{name}~{count}"

    # --- labels ----------------------------------------------------------------------

    def note_keys(self, attributes: Mapping[str, Any]) -> None:
        if len(self.seen_keys) >= MAX_SEEN_KEYS:
            return
        for key, value in attributes.items():
            if isinstance(value, str | bool | int | Decimal) and value != "":
                self.seen_keys.add(key)

    def labels(self, attributes: Mapping[str, Any]) -> dict[str, Any]:
        self.note_keys(attributes)
        labels: dict[str, Any] = plain(self.label_map.read(attributes, CONVERSATION_FIELDS))
        return labels

    def call_fields(self, attributes: Mapping[str, Any]) -> dict[str, str]:
        values = self.label_map.read(attributes, CALL_FIELDS)
        return {name: str(value) for name, value in values.items()}

    def conversation_of(self, attributes: Mapping[str, Any]) -> str | None:
        value = self.label_map.read(attributes, (GROUPING_FIELD,)).get(GROUPING_FIELD)
        return None if value is None else str(value)

    # --- events --------------------------------------------------------------------------

    def redact(self, value: Any, key: str | None = None) -> Any:
        """`value` with personal data replaced, in keys as well as values (a tool's
        arguments may be keyed by an e-mail address); keys stay unique."""
        if self.redactor is None or (key is not None and key in _STRUCTURAL_KEYS):
            return value
        if isinstance(value, str):
            return self.redactor.redact(value)
        if isinstance(value, dict):
            redacted: dict[str, Any] = {}
            for item_key, item in value.items():
                if item_key.startswith("_"):
                    redacted[item_key] = item
                    continue
                new_key = self.redactor.redact_key(item_key, taken=redacted)
                redacted[new_key] = self.redact(item, item_key)
            return redacted
        if isinstance(value, list):
            return [self.redact(item) for item in value]
        return value

    def count_call(self, *, model: str | None, has_usage: bool, locate: Locator) -> None:
        """Count calls without usage or model per file; only the first is located."""
        for missing, counts in (
            (not has_usage, self.without_usage),
            (not model, self.without_model),
        ):
            if not missing:
                continue
            path = locate.path
            if path not in counts:
                counts[path] = FirstAndCount(locate())
            counts[path].count += 1

    def call_record(
        self,
        call: ParsedCall,
        *,
        unit: str,
        conversation: str | None,
        time: int,
        locate: Locator,
        attributes: Mapping[str, Any],
        name: str | None = None,
        started: int = 0,
    ) -> Record:
        """The record of one provider call: user message, the call, its answer, its tools.

        A successful response is there to read: when its usage or its model cannot be read,
        the call would cost nothing, silently, so that is an error, not a warning.
        """
        if call.usage_problem:
            self.malformed(
                f"usage cannot be read: {call.usage_problem}; the call is imported without usage",
                locate(),
            )
        elif call.status == OK and call.usage is None and not call.usage_optional:
            self.malformed(
                "the response holds no token usage cprlint can read; the call is imported "
                "without usage, and costs nothing in `check`",
                locate(),
            )
        if call.status == OK and not call.model:
            self.malformed(
                "neither the request nor the response names a model cprlint can read; the "
                "call is imported with the model `unknown`",
                locate(),
            )
        for problem in call.problems:
            self.malformed(f"the response cannot be read whole: {problem}", locate())
        if call.problems_left_out:
            self.malformed(
                f"{call.problems_left_out:,} more unreadable parts of this response are skipped",
                locate(),
            )
        self.count_call(model=call.model, has_usage=call.usage is not None, locate=locate)
        llm_call = llm_call_event(
            model=call.model,
            requested_model=call.requested_model,
            usage=call.usage,
            status=call.status,
            error=call.error,
            request_hash=call.request_hash,
        )
        llm_call.update(self.call_fields(attributes))
        events = [
            message_event("user", call.input_text),
            llm_call,
            message_event("assistant", call.output_text),
            *(
                tool_call_event(
                    name=tool.name, args=tool.args, status=tool.status, call_id=tool.call_id
                )
                for tool in call.tool_calls
            ),
        ]
        return Record(
            unit=unit,
            conversation=conversation,
            time=time,
            seq=self.next_seq(),
            location=locate.rough,
            events=tuple(self.redact(event) for event in events if event is not None),
            labels=self.labels(attributes),
            tool_results=dict(call.tool_results),
            name=name,
            started=started,
        )


def _counted(
    firsts: dict[str, FirstAndCount],
    lacking: str,
    verbs: tuple[str, str],
    outcome: str,
    code: str,
) -> list[Problem]:
    """One problem per file for LLM calls that lack something: at the first such call,
    with how many there are."""
    problems = []
    for path in sorted(firsts):
        first = firsts[path]
        if first.count == 1:
            message = f"an LLM call {lacking}; {verbs[0]} {outcome}"
        else:
            message = f"{first.count:,} LLM calls {lacking}, the first here; {verbs[1]} {outcome}"
        problems.append(Problem(message, first.location, code=code))
    return problems
