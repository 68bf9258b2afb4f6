"""`openinference`: spans with OpenInference attributes (Arize Phoenix), in OTLP JSON.

The span kind (`openinference.span.kind`) says what a span is: LLM and EMBEDDING spans
are `llm_call`s (model `llm.model_name` or `embedding.model_name`; usage from
`llm.token_count.prompt`, `.completion`, `.prompt_details.cache_read`,
`.prompt_details.cache_write`, `.completion_details.reasoning` and `.total`), TOOL spans
`tool_call`s (`tool.name`, the arguments from `input.value`), RETRIEVER spans
`retrieval`s (the query from `input.value`). Spans are grouped by `session.id`, else by
trace. The `metadata` attribute (a JSON object as text) is readable as `metadata.<key>`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

from cprlint.importers.context import ImportContext
from cprlint.importers.otlp import (
    Span,
    indexed_messages,
    label_record,
    last_text,
    read_spans,
    span_locator,
    span_record,
    span_status,
    span_usage,
)
from cprlint.importers.records import (
    Record,
    as_text,
    first_present,
    flatten,
    llm_call_event,
    message_event,
    parse_arguments,
    retrieval_event,
    tool_call_event,
)

CONVERSATION_ATTRIBUTES = ("session.id",)

_USAGE_KEYS = {
    "input_keys": ("llm.token_count.prompt",),
    "output_keys": ("llm.token_count.completion",),
    "cache_read_keys": ("llm.token_count.prompt_details.cache_read",),
    "cache_write_keys": ("llm.token_count.prompt_details.cache_write",),
    "reasoning_keys": ("llm.token_count.completion_details.reasoning",),
    "total_keys": ("llm.token_count.total",),
}


def read(path: str, stream: IO[bytes], context: ImportContext) -> Iterator[Record]:
    return read_spans(path, stream, context, span_records)


def _with_metadata(attributes: dict[str, Any]) -> dict[str, Any]:
    metadata = attributes.get("metadata")
    if isinstance(metadata, str) and metadata.startswith("{"):
        try:
            parsed = json.loads(metadata)
        except (ValueError, RecursionError):
            return attributes
        extra = flatten(parsed, "metadata")
        return {**extra, **attributes}
    return attributes


def span_records(span: Span, context: ImportContext) -> Iterator[Record]:
    span.attributes = attributes = _with_metadata(span.attributes)
    kind = (as_text(attributes.get("openinference.span.kind")) or "").upper()
    conversation = context.conversation_of(attributes)
    status, error = span_status(span, "exception.type")
    if kind == "TOOL":
        tool = tool_call_event(
            name=as_text(attributes.get("tool.name")) or span.name or "tool",
            args=parse_arguments(attributes.get("input.value")),
            status=status,
        )
        yield span_record(span, context, conversation=conversation, events=[tool])
        return
    if kind == "RETRIEVER":
        query = as_text(attributes.get("input.value"))
        yield span_record(span, context, conversation=conversation, events=[retrieval_event(query)])
        return
    if kind not in ("LLM", "EMBEDDING"):
        yield from label_record(span, context, conversation)
        return
    model = as_text(first_present(attributes, ("llm.model_name", "embedding.model_name")))
    usage = span_usage(span, context, **_USAGE_KEYS)
    context.count_call(model=model, has_usage=usage is not None, locate=span_locator(span))
    call = llm_call_event(model=model, usage=usage, status=status, error=error)
    call.update(context.call_fields(attributes))
    inputs = indexed_messages(
        attributes, "llm.input_messages", role=".message.role", content=".message.content"
    )
    outputs = indexed_messages(
        attributes, "llm.output_messages", role=".message.role", content=".message.content"
    )
    events = [
        message_event("user", last_text(inputs, "user")),
        call,
        message_event("assistant", last_text(outputs, None)),
    ]
    yield span_record(span, context, conversation=conversation, events=events)
