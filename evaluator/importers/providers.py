"""LLM API calls as proxies and HTTP recordings hold them: a request body and a response.

One parser per API, each turning a request and its response (a JSON body, or a streamed
one as server-sent events or AWS event-stream messages) into a `ParsedCall`: the model
that served the call (the response's, `gpt-4o-2024-08-06`) and the one the request asked
for (`gpt-4o`), the usage normalised to the fixture convention
(cprlint.importers.usage), the status, the text of the last user message and of the
answer, the tool calls the model asked for, and the results of earlier tool calls the
request reports. Used by the `openai`, `anthropic` and `vcr` importers.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from cprlint.documents import parse_json_line, sorted_json
from cprlint.importers.records import (
    ERROR,
    OK,
    as_dict,
    as_list,
    as_text,
    dig,
    epoch_to_nanoseconds,
    iso_to_nanoseconds,
    parse_arguments,
    shown,
    text_parts,
)
from cprlint.importers.usage import (
    UsageError,
    anthropic_usage,
    bedrock_metrics_usage,
    bedrock_usage,
    gemini_usage,
    openai_chat_usage,
    openai_responses_usage,
    token_count,
)
from cprlint.model import Usage

# A response has a handful of content blocks or tool calls; an index in a stream past this
# is a broken record, not a long answer.
MAX_STREAM_INDEX = 10_000
# Unreadable parts of one response reported one by one; the rest are counted.
MAX_PROBLEMS_PER_CALL = 5


@dataclass(frozen=True)
class ToolUse:
    name: str
    args: Any
    call_id: str | None = None
    status: str = OK


@dataclass
class ParsedCall:
    # The model that served the call: the response's, else the one asked for.
    model: str | None = None
    # The one the request asked for (the `llm_call` keeps it only when it names another).
    requested_model: str | None = None
    usage: Usage | None = None
    status: str = OK
    error: str | None = None
    input_text: str | None = None
    output_text: str | None = None
    tool_calls: list[ToolUse] = field(default_factory=list)
    tool_results: dict[str, str] = field(default_factory=dict)
    # Why the usage could not be read, when the response has a usage object that is broken.
    usage_problem: str | None = None
    request_hash: str | None = None
    # Other parts of the response that could not be read and were skipped, and how many
    # more there were than are listed.
    problems: list[str] = field(default_factory=list)
    problems_left_out: int = 0
    # Whether the API sends usage only when asked (an OpenAI stream without
    # `stream_options.include_usage`): a call without it is then no broken record.
    usage_optional: bool = False

    def name_models(self, *, requested: str | None, served: str | None) -> None:
        """The served model as `model`, else the requested one; the requested one kept
        apart (records.llm_call_event drops it when it names the same model)."""
        self.model = served or requested
        self.requested_model = requested

    def read_usage(self, reader: Callable[[Mapping[str, Any]], Usage], raw: Any) -> None:
        if not isinstance(raw, dict):
            return
        try:
            self.usage = reader(raw)
        except UsageError as error:
            self.usage_problem = str(error)

    def skip(self, problem: str) -> None:
        """Note a part of the response that is skipped because it cannot be read."""
        if len(self.problems) < MAX_PROBLEMS_PER_CALL:
            self.problems.append(problem)
        else:
            self.problems_left_out += 1

    def fail(self, reason: str | None) -> None:
        """Mark the call failed; the API's own reason wins over a bare HTTP status."""
        self.status = ERROR
        if reason and (not self.error or self.error.startswith("HTTP ")):
            self.error = reason


# --- bodies ------------------------------------------------------------------------------


def parse_body(body: Any) -> Any:
    """A logged body: JSON text becomes its value; other text stays text (an event stream)."""
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            return None
    if isinstance(body, str):
        stripped = body.strip()
        if stripped[:1] in ("{", "["):
            try:
                return parse_json_line(stripped)
            except (ValueError, RecursionError):
                return body
        return body
    return body


def iter_sse(text: str) -> Iterator[tuple[str | None, str]]:
    """Server-sent events: (event name, data) per event, data lines joined."""
    name: str | None = None
    data: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            if data:
                yield name, "\n".join(data)
            name, data = None, []
            continue
        field_name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field_name == "event":
            name = value.strip()
        elif field_name == "data":
            data.append(value)
    if data:
        yield name, "\n".join(data)


