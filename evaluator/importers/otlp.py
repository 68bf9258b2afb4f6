"""Spans of a trace export, in the shapes tools write them, with flat attributes.

Shared by the `otel` and `openinference` importers, which differ only in the attribute
names they read. The formats' own shape is OTLP/JSON: an `ExportTraceServiceRequest`
(`{"resourceSpans": [...]}`), one a document or one a line (the OpenTelemetry
Collector's file exporter). Also read, each with a finding that names the shape
(CPR807), once per file:

- a JSON array of export requests;
- lists of spans: a JSON array, an object's `spans` list (any-agent's trace dump), an
  API page's `data` list (Phoenix's REST API), or one span a line;
- each span as OTLP writes it (`traceId`, attributes as a `{key, value}` list), as the
  OpenTelemetry Python SDK's `ReadableSpan.to_json()` writes it (`context.trace_id` in
  hex, ISO 8601 times, attributes an object; any-agent's the same with integer ids and
  nanoseconds), as the JS SDK's `ReadableSpan` serialises (`spanContext`, times as
  `[seconds, nanoseconds]`), or as Phoenix's REST API gives it (`context`, `span_kind`,
  `status_code`).

Attribute values (OTLP's `AnyValue`s) become plain values; an object value (an OTLP
key-value list, an object in SDK JSON) also gives dotted keys (`metadata.intent`), so a
mapping file can name them. Ids written as numbers are read as the hex OTLP writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from cprlint.documents import KeyPath
from cprlint.findings import Location, Problem
from cprlint.importers.context import ImportContext, Locator
from cprlint.importers.records import (
    ERROR,
    MAX_TIME,
    OK,
    Record,
    TimeError,
    as_dict,
    as_list,
    as_text,
    checked_time,
    iso_to_nanoseconds,
    shown,
)
from cprlint.importers.shapes import ShapesRead
from cprlint.importers.sources import FirstPlaces, JsonItem, iter_json_items
from cprlint.importers.usage import UsageError, token_count, usage_from_parts
from cprlint.model import Usage

_ERROR_CODES = (2, "2", "STATUS_CODE_ERROR", "ERROR")
OTLP_REQUEST = "an OTLP/JSON export request (`resourceSpans`)"
_REQUEST_ARRAY = "a JSON array of OTLP/JSON export requests"
# Where a list of spans may be, besides a JSON array: key -> how the finding names it.
_SPAN_LISTS = {"spans": "an object's `spans` list", "data": "an API page's `data` list"}
_SPAN_ARRAY = "a JSON array of spans"
_LONE_SPAN = "single spans (a span a document or a line)"


@dataclass
class Span:
    item: JsonItem
    key_path: KeyPath
    trace_id: str
    name: str
    start: int
    attributes: dict[str, Any]
    is_error: bool = False
    status_message: str | None = None
    # Where its record is placed (cprlint.importers.sources.FirstPlaces).
    place: Location | None = None

    def locate(self, *inner: str | int) -> Location:
        return self.item.locate(*self.key_path, *inner)


class NotOtlp(ValueError):
    """The value is no trace export in a shape cprlint reads; the message says why."""


def any_value(value: Any) -> Any:
    """An OTLP `AnyValue` as a plain value (None for an empty or unknown one)."""
    value = as_dict(value)
    if "stringValue" in value:
        text = value["stringValue"]
        return text if isinstance(text, str) else None
    if "intValue" in value:
        number = value["intValue"]
        digits = number.removeprefix("-") if isinstance(number, str) else ""
        if digits.isdecimal() and len(digits) < 20:  # an int64, as OTLP JSON writes it
            return int(number)
        return number  # a broken count stays as it was; reading it as usage reports it
    if "doubleValue" in value:
        number = value["doubleValue"]
        return number if isinstance(number, int | Decimal) else None
    if "boolValue" in value:
        flag = value["boolValue"]
        return flag if isinstance(flag, bool) else None
    if "arrayValue" in value:
        return [any_value(item) for item in as_list(as_dict(value["arrayValue"]).get("values"))]
    if "kvlistValue" in value:
        return attributes_of(as_dict(value["kvlistValue"]).get("values"))
    if "bytesValue" in value:
        return as_text(value["bytesValue"])
    return None


def attributes_of(raw: Any) -> dict[str, Any]:
    """Attributes as a dict, object values also as dotted keys: an OTLP list of
    `{key, value}`, or the object an SDK writes."""
    result: dict[str, Any] = {}
    if isinstance(raw, dict):
        entries = [(key, value) for key, value in raw.items() if isinstance(key, str)]
    else:
        entries = [
            (entry["key"], any_value(entry.get("value")))
            for entry in (as_dict(entry) for entry in as_list(raw))
            if isinstance(entry.get("key"), str)
        ]
    for key, value in entries:
        result[key] = value
        if isinstance(value, dict):
            for inner_key, inner in _dotted(value, key):
                result.setdefault(inner_key, inner)
    return result


def _dotted(value: dict[str, Any], prefix: str) -> Iterator[tuple[str, Any]]:
    for key, item in value.items():
        if isinstance(item, dict):
            yield from _dotted(item, f"{prefix}.{key}")
        else:
            yield f"{prefix}.{key}", item


def _start_time(value: Any, name: str) -> int:
    """A span's start in nanoseconds since the epoch; 0 when absent.

    OTLP's `startTimeUnixNano` (a uint64, as text or a number; any-agent's `start_time`
    too), an ISO 8601 time (the Python SDK's, Phoenix's) or the JS SDK's `[seconds,
    nanoseconds]`. TimeError when it is none of them, or past the year 9999.
    """
    if value is None or value == "":
        return 0
    if isinstance(value, str) and value.isdecimal():
        # A uint64 has 20 digits: a longer number is past any date, and not worth an int.
        nanoseconds = int(value) if len(value) <= 30 else MAX_TIME + 1
        return checked_time(nanoseconds, name, value)
    if isinstance(value, str) and name != "startTimeUnixNano":
        return iso_to_nanoseconds(value, name)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return checked_time(value, name, value)
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(part, int) and not isinstance(part, bool) for part in value)
        and value[0] >= 0
        and 0 <= value[1] < 1_000_000_000
    ):
        seconds = value[0] if value[0] <= MAX_TIME // 1_000_000_000 else MAX_TIME
        return checked_time(seconds * 1_000_000_000 + value[1], name, value)
    raise TimeError(f"`{name}` ({shown(value)}) is not a time in nanoseconds")


def _identifier(value: Any) -> str | None:
    """A trace id: hex text as OTLP writes it (the Python SDK's `0x` dropped); an id
    written as a number (any-agent's) as that hex."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 1 << 128:
        return f"{value:032x}" if value >= 1 << 64 else f"{value:016x}"
    text = as_text(value)
    if text is not None and text.lower().startswith("0x"):
        return text[2:].lower() or None
    return text


def _span_style(raw: dict[str, Any]) -> str:
    """Who wrote a span, by its keys: the singular noun of the CPR807 finding."""
    if "spanContext" in raw or "_spanContext" in raw:
        return "OpenTelemetry JS SDK span"
    if "span_kind" in raw or "status_code" in raw:
        return "Phoenix REST span"
    if "context" in raw:
        return "OpenTelemetry Python SDK span"
    return "OTLP span"


def iter_spans(item: JsonItem, shapes: ShapesRead) -> Iterator[Span | tuple[str, KeyPath]]:
    """Every span of one JSON value of an export, and each problem as (reason, its key
    path): a broken span in its place, or before a span imported without what cannot be
    read. NotOtlp when the value holds no spans in any shape cprlint reads."""
    data = item.data
    if isinstance(data, dict) and isinstance(data.get("resourceSpans"), list):
        yield from _request_spans(item, data, ())
        return
    if (
        isinstance(data, list)
        and data
        and all(isinstance(value, dict) and "resourceSpans" in value for value in data)
    ):
        for index, request in enumerate(data):
            for span in _request_spans(item, request, (index,)):
                if isinstance(span, Span):
                    shapes.note(_REQUEST_ARRAY, item.locate, "OTLP span")
                yield span
        return
    shape, prefix, raws = _span_list(data)
    for index, raw in enumerate(raws):
        key_path = (*prefix, index) if shape != _LONE_SPAN else ()
        if not isinstance(raw, dict):
            yield "a span must be an object", key_path
            continue
        shapes.note(shape, item.locate, _span_style(raw))
        yield from _span(item, key_path, raw, _sdk_resource(as_dict(raw.get("resource"))))


def _sdk_resource(resource: dict[str, Any]) -> dict[str, Any]:
    """The attributes of a span's resource as an SDK serialises it: an object's
    `attributes` (Python), or the JS SDK's private fields (`_rawAttributes`, pairs)."""
    for key in ("attributes", "_attributes", "_syncAttributes"):
        if isinstance(resource.get(key), dict | list):
            return attributes_of(resource[key])
    pairs = [as_list(pair) for pair in as_list(resource.get("_rawAttributes"))]
    return attributes_of(
        {pair[0]: pair[1] for pair in pairs if len(pair) == 2 and isinstance(pair[0], str)}
    )


def _span_list(data: Any) -> tuple[str, KeyPath, list[Any]]:
    """(how the finding names the shape, the key path of the list, its spans)."""
    if isinstance(data, list):
        return _SPAN_ARRAY, (), data
    if isinstance(data, dict):
        for key, shape in _SPAN_LISTS.items():
            if isinstance(data.get(key), list):
                return shape, (key,), data[key]
        if any(key in data for key in ("context", "spanContext", "_spanContext", "traceId")):
            return _LONE_SPAN, (), [data]
    raise NotOtlp(
        "not a trace export: no `resourceSpans` list (OTLP/JSON), and no list of spans "
        "(a JSON array, `spans` or `data`)"
    )


def _request_spans(
    item: JsonItem, request: dict[str, Any], prefix: KeyPath
) -> Iterator[Span | tuple[str, KeyPath]]:
    """The spans of one `ExportTraceServiceRequest`, resource attributes included."""
    for resource_index, resource_spans in enumerate(as_list(request.get("resourceSpans"))):
        resource_spans = as_dict(resource_spans)
        resource = attributes_of(as_dict(resource_spans.get("resource")).get("attributes"))
        scope_key = (
            "scopeSpans" if "scopeSpans" in resource_spans else "instrumentationLibrarySpans"
        )
        for scope_index, scope_spans in enumerate(as_list(resource_spans.get(scope_key))):
            for span_index, raw in enumerate(as_list(as_dict(scope_spans).get("spans"))):
                key_path = (
                    *prefix,
                    "resourceSpans",
                    resource_index,
                    scope_key,
                    scope_index,
                    "spans",
                    span_index,
                )
                if not isinstance(raw, dict):
                    yield "a span must be an object", key_path
                    continue
                yield from _span(item, key_path, raw, resource)


def _span(
    item: JsonItem, key_path: KeyPath, raw: dict[str, Any], resource: dict[str, Any]
) -> Iterator[Span | tuple[str, KeyPath]]:
    """One span, whoever wrote it: its ids, start, attributes and status."""
    context = as_dict(raw.get("context") or raw.get("spanContext") or raw.get("_spanContext"))
    if "traceId" in raw:
        trace_id = as_text(raw.get("traceId"))
    else:
        trace_id = _identifier(context.get("trace_id", context.get("traceId")))
    if trace_id is None:
        missing = "`traceId`" if not context else "trace id in its context"
        yield f"the span has no {missing}", key_path
        return
    time_key = next(
        (key for key in ("startTimeUnixNano", "start_time", "startTime") if key in raw),
        "startTimeUnixNano",
    )
    try:
        start = _start_time(raw.get(time_key), time_key)
    except TimeError as error:
        yield f"{error}; the span is imported without a time", (*key_path, time_key)
        start = 0
    attributes = {**resource, **attributes_of(raw.get("attributes"))}
    span_kind = as_text(raw.get("span_kind"))  # Phoenix names the OpenInference kind apart
    if span_kind is not None:
        attributes.setdefault("openinference.span.kind", span_kind)
    status = as_dict(raw.get("status"))
    code = status.get("code", status.get("status_code", raw.get("status_code")))
    message = status.get("message", status.get("description", raw.get("status_message")))
    yield Span(
        item=item,
        key_path=key_path,
        trace_id=trace_id,
        name=as_text(raw.get("name")) or "",
        start=start,
        attributes=attributes,
        is_error=code in _ERROR_CODES or (isinstance(code, str) and code.upper() == "ERROR"),
        status_message=as_text(message),
    )


SpanConverter = Callable[[Span, ImportContext], Iterator[Record]]


def read_spans(
    path: str, stream: IO[bytes], context: ImportContext, convert: SpanConverter
) -> Iterator[Record]:
    """Every record the spans of a trace export file give, in whichever shape it is."""
    shapes = ShapesRead(OTLP_REQUEST)
    places = FirstPlaces()
    for item in iter_json_items(path, stream):
        if isinstance(item, Problem):
            context.add(item)
            continue
        try:
            for span in iter_spans(item, shapes):
                if isinstance(span, tuple):
                    reason, key_path = span
                    context.malformed(reason, item.locate(*key_path))
                    continue
                span.place = places.location(item, span.trace_id, span.locate)
                yield from convert(span, context)
        except NotOtlp as error:
            context.malformed(str(error), item.locate())
    shapes.report(context)


def span_locator(span: Span) -> Locator:
    return Locator(span.item.path, span.item.line, exact=span.locate)


def span_usage(
    span: Span,
    context: ImportContext,
    *,
    input_keys: tuple[str, ...],
    output_keys: tuple[str, ...],
    cache_read_keys: tuple[str, ...] = (),
    cache_write_keys: tuple[str, ...] = (),
    reasoning_keys: tuple[str, ...] = (),
    total_keys: tuple[str, ...] = (),
) -> Usage | None:
    """The span's usage from the first present attribute of each kind, normalised."""
    attributes = span.attributes

    def count(keys: tuple[str, ...]) -> int | None:
        for key in keys:
            if attributes.get(key) is not None:
                return token_count(attributes[key], key)
        return None

    try:
        return usage_from_parts(
            input_tokens=count(input_keys),
            output_tokens=count(output_keys),
            cache_read=count(cache_read_keys) or 0,
            cache_write=count(cache_write_keys) or 0,
            reasoning=count(reasoning_keys) or 0,
            total=count(total_keys),
        )
    except UsageError as error:
        context.malformed(
            f"usage cannot be read: {error}; the call is imported without usage", span.locate()
        )
        return None


def span_status(span: Span, *error_keys: str) -> tuple[str, str | None]:
    error_type = next(
        (
            as_text(span.attributes.get(key))
            for key in error_keys
            if as_text(span.attributes.get(key))
        ),
        None,
    )
    if span.is_error or error_type:
        return ERROR, span.status_message or error_type
    return OK, None


def indexed_messages(
    attributes: Mapping[str, Any], prefix: str, *, role: str, content: str
) -> list[tuple[str | None, str]]:
    """Messages flattened into attributes: `<prefix>.<n><role>` and `<prefix>.<n><content>`."""
    found: dict[int, dict[str, Any]] = {}
    start = len(prefix) + 1
    for key, value in attributes.items():
        if not key.startswith(prefix + "."):
            continue
        number, _, rest = key[start:].partition(".")
        if not number.isdecimal() or len(number) > 6:
            continue
        if "." + rest == role:
            found.setdefault(int(number), {})["role"] = value
        elif "." + rest == content and isinstance(value, str):
            found.setdefault(int(number), {})["content"] = value
    return [
        (as_text(found[n].get("role")), found[n]["content"])
        for n in sorted(found)
        if "content" in found[n]
    ]


def last_text(messages: list[tuple[str | None, str]], wanted_role: str | None) -> str | None:
    for message_role, text in reversed(messages):
        if wanted_role is None or message_role == wanted_role:
            return text
    return None


def label_record(span: Span, context: ImportContext, conversation: str | None) -> Iterator[Record]:
    """A span that is no call still tells the conversation's labels, its id, and when it
    started: a trace's root span (the agent's run) starts before its first call."""
    labels = context.labels(span.attributes)
    if labels or conversation is not None or span.start:
        yield Record(
            unit=span.trace_id,
            conversation=conversation,
            time=span.start,
            seq=context.next_seq(),
            location=span.place or span_locator(span).rough,
            labels=labels,
        )


def span_record(
    span: Span,
    context: ImportContext,
    *,
    conversation: str | None,
    events: list[dict[str, Any] | None],
) -> Record:
    return Record(
        unit=span.trace_id,
        conversation=conversation,
        time=span.start,
        seq=context.next_seq(),
        location=span.place or span_locator(span).rough,
        events=tuple(context.redact(event) for event in events if event is not None),
        labels=context.labels(span.attributes),
    )
