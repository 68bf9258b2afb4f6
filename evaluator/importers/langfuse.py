"""`langfuse`: Langfuse observation exports (JSON Lines, a JSON array, or an API page).

GENERATION and EMBEDDING observations are `llm_call`s: model `model`, usage from
`usageDetails` (else the older `usage`), normalised by `langfuse_usage`; `promptName`
and `promptVersion` give the call's `prompt` and `prompt_version`; level ERROR is a
failed call. TOOL observations are `tool_call`s (the arguments from `input`), RETRIEVER
observations `retrieval`s. Observations are grouped by `sessionId`, else by `traceId`.
Any field is readable by a mapping file as a dotted path (`metadata.intent`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from cprlint.findings import Problem
from cprlint.importers.context import ImportContext, Locator
from cprlint.importers.records import (
    ERROR,
    OK,
    Record,
    TimeError,
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
)
from cprlint.importers.sources import JsonItem, iter_json_items
from cprlint.importers.usage import UsageError, langfuse_usage
from cprlint.model import Usage

CONVERSATION_ATTRIBUTES = ("sessionId",)
CALL_ATTRIBUTES = {"prompt": ("promptName",), "prompt_version": ("promptVersion",)}
_CALL_TYPES = ("GENERATION", "EMBEDDING")
# Large fields that are not labels: kept out of the attributes a mapping can name.
_CONTENT_FIELDS = ("input", "output", "modelParameters", "usage", "usageDetails", "costDetails")


def read(path: str, stream: IO[bytes], context: ImportContext) -> Iterator[Record]:
    for item in iter_json_items(path, stream):
        if isinstance(item, Problem):
            context.add(item)
            continue
        data = item.data
        observations: list[tuple[tuple[str | int, ...], Any]]
        if isinstance(data, dict) and isinstance(data.get("data"), list):
            observations = [(("data", index), raw) for index, raw in enumerate(data["data"])]
        elif isinstance(data, list):
            observations = [((index,), raw) for index, raw in enumerate(data)]
        else:
            observations = [((), data)]
        for key_path, raw in observations:
            yield from _records(item, key_path, raw, context)


def _locator(item: JsonItem, key_path: tuple[str | int, ...]) -> Locator:
    return Locator(item.path, item.line, exact=lambda: item.locate(*key_path))


def _records(
    item: JsonItem, key_path: tuple[str | int, ...], raw: Any, context: ImportContext
) -> Iterator[Record]:
    locate = _locator(item, key_path)
    if not isinstance(raw, dict):
        context.malformed("a Langfuse observation must be an object", locate())
        return
    unit = as_text(raw.get("traceId")) or as_text(raw.get("id"))
    kind = as_text(raw.get("type"))
    if unit is None or kind is None:
        missing = "`traceId`" if unit is None else "`type`"
        context.malformed(f"not a Langfuse observation: no {missing}", locate())
        return
    attributes = flatten({key: value for key, value in raw.items() if key not in _CONTENT_FIELDS})
    conversation = context.conversation_of(attributes)
    status = ERROR if raw.get("level") == "ERROR" else OK
    events: list[dict[str, Any] | None] = []
    kind = kind.upper()
    if kind in _CALL_TYPES:
        model = as_text(raw.get("model")) or as_text(raw.get("providedModelName"))
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
    elif kind == "TOOL":
        name = as_text(raw.get("name")) or "tool"
        events = [tool_call_event(name=name, args=parse_arguments(raw.get("input")), status=status)]
    elif kind == "RETRIEVER":
        query = raw.get("input")
        events = [retrieval_event(query if isinstance(query, str) else _last_user_text(query))]
    labels = context.labels(attributes)
    if not events and not labels and conversation is None:
        return
    try:
        time = iso_to_nanoseconds(raw.get("startTime"), "startTime")
    except TimeError as error:
        context.malformed(f"{error}; the observation is imported without a time", locate())
        time = 0
    yield Record(
        unit=unit,
        conversation=conversation,
        time=time,
        seq=context.next_seq(),
        location=locate.rough,
        events=tuple(context.redact(event) for event in events if event is not None),
        labels=labels,
    )


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