def stream_events(body: Any) -> list[dict[str, Any]] | None:
    """The JSON payloads of a streamed response, or None when the body is not a stream.

    A stream is logged as event-stream text, or by some proxies as a list of the parsed
    chunks. Unreadable chunks are dropped: the usage usually comes in the last one, and a
    stream cut short is reported as a call without usage.
    """
    if isinstance(body, list):
        return [item for item in body if isinstance(item, dict)]
    if not isinstance(body, str) or "data:" not in body:
        return None
    events: list[dict[str, Any]] = []
    for name, data in iter_sse(body):
        if data.strip() == "[DONE]":
            continue
        try:
            payload = parse_json_line(data)
        except (ValueError, RecursionError):
            continue
        if isinstance(payload, dict):
            if name and "type" not in payload:
                payload = {**payload, "type": name}
            events.append(payload)
    return events


def as_stream(body: Any) -> Any:
    """A body as the parsers read it: a streamed response as the list of its events, read
    once (`stream_events` of the list is then a cheap filter); any other body as it is."""
    events = stream_events(body)
    return body if events is None else events


def response_id(response: Any) -> str | None:
    """The id the API gave the response (`chatcmpl-...`, `msg_...`, `resp_...`), if any."""
    if isinstance(response, dict):
        return as_text(response.get("id"))
    for event in stream_events(response) or []:
        found = (
            as_text(event.get("id"))
            or as_text(dig(event, "message", "id"))
            or as_text(dig(event, "response", "id"))
        )
        if found:
            return found
    return None


def response_time(response: Any) -> int:
    """When the API says it made the response, in nanoseconds since the epoch; 0 when it
    does not say: OpenAI's `created` (chat) and `created_at` (Responses, also in a
    stream's events), Vertex AI's `createTime`. TimeError when the value is no time."""
    bodies = [response] if isinstance(response, dict) else stream_events(response) or []
    for body in bodies[:3]:  # a stream names its time in its first events
        for where in (body, as_dict(body.get("response"))):
            for key in ("created", "created_at"):
                found = epoch_to_nanoseconds(where.get(key), f"response.{key}")
                if found:
                    return found
            if isinstance(where.get("createTime"), str):
                return iso_to_nanoseconds(where["createTime"], "response.createTime")
    return 0


def request_hash(request: Any) -> str | None:
    """The same request sent again (a retry) has the same hash."""
    if not isinstance(request, dict):
        return None
    return hashlib.sha256(sorted_json(request).encode("utf-8")).hexdigest()[:16]


def _error_text(error: Any) -> str | None:
    if isinstance(error, str):
        return error
    error = as_dict(error)
    return as_text(error.get("code")) or as_text(error.get("type")) or as_text(error.get("message"))


def _stream_index(call: ParsedCall, event: Mapping[str, Any], what: str) -> tuple[bool, int | None]:
    """(True, the event's `index`) when it is absent or a block's position; else the event
    is noted as skipped and (False, None) returned.

    The index keys a dict of blocks: an object or a list there is no key at all, and a
    float, a text or a huge number is no position in a response.
    """
    index = event.get("index")
    if index is None:
        return True, None
    if isinstance(index, int) and not isinstance(index, bool) and 0 <= index <= MAX_STREAM_INDEX:
        return True, index
    call.skip(
        f"{what} has the index {shown(index)}, not a whole number from 0 to "
        f"{MAX_STREAM_INDEX:,}; it is skipped"
    )
    return False, None


def _new_call(request: Any, status_code: int | None) -> ParsedCall:
    call = ParsedCall(request_hash=request_hash(request))
    if status_code is not None and status_code >= 400:
        call.fail(f"HTTP {status_code}")
    return call


# --- OpenAI --------------------------------------------------------------------------------


def _last_user_text(messages: Any, *, types: tuple[str, ...] = ("text",)) -> str | None:
    for message in reversed(as_list(messages)):
        if isinstance(message, dict) and message.get("role") == "user":
            return text_parts(message.get("content"), types=types)
    return None


def is_openai_responses(request: Any, response: Any) -> bool:
    if isinstance(response, dict):
        if response.get("object") == "response":
            return True
        if response.get("object") in ("chat.completion", "list", "text_completion"):
            return False
    events = stream_events(response)
    if events and str(events[0].get("type", "")).startswith("response."):
        return True
    request = as_dict(request)
    return "input" in request and "messages" not in request


