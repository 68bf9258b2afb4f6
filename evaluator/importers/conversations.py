"""Records of one conversation -> one fixture conversation (SPEC §2.3), written as a line.

The records come grouped and in order (cprlint.importers.grouping); a group without a
single event (a trace of spans that are no calls, tools or retrievals) is no conversation
and is not written. Here the events are put together: a user message repeated by the
next request is kept once, a tool call takes the status a later request reports for its
result, a request sent again after a failed one is its retry (`attempt` 2, 3, ...), and
the labels the records carry (the last value of each field wins) become the
conversation's intent, queue, project, automation and outcome. Unmapped text fields are
`unknown`; the others are left out (an outcome without a status is `open`), so that
imported fixtures always pass the fixture schema. The conversation's `started_at` is the
earliest time its records give (a root span's start, a trace's timestamp, a recorded
call's `Date`), and each event's `at` the time of the record it came from.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from cprlint.documents import sorted_json
from cprlint.findings import Location
from cprlint.importers.labels import (
    CONVERSATION_FIELDS,
    REPORTED_FIELDS,
    TEXT_FIELDS,
    LabelMap,
    fixture_value,
    value_text,
)
from cprlint.importers.records import ERROR, UNKNOWN, Record, nanoseconds_to_iso
from cprlint.pii import Redactor, mask_personal_data

# Distinct refused label values remembered for CPR804; the rest are counted together.
MAX_REFUSED_VALUES = 50


@dataclass
class ImportStats:
    conversations: int = 0
    llm_calls: int = 0
    calls_without_usage: int = 0
    tool_calls: int = 0
    # Field -> conversations that got no value for it.
    unlabelled: Counter[str] = field(default_factory=Counter)
    # Field -> (input position, place) of the first record, in input order, of a
    # conversation that got no value for it: where the finding about it points.
    first_unlabelled: dict[str, tuple[int, Location]] = field(default_factory=dict)
    # (field, recorded value) -> conversations where the value was not allowed.
    refused_values: Counter[tuple[str, str]] = field(default_factory=Counter)


class ConversationWriter:
    def __init__(self, output: IO[str], *, label_map: LabelMap, redactor: Redactor | None) -> None:
        self.output = output
        self.label_map = label_map
        self.redactor = redactor
        self.stats = ImportStats()

    def write(self, key: str, records: list[Record]) -> None:
        if not any(record.events for record in records):
            return
        conversation = self.assemble(key, records)
        self.output.write(sorted_json(conversation))
        self.output.write("\n")

    def assemble(self, key: str, records: list[Record]) -> dict[str, Any]:
        records = sorted(records, key=lambda record: (record.time, record.seq))
        events = self._events(records)
        labels: dict[str, Any] = {}
        for record in records:
            labels.update(record.labels)
        conversation: dict[str, Any] = {"id": self._identifier(key, records)}
        first = min(records, key=lambda record: record.seq)
        self._label(conversation, labels, first)
        times = [record.start for record in records if record.start]
        if times:
            conversation["started_at"] = nanoseconds_to_iso(min(times))
        conversation["events"] = events
        self.stats.conversations += 1
        return conversation

    def _identifier(self, key: str, records: list[Record]) -> str:
        name = next((record.name for record in records if record.name), None)
        identifier = name or key
        return self.redactor.redact(identifier) if self.redactor else identifier

    def _events(self, records: list[Record]) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        tools: dict[str, dict[str, Any]] = {}
        last_user_text: str | None = None
        last_call: dict[str, Any] | None = None
        for record in records:
            for call_id, status in record.tool_results.items():
                tool = tools.get(call_id)
                if tool is not None and status == ERROR:
                    tool["status"] = ERROR
            # Each event is placed at its record's time (a span's start, a logged call's
            # time, a recording's Date): what resolution windows are judged by.
            at = nanoseconds_to_iso(record.start) if record.start else None
            for raw in record.events:
                event = dict(raw)
                if at is not None:
                    event.setdefault("at", at)
                kind = event.get("type")
                if kind == "message" and event.get("role") == "user":
                    if event.get("text") == last_user_text:
                        continue  # the history the next request sends again
                    last_user_text = event.get("text")
                elif kind == "llm_call":
                    self.stats.llm_calls += 1
                    self.stats.calls_without_usage += "usage" not in event
                    if (
                        last_call is not None
                        and last_call.get("status") == ERROR
                        and event.get("_request") is not None
                        and event.get("_request") == last_call.get("_request")
                    ):
                        event["attempt"] = int(last_call.get("attempt", 1)) + 1
                    last_call = event
                elif kind == "tool_call":
                    self.stats.tool_calls += 1
                    tool_id = event.get("_call_id")
                    if isinstance(tool_id, str):
                        tools[tool_id] = event
                events.append(event)
        return [
            {key: value for key, value in event.items() if not key.startswith("_")}
            for event in events
        ]

    def _label(
        self, conversation: dict[str, Any], labels: Mapping[str, Any], first: Record
    ) -> None:
        values: dict[str, Any] = {}
        for name in CONVERSATION_FIELDS:
            mapping = self.label_map.fields.get(name)
            raw = labels.get(name)
            if raw is None and mapping is not None:
                raw = mapping.default
            if raw is None:
                continue
            value, allowed = fixture_value(name, raw, mapping)
            if allowed:
                values[name] = value
            else:
                shown = value_text(raw)
                # Shown in a finding (CPR804): never as recorded, even with --no-redact.
                shown = self.redactor.redact(shown) if self.redactor else mask_personal_data(shown)
                refused = self.stats.refused_values
                if (name, shown) not in refused and len(refused) >= MAX_REFUSED_VALUES:
                    shown = "(other values)"  # an id mapped as an outcome: a count, not a list
                refused[(name, shown)] += 1
        for name in REPORTED_FIELDS:
            if name not in values:
                self.stats.unlabelled[name] += 1
                earlier = self.stats.first_unlabelled.get(name)
                if earlier is None or first.seq < earlier[0]:
                    self.stats.first_unlabelled[name] = (first.seq, first.location)
        for name in TEXT_FIELDS:
            text = values.get(name, UNKNOWN)
            conversation[name] = self.redactor.redact(text) if self.redactor else text
        if "automation" in values:
            conversation["automation"] = values["automation"]
        outcome: dict[str, Any] = {"status": values.get("outcome", "open")}
        for name in ("resolved_by", "reopened"):
            if name in values:
                outcome[name] = values[name]
        conversation["outcome"] = outcome
