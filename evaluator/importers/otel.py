"""`otel`: OpenTelemetry GenAI spans (semantic conventions `gen_ai.*`), OTLP JSON or the
span lists SDKs and tools write (cprlint.importers.otlp).

- An inference span (`gen_ai.operation.name` chat, text_completion, generate_content,
  embeddings), or any other span with a model and token usage whatever its operation
  (any-agent's `call_llm`, older instrumentations' none), is an `llm_call`: model
  `gen_ai.response.model` (the one that served), the request's `gen_ai.request.model`
  kept as `requested_model` when it differs; usage from `gen_ai.usage.input_tokens` /
  `output_tokens` (or the older `prompt_tokens` / `completion_tokens`),
  `cache_read.input_tokens`, `cache_creation.input_tokens` or
  `cache_write.input_tokens`, `reasoning.output_tokens`, normalised by
  `usage_from_parts`. A span with status ERROR (or `error.type`) is a failed call.
- The Vercel AI SDK's provider calls (`ai.operationId` `ai.*.doGenerate`, `doStream`,
  `doEmbed`) are calls too, read from its own `ai.model.id` and `ai.usage.*` where they
  carry no `gen_ai.*` (its embeddings); its outer `ai.*` spans sum their children's.
- An `execute_tool` span is a `tool_call` (`gen_ai.tool.name`, the arguments from
  `gen_ai.tool.call.arguments`), failed when the span failed.
- Spans are grouped by `gen_ai.conversation.id` (any span of a trace that carries it
  puts the whole trace in that conversation), else by trace.
- Message texts come from `gen_ai.input.messages` / `gen_ai.output.messages`, or the
  indexed `gen_ai.prompt.N.*` / `gen_ai.completion.N.*` attributes.

Agent spans (`invoke_agent`, `create_agent`) are not calls: their usage, when they
report one, sums their children's.
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
    as_dict,
    as_list,
    as_text,
    llm_call_event,
    message_event,
    parse_arguments,
    text_parts,
    tool_call_event,
)

LLM_OPERATIONS = frozenset(
    {"chat", "text_completion", "completion", "generate_content", "embeddings", "responses"}
)
TOOL_OPERATION = "execute_tool"
# Spans around calls: their usage, when they report one, sums their children's.
AGENT_OPERATIONS = frozenset({"invoke_agent", "create_agent"})
CONVERSATION_ATTRIBUTES = ("gen_ai.conversation.id",)

# The Vercel AI SDK's spans of one provider call (`ai.generateText.doGenerate`).
_VERCEL_CALL_STEPS = (".doGenerate", ".doStream", ".doEmbed")
_VERCEL_USAGE_KEYS = {
    "input_keys": ("ai.usage.inputTokens", "ai.usage.promptTokens", "ai.usage.tokens"),
    "output_keys": ("ai.usage.outputTokens", "ai.usage.completionTokens"),
    "cache_read_keys": ("ai.usage.cachedInputTokens",),
    "reasoning_keys": ("ai.usage.reasoningTokens",),
    "total_keys": ("ai.usage.totalTokens",),
}
_USAGE_KEYS = {
    "input_keys": ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"),
    "output_keys": ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"),
    "cache_read_keys": (
        "gen_ai.usage.cache_read.input_tokens",
        "gen_ai.usage.cache_read_input_tokens",
    ),
    "cache_write_keys": (
        "gen_ai.usage.cache_creation.input_tokens",
        "gen_ai.usage.cache_write.input_tokens",
        "gen_ai.usage.cache_creation_input_tokens",
    ),
    "reasoning_keys": ("gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.reasoning_tokens"),
    "total_keys": ("gen_ai.usage.total_tokens", "llm.usage.total_tokens"),
}


def read(path: str, stream: IO[bytes], context: ImportContext) -> Iterator[Record]:
    return read_spans(path, stream, context, span_records)


def _has_usage(attributes: dict[str, Any], usage_keys: dict[str, tuple[str, ...]]) -> bool:
    """Whether the span reports input or output tokens under these keys."""
    counts = (*usage_keys["input_keys"], *usage_keys["output_keys"])
    return any(attributes.get(key) is not None for key in counts)


def span_records(span: Span, context: ImportContext) -> Iterator[Record]:
    attributes = span.attributes
    operation = as_text(attributes.get("gen_ai.operation.name"))
    conversation = context.conversation_of(attributes)
    if operation in AGENT_OPERATIONS:
        yield from label_record(span, context, conversation)
        return
    if operation == TOOL_OPERATION:
        status, _ = span_status(span, "error.type")
        tool = tool_call_event(
            name=as_text(attributes.get("gen_ai.tool.name")) or span.name or "tool",
            args=parse_arguments(attributes.get("gen_ai.tool.call.arguments")),
            status=status,
        )
        yield span_record(span, context, conversation=conversation, events=[tool])
        return
    requested = as_text(attributes.get("gen_ai.request.model"))
    model = as_text(attributes.get("gen_ai.response.model")) or requested
    usage_keys: dict[str, tuple[str, ...]] = _USAGE_KEYS
    vercel_step = as_text(attributes.get("ai.operationId")) or ""
    if vercel_step.endswith(_VERCEL_CALL_STEPS) and not _has_usage(attributes, _USAGE_KEYS):
        model = model or as_text(attributes.get("ai.model.id"))
        usage_keys = _VERCEL_USAGE_KEYS
    is_call = operation in LLM_OPERATIONS or (
        model is not None and _has_usage(attributes, usage_keys)
    )
    if not is_call:
        yield from label_record(span, context, conversation)
        return
    usage = span_usage(span, context, **usage_keys)
    context.count_call(model=model, has_usage=usage is not None, locate=span_locator(span))
    status, error = span_status(span, "error.type")
    call = llm_call_event(
        model=model, requested_model=requested, usage=usage, status=status, error=error
    )
    call.update(context.call_fields(attributes))
    user_text, answer = _messages(attributes)
    events = [message_event("user", user_text), call, message_event("assistant", answer)]
    yield span_record(span, context, conversation=conversation, events=events)


def _structured(value: Any) -> list[Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            return []
    return as_list(value)


def _parts_text(message: dict[str, Any]) -> str | None:
    parts = message.get("parts")
    if parts is None:
        return text_parts(message.get("content"))
    texts = [
        part["content"]
        for part in as_list(parts)
        if as_dict(part).get("type") == "text" and isinstance(as_dict(part).get("content"), str)
    ]
    return "\n".join(texts) or None


def _messages(attributes: dict[str, Any]) -> tuple[str | None, str | None]:
    user_text = answer = None
    for message in reversed(_structured(attributes.get("gen_ai.input.messages"))):
        if as_dict(message).get("role") == "user":
            user_text = _parts_text(as_dict(message))
            break
    for message in _structured(attributes.get("gen_ai.output.messages")):
        answer = _parts_text(as_dict(message)) or answer
    if user_text is None:
        prompts = indexed_messages(attributes, "gen_ai.prompt", role=".role", content=".content")
        user_text = last_text(prompts, "user")
    if answer is None:
        completions = indexed_messages(
            attributes, "gen_ai.completion", role=".role", content=".content"
        )
        answer = last_text(completions, None)
    return user_text, answer