def parse_openai(request: Any, response: Any, status_code: int | None = None) -> ParsedCall:
    """OpenAI (and Azure OpenAI, and OpenAI-compatible gateways): chat or Responses.

    The model is the one the response names (`gpt-4o-2024-08-06`; Azure's, whose request
    names a deployment), else the one requested, which is kept too when it differs.
    """
    if is_openai_responses(request, response):
        call = _openai_responses(request, response, status_code)
    else:
        call = _openai_chat(request, response, status_code)
    requested = as_text(as_dict(request).get("model"))
    call.name_models(requested=requested, served=_served_model(response))
    return call


def _served_model(response: Any) -> str | None:
    """The model a response (or the first event of a stream that names one) says served."""
    if isinstance(response, dict):
        return as_text(response.get("model")) or as_text(dig(response, "response", "model"))
    for event in stream_events(response) or []:
        served = as_text(event.get("model")) or as_text(dig(event, "response", "model"))
        if served:
            return served
    return None


def _openai_chat(request: Any, response: Any, status_code: int | None) -> ParsedCall:
    call = _new_call(request, status_code)
    request = as_dict(request)
    call.input_text = _last_user_text(request.get("messages"))
    if call.input_text is None and isinstance(request.get("input"), str):
        call.input_text = request["input"]  # embeddings
    for message in as_list(request.get("messages")):
        if isinstance(message, dict) and message.get("role") == "tool":
            call_id = as_text(message.get("tool_call_id"))
            if call_id:
                call.tool_results[call_id] = OK
    events = stream_events(response)
    if events is not None:
        # Without `include_usage` a stream carries no usage at all: nothing to misread.
        call.usage_optional = dig(request, "stream_options", "include_usage") is not True
        _openai_chat_stream(call, events)
        return call
    response = as_dict(response)
    if response.get("error"):
        call.fail(_error_text(response["error"]))
    call.read_usage(openai_chat_usage, response.get("usage"))
    texts: list[str] = []
    for choice in as_list(response.get("choices")):
        message = as_dict(as_dict(choice).get("message"))
        text = text_parts(message.get("content"))
        if text:
            texts.append(text)
        for tool in as_list(message.get("tool_calls")):
            function = as_dict(as_dict(tool).get("function"))
            name = as_text(function.get("name"))
            if name:
                call.tool_calls.append(
                    ToolUse(
                        name,
                        parse_arguments(function.get("arguments")),
                        as_text(as_dict(tool).get("id")),
                    )
                )
        legacy = as_dict(message.get("function_call"))
        if as_text(legacy.get("name")):
            call.tool_calls.append(
                ToolUse(str(legacy["name"]), parse_arguments(legacy.get("arguments")))
            )
    call.output_text = "\n".join(texts) or None
    return call


def _openai_chat_stream(call: ParsedCall, events: list[dict[str, Any]]) -> None:
    texts: list[str] = []
    tools: dict[int, dict[str, Any]] = {}
    for chunk in events:
        if chunk.get("error"):
            call.fail(_error_text(chunk["error"]))
        if isinstance(chunk.get("usage"), dict):
            call.read_usage(openai_chat_usage, chunk["usage"])
        for choice in as_list(chunk.get("choices")):
            delta = as_dict(as_dict(choice).get("delta"))
            if isinstance(delta.get("content"), str):
                texts.append(delta["content"])
            for tool in as_list(delta.get("tool_calls")):
                tool = as_dict(tool)
                readable, index = _stream_index(call, tool, "a streamed tool call")
                if not readable:
                    continue
                slot = tools.setdefault(len(tools) if index is None else index, {})
                function = as_dict(tool.get("function"))
                if as_text(tool.get("id")):
                    slot["id"] = as_text(tool["id"])
                if as_text(function.get("name")):
                    slot["name"] = as_text(function["name"])
                if isinstance(function.get("arguments"), str):
                    slot["arguments"] = slot.get("arguments", "") + function["arguments"]
    call.output_text = "".join(texts) or None
    for index in sorted(tools):
        slot = tools[index]
        if slot.get("name"):
            call.tool_calls.append(
                ToolUse(slot["name"], parse_arguments(slot.get("arguments")), slot.get("id"))
            )


