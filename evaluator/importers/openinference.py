"""`openinference`: spans with OpenInference attributes (Arize Phoenix), in OTLP JSON or
the span lists SDKs and Phoenix's REST API write (cprlint.importers.otlp).

The span kind (`openinference.span.kind`, or Phoenix's `span_kind`) says what a span is:
LLM and EMBEDDING spans are `llm_call`s (model `llm.model_name` or
`embedding.model_name`, and the one asked for, `model` of `llm.invocation_parameters`,
as `requested_model` when it differs; usage from `llm.token_count.prompt`,
`.completion`, `.prompt_details.cache_read`, `.prompt_details.cache_write`,
`.completion_details.reasoning` and `.total`), TOOL spans `tool_call`s (`tool.name`, the
arguments from `input.value`), RETRIEVER spans `retrieval`s (the query from
`input.value`). A span of another kind that carries a model and token counts is a call
too, except AGENT and CHAIN spans, whose counts sum their children's. Spans are grouped
by `session.id`, else by trace. The `metadata` attribute (a JSON object as text) is
readable as `metadata.<key>`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO

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
    llm_call_event,
    message_event,
    parse_arguments,
    retrieval_event,
    tool_call_event,
    with_json_object,
)

CONVERSATION_ATTRIBUTES = ("session.id",)
CALL_KINDS = ("LLM", "EMBEDDING")
# Kinds around calls: token counts on them, when there are any, sum their children's.
WRAPPER_KINDS = ("AGENT", "CHAIN")
_MODEL_KEYS = ("llm.model_name", "embedding.model_name")

_USAGE_KEYS = {
    "input_keys": ("llm.token_count.prompt",),
    "output_keys": ("llm.token_count.completion",),
    "cache_read_keys": ("llm.token_count.prompt_details.cache_read",),
    "cache_write_keys": ("llm.token_count.prompt_details.cache_write",),
    "reasoning_keys": ("llm.token_count.completion_details.reasoning",),
    "total_keys": ("llm.token_count.total",),
}
_COUNT_KEYS = (*_USAGE_KEYS["input_keys"], *_USAGE_KEYS["output_keys"])


def read(path: str, stream: IO[bytes], context: ImportContext) -> Iterator[Record]:
    return read_spans(path, stream, context, span_records)


def _requested_model(attributes: dict[str, object]) -> str | None:
    """The `model` of `llm.invocation_parameters` (the request's parameters, as JSON)."""
    parameters = attributes.get("llm.invocation_parameters")
    if not isinstance(parameters, str) or '"model"' not in parameters:
        return None
    try:
        model = json.loads(parameters).get("model")
    except (ValueError, RecursionError, AttributeError):
        return None
    return as_text(model)


def span_records(span: Span, context: ImportContext) -> Iterator[Record]:
    span.attributes = attributes = with_json_object(span.attributes, "metadata")
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
    model = as_text(first_present(attributes, _MODEL_KEYS))
    counted = any(attributes.get(key) is not None for key in _COUNT_KEYS)
    is_call = kind in CALL_KINDS or (kind not in WRAPPER_KINDS and model is not None and counted)
    if not is_call:
        yield from label_record(span, context, conversation)
        return
    usage = span_usage(span, context, **_USAGE_KEYS)
    context.count_call(model=model, has_usage=usage is not None, locate=span_locator(span))
    call = llm_call_event(
        model=model,
        requested_model=_requested_model(attributes),
        usage=usage,
        status=status,
        error=error,
    )
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
