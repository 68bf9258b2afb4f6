"""`langfuse`: Langfuse observation exports (JSON Lines, a JSON array, or an API page).

GENERATION and EMBEDDING observations are `llm_call`s: model `model`, usage from
`usageDetails` (else the older `usage`), normalised by `langfuse_usage`; `promptName`
and `promptVersion` give the call's `prompt` and `prompt_version`; level ERROR is a
failed call. An observation of another type with a model and usage is a call too, except
AGENT and CHAIN observations, whose usage sums their children's. TOOL observations are
`tool_call`s (the arguments from `input`), RETRIEVER observations `retrieval`s.
Observations are grouped by `sessionId`, else by `traceId`. Any field is readable by a
mapping file as a dotted path (`metadata.intent`; a `metadata` given as JSON text too).

A trace with its observations is read as well, with a finding that says so (CPR807):
the UI's trace download `{"trace": {...}, "observations": [...]}` (observations nested
in `trace.observations` too, each read once), or a trace object with an `observations`
list. Its observations inherit the fields of the trace they lack (`sessionId`,
`userId`, `metadata`, `tags`), and the trace's `timestamp` counts as a time of the
conversation, which starts at the earliest time of its trace and observations.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from cprlint.documents import KeyPath
from cprlint.findings import Problem
from cprlint.importers.context import ImportContext, Locator
from cprlint.importers.records import (
    ERROR,
    OK,
    Record,
    as_dict,
    as_list,
    as_text,
    flatten,
    iso_to_nanoseconds,
    llm_call_event,
    message_event,
    parse_arguments,
    retrieval_event,
    text_parts,
    tool_call_event,
    with_json_object,
)
from cprlint.importers.shapes import ShapesRead
from cprlint.importers.sources import FirstPlaces, JsonItem, iter_json_items
from cprlint.importers.usage import UsageError, langfuse_usage
from cprlint.model import Usage

CONVERSATION_ATTRIBUTES = ("sessionId",)
CALL_ATTRIBUTES = {"prompt": ("promptName",), "prompt_version": ("promptVersion",)}
_CALL_TYPES = ("GENERATION", "EMBEDDING")
# Observations around calls: usage on them, when there is any, sums their children's.
_WRAPPER_TYPES = ("AGENT", "CHAIN")
# Large fields that are not labels: kept out of the attributes a mapping can name.
_CONTENT_FIELDS = ("input", "output", "modelParameters", "usage", "usageDetails", "costDetails")
_TRACE_CONTENT_FIELDS = (*_CONTENT_FIELDS, "observations", "scores", "corrections")
OWN_SHAPE = "observations (JSON Lines, a JSON array or an API page)"
TRACE_SHAPE = "a Langfuse trace with its observations (`{trace, observations}`)"


@dataclass(frozen=True)
class _Trace:
    """A trace the observations came with: its id, and its fields as attributes."""

    id: str | None
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Entry:
    """An observation to read, or (`is_trace`) the trace itself."""

    key_path: KeyPath
    raw: Any
    trace: _Trace | None = None
    is_trace: bool = False


def read(path: str, stream: IO[bytes], context: ImportContext) -> Iterator[Record]:
    shapes = ShapesRead(OWN_SHAPE)
    places = FirstPlaces()
    for item in iter_json_items(path, stream):
        if isinstance(item, Problem):
            context.add(item)
            continue
        for entry in _entries(item, shapes):
            yield from _records(item, entry, context, places)
    shapes.report(context)


def _entries(item: JsonItem, shapes: ShapesRead) -> Iterator[_Entry]:
    data = item.data
    values: list[tuple[KeyPath, Any]]
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        values = [(("data", index), raw) for index, raw in enumerate(data["data"])]
    elif isinstance(data, list):
        values = [((index,), raw) for index, raw in enumerate(data)]
    else:
        values = [((), data)]
    for key_path, value in values:
        if _is_trace(value):
            yield from _trace_entries(item, key_path, value, shapes)
        else:
            yield _Entry(key_path, value)


def _is_trace(value: Any) -> bool:
    """A trace download (`{"trace", "observations"}`) or a trace with its observations."""
    if not isinstance(value, dict):
        return False
    if isinstance(value.get("trace"), dict):
        return True
    return isinstance(value.get("observations"), list) and "type" not in value


def _trace_entries(
    item: JsonItem, key_path: KeyPath, value: dict[str, Any], shapes: ShapesRead
) -> Iterator[_Entry]:
    download = isinstance(value.get("trace"), dict)
    trace = value["trace"] if download else value
    trace_path = (*key_path, "trace") if download else key_path
    fields = {key: kept for key, kept in trace.items() if key not in _TRACE_CONTENT_FIELDS}
    parent = _Trace(as_text(trace.get("id")), with_json_object(flatten(fields), "metadata"))
    shapes.note(TRACE_SHAPE, lambda: item.locate(*trace_path), "trace")
    yield _Entry(trace_path, trace, parent, is_trace=True)
    seen: set[str] = set()
    for inner_path, observations in _observation_lists(value, trace, download):
        for index, raw in enumerate(as_list(observations)):
            if isinstance(raw, str):
                continue  # an API page's trace lists its observations' ids only
            identifier = as_text(as_dict(raw).get("id"))
            if identifier is not None:
                if identifier in seen:
                    continue
                seen.add(identifier)
            shapes.note(TRACE_SHAPE, lambda: item.locate(*trace_path), "observation")
            yield _Entry((*key_path, *inner_path, index), raw, parent)


def _observation_lists(
    value: dict[str, Any], trace: dict[str, Any], download: bool
) -> list[tuple[KeyPath, Any]]:
    """Where a trace's observations are, relative to the value that holds the trace: a
    download lists them beside the trace, and some nest them in it as well."""
    if not download:
        return [(("observations",), trace.get("observations"))]
    return [
        (("observations",), value.get("observations")),
        (("trace", "observations"), trace.get("observations")),
    ]


def _locator(item: JsonItem, key_path: KeyPath) -> Locator:
    return Locator(item.path, item.line, exact=lambda: item.locate(*key_path))


def _time(raw: dict[str, Any], key: str, context: ImportContext, locate: Locator) -> int:
    what = "trace" if key == "timestamp" else "observation"
    return context.read_time(
        locate, f"the {what} is imported without a time", iso_to_nanoseconds, raw.get(key), key
    )


def _records(
    item: JsonItem, entry: _Entry, context: ImportContext, places: FirstPlaces
) -> Iterator[Record]:
    locate = _locator(item, entry.key_path)
    raw, trace = entry.raw, entry.trace
    if entry.is_trace:
        assert trace is not None  # (a trace entry carries its own)
        if trace.id is not None:
            conversation = context.conversation_of(trace.attributes)
            yield Record(
                unit=trace.id,
                conversation=conversation,
                time=_time(raw, "timestamp", context, locate),
                seq=context.next_seq(),
                location=places.location(item, trace.id, locate),
                labels=context.labels(trace.attributes),
            )
        return
    if not isinstance(raw, dict):
        context.malformed("a Langfuse observation must be an object", locate())
        return
    trace_id = trace.id if trace is not None else None
    unit = as_text(raw.get("traceId")) or trace_id or as_text(raw.get("id"))
    kind = as_text(raw.get("type"))
    if unit is None or kind is None:
        missing = "`traceId`" if unit is None else "`type`"
        context.malformed(f"not a Langfuse observation: no {missing}", locate())
        return
    own = flatten({key: value for key, value in raw.items() if key not in _CONTENT_FIELDS})
    attributes = {
        **(trace.attributes if trace is not None else {}),
        **with_json_object(own, "metadata"),
    }
    conversation = context.conversation_of(attributes)
    status = ERROR if raw.get("level") == "ERROR" else OK
    events: list[dict[str, Any] | None] = []
    kind = kind.upper()
    model = as_text(raw.get("model")) or as_text(raw.get("providedModelName"))
    if kind == "TOOL":
        name = as_text(raw.get("name")) or "tool"
        events = [tool_call_event(name=name, args=parse_arguments(raw.get("input")), status=status)]
    elif kind == "RETRIEVER":
        query = raw.get("input")
        events = [retrieval_event(query if isinstance(query, str) else _last_user_text(query))]
    elif kind in _CALL_TYPES or (kind not in _WRAPPER_TYPES and model and _has_usage(raw)):
        usage = _usage(raw, context, locate)
        context.count_call(model=model, has_usage=usage is not None, locate=locate)
        call = llm_call_event(
            model=model,
            usage=usage,
            status=status,
            error=as_text(raw.get("statusMessage")) if status == ERROR else None,
        )
        call.update(context.call_fields(attributes))
        events = [
            message_event("user", _last_user_text(raw.get("input"))),
            call,
            message_event("assistant", _answer(raw.get("output"))),
        ]
    labels = context.labels(attributes)
    time = _time(raw, "startTime", context, locate)
    if not events and not labels and conversation is None and not time:
        return
    yield Record(
        unit=unit,
        conversation=conversation,
        time=time,
        seq=context.next_seq(),
        location=places.location(item, unit, locate),
        events=tuple(context.redact(event) for event in events if event is not None),
        labels=labels,
    )


def _has_usage(raw: dict[str, Any]) -> bool:
    return bool(as_dict(raw.get("usageDetails")) or as_dict(raw.get("usage")))


def _usage(raw: dict[str, Any], context: ImportContext, locate: Locator) -> Usage | None:
    details = raw.get("usageDetails")
    if not isinstance(details, dict) or not details:
        legacy = as_dict(raw.get("usage"))
        details = {key: legacy[key] for key in ("input", "output", "total") if key in legacy}
    try:
        return langfuse_usage(details)
    except UsageError as error:
        context.malformed(
            f"usage cannot be read: {error}; the call is imported without usage", locate()
        )
        return None


def _last_user_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    messages = as_list(as_dict(value).get("messages")) if isinstance(value, dict) else value
    for message in reversed(as_list(messages)):
        if isinstance(message, dict) and message.get("role") == "user":
            return text_parts(message.get("content"))
    return None


def _answer(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return text_parts(value.get("content"))
    for message in reversed(as_list(value)):
        if isinstance(message, dict) and message.get("role") == "assistant":
            return text_parts(message.get("content"))
    return None