_RESPONSES_TOOL_ITEMS = {
    "web_search_call": "web_search",
    "file_search_call": "file_search",
    "computer_call": "computer",
    "code_interpreter_call": "code_interpreter",
    "image_generation_call": "image_generation",
    "local_shell_call": "local_shell",
}


def _openai_responses(request: Any, response: Any, status_code: int | None) -> ParsedCall:
    call = _new_call(request, status_code)
    request = as_dict(request)
    given = request.get("input")
    if isinstance(given, str):
        call.input_text = given
    else:
        call.input_text = _last_user_text(given, types=("input_text", "text"))
        for item in as_list(given):
            item = as_dict(item)
            if item.get("type") == "function_call_output" and as_text(item.get("call_id")):
                call.tool_results[str(item["call_id"])] = OK
    events = stream_events(response)
    if events is not None:
        final: dict[str, Any] | None = None
        for event in events:
            kind = event.get("type")
            if isinstance(event.get("response"), dict):
                final = event["response"]  # created, in progress, then completed or failed
            if kind == "error":
                call.fail(_error_text(event.get("error") or event))
        response = final or {}
    response = as_dict(response)
    if response.get("error"):
        call.fail(_error_text(response["error"]))
    if response.get("status") in ("failed", "cancelled"):
        call.fail(f"response {response['status']}")
    call.read_usage(openai_responses_usage, response.get("usage"))
    texts: list[str] = []
    for item in as_list(response.get("output")):
        item = as_dict(item)
        kind = item.get("type")
        status = ERROR if item.get("status") == "failed" else OK
        if kind == "message":
            text = text_parts(item.get("content"), types=("output_text", "text"))
            if text:
                texts.append(text)
        elif kind in ("function_call", "custom_tool_call", "mcp_call") and as_text(
            item.get("name")
        ):
            args = item.get("arguments", item.get("input"))
            call.tool_calls.append(
                ToolUse(
                    str(item["name"]),
                    parse_arguments(args),
                    as_text(item.get("call_id")) or as_text(item.get("id")),
                    ERROR if item.get("error") else status,
                )
            )
        elif isinstance(kind, str) and kind in _RESPONSES_TOOL_ITEMS:
            action = as_dict(item.get("action"))
            args = {"query": action["query"]} if as_text(action.get("query")) else None
            call.tool_calls.append(
                ToolUse(_RESPONSES_TOOL_ITEMS[kind], args, as_text(item.get("id")), status)
            )
    call.output_text = "\n".join(texts) or None
    return call


# --- Anthropic -----------------------------------------------------------------------------


def _anthropic_request(call: ParsedCall, request: Any) -> None:
    request = as_dict(request)
    call.input_text = _last_user_text(request.get("messages"))
    for message in as_list(request.get("messages")):
        for block in as_list(as_dict(message).get("content")):
            block = as_dict(block)
            if block.get("type") == "tool_result" and as_text(block.get("tool_use_id")):
                call.tool_results[str(block["tool_use_id"])] = (
                    ERROR if block.get("is_error") is True else OK
                )


def _anthropic_blocks(call: ParsedCall, blocks: Any) -> None:
    texts: list[str] = []
    for block in as_list(blocks):
        block = as_dict(block)
        if block.get("type") == "text" and isinstance(block.get("text"), str):
            texts.append(block["text"])
        elif block.get("type") in ("tool_use", "server_tool_use") and as_text(block.get("name")):
            call.tool_calls.append(
                ToolUse(
                    str(block["name"]),
                    parse_arguments(block.get("input")),
                    as_text(block.get("id")),
                )
            )
    call.output_text = "\n".join(texts) or None


def parse_anthropic(
    request: Any, response: Any, status_code: int | None = None, *, model: str | None = None
) -> ParsedCall:
    """Anthropic Messages API, direct or through Bedrock InvokeModel or Vertex AI.

    Through a platform, its model id (`model`, from the URL) names the model: the
    platform prices it under that name. Directly, the response's model served the call.
    """
    call = _new_call(request, status_code)
    _anthropic_request(call, request)
    events = stream_events(response)
    if events is not None:
        served = _anthropic_stream(call, events)
    else:
        served = _anthropic_message(call, as_dict(response))
    if model is not None:
        call.model = model
    else:
        call.name_models(requested=as_text(as_dict(request).get("model")), served=served)
    return call


