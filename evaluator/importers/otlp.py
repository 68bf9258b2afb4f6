"""Spans of an OTLP JSON trace export (`ExportTraceServiceRequest`), with flat attributes.

Shared by the `otel` and `openinference` importers, which differ only in the attribute
names they read. Attribute values (`AnyValue`) become plain values; a key-value list
value also gives dotted keys (`metadata.intent`), so a mapping file can name them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

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
    shown,
)
from cprlint.importers.sources import JsonItem, iter_json_items
from cprlint.importers.usage import UsageError, token_count, usage_from_parts
from cprlint.model import Usage

_ERROR_CODES = (2, "2", "STATUS_CODE_ERROR", "ERROR")


@dataclass
class Span:
    item: JsonItem
    key_path: tuple[str | int, ...]
    trace_id: str
    span_id: str
    name: str
    start: int
    attributes: dict[str, Any]
    is_error: bool = False
    status_message: str | None = None
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def locate(self, *inner: str | int) -> Location:
        return self.item.locate(*self.key_path, *inner)


class NotOtlp(ValueError):
    """The value is not an OTLP trace export; the message says why."""


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
    """A list of `{key, value}` as a dict; key-value lists also as dotted keys."""
    result: dict[str, Any] = {}
    for entry in as_list(raw):
        entry = as_dict(entry)
        key = entry.get("key")
        if not isinstance(key, str):
            continue
        value = any_value(entry.get("value"))
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


def _start_time(value: Any) -> int:
    """A span's `startTimeUnixNano` (a uint64, as text or a number); 0 when absent.

    TimeError when it is no whole number of nanoseconds, or past the year 9999.
    """
    if value is None or value == "":
        return 0
    if isinstance(value, str) and value.isdecimal():
        # A uint64 has 20 digits: a longer number is past any date, and not worth an int.
        nanoseconds = int(value) if len(value) <= 30 else MAX_TIME + 1
        return checked_time(nanoseconds, "startTimeUnixNano", value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return checked_time(value, "startTimeUnixNano", value)
    raise TimeError(f"`startTimeUnixNano` ({shown(value)}) is not a time in nanoseconds")


def iter_spans(item: JsonItem) -> Iterator[Span | tuple[str, tuple[str | int, ...]]]:
    """Every span of one export request, and each problem as (reason, its key path): a
    broken span in its place, or before a span imported without what cannot be read."""
    data = item.data
    if not isinstance(data, dict) or not isinstance(data.get("resourceSpans"), list):
        raise NotOtlp("not an OTLP trace export: no `resourceSpans` list")
    for resource_index, resource_spans in enumerate(data["resourceSpans"]):
        resource_spans = as_dict(resource_spans)
        resource = attributes_of(as_dict(resource_spans.get("resource")).get("attributes"))
        scope_key = (
            "scopeSpans" if "scopeSpans" in resource_spans else "instrumentationLibrarySpans"
        )
        for scope_index, scope_spans in enumerate(as_list(resource_spans.get(scope_key))):
            for span_index, raw in enumerate(as_list(as_dict(scope_spans).get("spans"))):
                key_path = (
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
                trace_id = as_text(raw.get("traceId"))
                if trace_id is None:
                    yield "the span has no `traceId`", key_path
                    continue
                status = as_dict(raw.get("status"))
                try:
                    start = _start_time(raw.get("startTimeUnixNano"))
                except TimeError as error:
                    reason = f"{error}; the span is imported without a time"
                    yield reason, (*key_path, "startTimeUnixNano")
                    start = 0
                attributes = {**resource, **attributes_of(raw.get("attributes"))}
                yield Span(
                    item=item,
                    key_path=key_path,
                    trace_id=trace_id,
                    span_id=as_text(raw.get("spanId")) or "",
                    name=as_text(raw.get("name")) or "",
                    start=start,
                    attributes=attributes,
                    is_error=status.get("code") in _ERROR_CODES,
                    status_message=as_text(status.get("message")),
                    events=[
                        (as_text(event.get("name")) or "", attributes_of(event.get("attributes")))
                        for event in (as_dict(e) for e in as_list(raw.get("events")))
                    ],
                )


SpanConverter = Callable[[Span, ImportContext], Iterator[Record]]


def read_spans(
    path: str, stream: IO[bytes], context: ImportContext, convert: SpanConverter
) -> Iterator[Record]:
    """Every record the spans of an OTLP JSON file (or JSON Lines of them) give."""
    for item in iter_json_items(path, stream):
        if isinstance(item, Problem):
            context.add(item)
            continue
        try:
            for span in iter_spans(item):
                if isinstance(span, tuple):
                    reason, key_path = span
                    context.malformed(reason, item.locate(*key_path))
                    continue
                yield from convert(span, context)
        except NotOtlp as error:
            context.malformed(str(error), item.locate())


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
    """A span that is no call still tells the conversation's labels and its id."""
    labels = context.labels(span.attributes)
    if labels or conversation is not None:
        yield Record(
            unit=span.trace_id,
            conversation=conversation,
            time=span.start,
            seq=context.next_seq(),
            location=span_locator(span).rough,
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
        location=span_locator(span).rough,
        events=tuple(context.redact(event) for event in events if event is not None),
        labels=context.labels(span.attributes),
    )