def _anthropic_message(call: ParsedCall, response: dict[str, Any]) -> str | None:
    """Reads a (not streamed) message; returns the model it names."""
    if response.get("type") == "error" or response.get("error"):
        call.fail(_error_text(response.get("error")) or "error")
    call.read_usage(anthropic_usage, response.get("usage"))
    _anthropic_blocks(call, response.get("content"))
    return as_text(response.get("model"))


def _anthropic_stream(call: ParsedCall, events: list[dict[str, Any]]) -> str | None:
    """Reads a streamed message; returns the model its `message_start` names."""
    served: str | None = None
    usage: dict[str, Any] = {}
    # Block index (None where a log dropped it) -> the block, and its tool input so far.
    blocks: dict[int | None, dict[str, Any]] = {}
    partial_json: dict[int | None, str] = {}
    for event in events:
        kind = event.get("type")
        if kind == "message_start":
            message = as_dict(event.get("message"))
            served = served or as_text(message.get("model"))
            usage.update(as_dict(message.get("usage")))
        elif kind in ("content_block_start", "content_block_delta"):
            readable, index = _stream_index(call, event, f"a `{kind}` event")
            if not readable:
                continue
            if kind == "content_block_start":
                blocks[index] = dict(as_dict(event.get("content_block")))
                continue
            block = blocks.setdefault(index, {})
            delta = as_dict(event.get("delta"))
            if delta.get("type") == "text_delta" and isinstance(delta.get("text"), str):
                text = block.get("text")
                block["text"] = (text if isinstance(text, str) else "") + delta["text"]
            elif delta.get("type") == "input_json_delta":
                partial = delta.get("partial_json")
                partial_json[index] = partial_json.get(index, "") + (
                    partial if isinstance(partial, str) else ""
                )
        elif kind == "message_delta":
            # Counts in message_delta are cumulative: the last one is the call's usage.
            usage.update({k: v for k, v in as_dict(event.get("usage")).items() if v is not None})
        elif kind == "error":
            call.fail(_error_text(event.get("error")) or "error")
    for index, text in partial_json.items():
        blocks[index]["input"] = text or "{}"
    _anthropic_blocks(call, list(blocks.values()))
    if usage:
        call.read_usage(anthropic_usage, usage)
    return served


# --- AWS Bedrock ---------------------------------------------------------------------------


def parse_bedrock_converse(
    request: Any, response: Any, status_code: int | None, *, model: str | None
) -> ParsedCall:
    """Converse and ConverseStream; a stream is the list of its events as boto3 gives
    them (`{"contentBlockDelta": {...}}`, `{"metadata": {"usage": ...}}`), decoded from
    the AWS event-stream framing (cprlint.importers.eventstream) or logged as such."""
    call = _new_call(request, status_code)
    call.model = model
    request = as_dict(request)
    for message in reversed(as_list(request.get("messages"))):
        if isinstance(message, dict) and message.get("role") == "user":
            asked = [
                block["text"]
                for block in as_list(message.get("content"))
                if isinstance(block, dict) and isinstance(block.get("text"), str)
            ]
            call.input_text = "\n".join(asked) or None
            break
    for message in as_list(request.get("messages")):
        for block in as_list(as_dict(message).get("content")):
            result = as_dict(as_dict(block).get("toolResult"))
            if as_text(result.get("toolUseId")):
                call.tool_results[str(result["toolUseId"])] = (
                    ERROR if result.get("status") == "error" else OK
                )
    events = stream_events(response)
    if events is not None:
        _bedrock_converse_stream(call, events)
        return call
    response = as_dict(response)
    if "message" in response and "output" not in response and call.status == ERROR:
        call.error = as_text(response.get("message")) or call.error
    call.read_usage(bedrock_usage, response.get("usage"))
    texts: list[str] = []
    for block in as_list(dig(response, "output", "message", "content")):
        block = as_dict(block)
        if isinstance(block.get("text"), str):
            texts.append(block["text"])
        tool = as_dict(block.get("toolUse"))
        if as_text(tool.get("name")):
            call.tool_calls.append(
                ToolUse(
                    str(tool["name"]),
                    parse_arguments(tool.get("input")),
                    as_text(tool.get("toolUseId")),
                )
            )
    call.output_text = "\n".join(texts) or None
    return call


def _stream_failures(call: ParsedCall, event: Mapping[str, Any]) -> None:
    """An exception in an AWS event stream (`{"throttlingException": {"message": ...}}`)
    fails the call: the stream stopped there."""
    for name, payload in event.items():
        if name.endswith("Exception") or name == "error":
            call.fail(as_text(as_dict(payload).get("message")) or name)


def _bedrock_converse_stream(call: ParsedCall, events: list[dict[str, Any]]) -> None:
    texts: dict[int | None, str] = {}
    tools: dict[int | None, dict[str, Any]] = {}
    usage: Any = None
    for event in events:
        _stream_failures(call, event)
        # `metadata` carries the usage; some tools log it on `messageStop` instead.
        for name in ("metadata", "messageStop"):
            found = dig(event, name, "usage")
            if isinstance(found, dict):
                usage = found
        for name in ("contentBlockStart", "contentBlockDelta"):
            payload = as_dict(event.get(name))
            if not payload:
                continue
            readable, index = _stream_index(
                call, {"index": payload.get("contentBlockIndex")}, f"a `{name}` event"
            )
            if not readable:
                continue
            tool = as_dict(dig(payload, "start", "toolUse"))
            if as_text(tool.get("name")):
                tools[index] = {"name": tool["name"], "id": as_text(tool.get("toolUseId"))}
            delta = as_dict(payload.get("delta"))
            if isinstance(delta.get("text"), str):
                texts[index] = texts.get(index, "") + delta["text"]
            partial = dig(delta, "toolUse", "input")
            if isinstance(partial, str) and index in tools:
                tools[index]["input"] = tools[index].get("input", "") + partial
    call.read_usage(bedrock_usage, usage)
    call.output_text = "\n".join(text for text in texts.values() if text) or None
    for tool in tools.values():
        call.tool_calls.append(
            ToolUse(str(tool["name"]), parse_arguments(tool.get("input") or "{}"), tool["id"])
        )


def _invoke_stream_events(call: ParsedCall, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The model's own stream events that InvokeModelWithResponseStream wraps, each the
    base64 JSON of a `{"chunk": {"bytes": ...}}` event."""
    decoded: list[dict[str, Any]] = []
    for event in events:
        _stream_failures(call, event)
        raw = dig(event, "chunk", "bytes")
        if raw is None:
            continue
        try:
            payload = parse_json_line(base64.b64decode(str(raw), validate=True).decode("utf-8"))
        except (binascii.Error, ValueError, RecursionError):  # (UnicodeDecodeError included)
            call.skip("a streamed chunk is not base64 of JSON; it is skipped")
            continue
        if isinstance(payload, dict):
            decoded.append(payload)
    return decoded


def parse_bedrock_invoke(
    request: Any,
    response: Any,
    status_code: int | None,
    *,
    model: str | None,
    headers: Mapping[str, str],
) -> ParsedCall:
    """InvokeModel: the body is the model family's own; the token counts are also headers.

    A stream (InvokeModelWithResponseStream) wraps the model's own stream events, the last
    of which carries Bedrock's `amazon-bedrock-invocationMetrics`: an Anthropic stream is
    read as Anthropic's, any other by those metrics.
    """
    failures = ParsedCall()
    events = stream_events(response)
    chunks = None if events is None else _invoke_stream_events(failures, events)
    body = as_dict(response)
    anthropic = body.get("type") == "message" or "anthropic_version" in as_dict(request)
    if chunks is not None and (
        anthropic or any(chunk.get("type") == "message_start" for chunk in chunks)
    ):
        call = parse_anthropic(request, chunks, status_code, model=model)
    elif chunks is not None:
        call = _new_call(request, status_code)
        call.model = model
        _model_stream_text(call, chunks)
    elif anthropic:
        call = parse_anthropic(request, response, status_code, model=model)
    else:
        call = _new_call(request, status_code)
        call.model = model
        if isinstance(body.get("usage"), dict) and "inputTokens" in body["usage"]:
            call.read_usage(bedrock_usage, body["usage"])  # Amazon Nova
        elif "prompt_token_count" in body:  # Meta Llama
            call.read_usage(
                lambda raw: bedrock_usage(
                    {
                        "inputTokens": raw.get("prompt_token_count"),
                        "outputTokens": raw.get("generation_token_count"),
                    }
                ),
                body,
            )
        if call.status == ERROR and as_text(body.get("message")):
            call.error = str(body["message"])
    if failures.status == ERROR:
        call.fail(failures.error)
    # The chunks' problems count against the call's limit, after its own.
    for problem in failures.problems:
        call.skip(problem)
    call.problems_left_out += failures.problems_left_out
    # Bedrock's own count ends every stream: the usage when the model's events had none.
    metrics = [dig(chunk, "amazon-bedrock-invocationMetrics") for chunk in chunks or []]
    if call.usage is None and call.usage_problem is None and any(metrics):
        call.read_usage(bedrock_metrics_usage, next(m for m in reversed(metrics) if m))
    if call.usage is None and call.usage_problem is None:
        counted = {
            "inputTokens": headers.get("x-amzn-bedrock-input-token-count"),
            "outputTokens": headers.get("x-amzn-bedrock-output-token-count"),
            "cacheReadInputTokens": headers.get("x-amzn-bedrock-cache-read-input-token-count"),
            "cacheWriteInputTokens": headers.get("x-amzn-bedrock-cache-write-input-token-count"),
        }
        if counted["inputTokens"] is not None and counted["outputTokens"] is not None:
            call.read_usage(bedrock_usage, counted)
    return call


def _model_stream_text(call: ParsedCall, chunks: list[dict[str, Any]]) -> None:
    """The answer a streamed InvokeModel body of another family than Anthropic's gave:
    Meta Llama's `generation`, Amazon Titan's `outputText`, Nova's `contentBlockDelta`."""
    texts = [
        text
        for chunk in chunks
        for text in (
            chunk.get("generation"),
            chunk.get("outputText"),
            dig(chunk, "contentBlockDelta", "delta", "text"),
        )
        if isinstance(text, str)
    ]
    call.output_text = "".join(texts) or None


# --- Google Gemini -------------------------------------------------------------------------


def parse_gemini(
    request: Any, response: Any, status_code: int | None, *, model: str | None
) -> ParsedCall:
    """generateContent and streamGenerateContent, on Vertex AI or the Gemini API. The URL
    names the model asked for; `modelVersion` the one that served."""
    call = _new_call(request, status_code)
    served: str | None = None
    request = as_dict(request)
    for content in reversed(as_list(request.get("contents"))):
        if isinstance(content, dict) and content.get("role", "user") == "user":
            asked = [
                part["text"]
                for part in as_list(content.get("parts"))
                if isinstance(part, dict) and isinstance(part.get("text"), str)
            ]
            if asked:
                call.input_text = "\n".join(asked)
                break
    chunks = stream_events(response)
    if chunks is None:
        chunks = response if isinstance(response, list) else [as_dict(response)]
    texts: list[str] = []
    for chunk in chunks:
        chunk = as_dict(chunk)
        if chunk.get("error"):
            call.fail(_error_text(chunk["error"]) or as_text(dig(chunk, "error", "status")))
        served = served or as_text(chunk.get("modelVersion"))
        if isinstance(chunk.get("usageMetadata"), dict):
            call.read_usage(gemini_usage, chunk["usageMetadata"])
        for part in as_list(dig(chunk, "candidates", 0, "content", "parts")):
            part = as_dict(part)
            if isinstance(part.get("text"), str) and part.get("thought") is not True:
                texts.append(part["text"])
            function = as_dict(part.get("functionCall"))
            if as_text(function.get("name")):
                call.tool_calls.append(
                    ToolUse(str(function["name"]), parse_arguments(function.get("args")))
                )
    call.output_text = "".join(texts) or None
    call.name_models(requested=model, served=served)
    return call


def looks_like_usage(body: Any) -> bool:
    """Whether a response we cannot read seems to carry token usage (CPR805)."""
    body = as_dict(body)
    usage = body.get("usage") or body.get("usageMetadata") or body.get("meta")
    if not isinstance(usage, dict):
        return False
    text = json.dumps(sorted(usage)).lower()
    return "token" in text or "input" in text


def http_status(value: Any) -> int | None:
    try:
        status = token_count(value, "status")
    except UsageError:
        return None
    return status
