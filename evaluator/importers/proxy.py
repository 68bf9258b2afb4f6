"""`openai` and `anthropic`: JSON Lines of request/response pairs, as API proxies log them.

One line is one API call:

```json
{"request": {...request body...}, "response": {...response body...},
 "status": 200, "timestamp": "2026-11-02T10:00:00Z", "metadata": {"session_id": "T-1001"}}
```

`request` and `response` may also be wrappers with a `body` (and `status`/`status_code`,
a number or `{"code": ...}`, `url`, `headers`), as Datadog's recording proxy writes them;
a body may be JSON text; a streamed response is the event-stream text (or the list of its
chunks). A record may also be a response alone (`{"status", "headers", "body"}`), as
some test suites record them: the model and usage are in its body, and a finding
(CPR807) says the file was read so. The record's own fields (`metadata.session_id`,
...) and the request's `metadata` and `user` can be named in a mapping file. Calls are
grouped by `metadata.conversation_id`, `metadata.session_id`, `conversation_id` or
`session_id` when present; otherwise each call is its own conversation.

A call's time is the record's own (`timestamp`, ...), else the earliest the response
gives: the API's `created` or `created_at`, or the `Date` header.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import PurePath
from typing import IO, Any

from cprlint.findings import Problem
from cprlint.importers.context import ImportContext, Locator
from cprlint.importers.providers import (
    ParsedCall,
    as_stream,
    http_status,
    parse_anthropic,
    parse_body,
    parse_openai,
    response_id,
    response_time,
)
from cprlint.importers.records import (
    Record,
    as_dict,
    as_text,
    checked_time,
    earliest,
    first_header,
    flatten,
    header_to_nanoseconds,
    iso_to_nanoseconds,
)
from cprlint.importers.shapes import ShapesRead
from cprlint.importers.sources import JsonItem, iter_json_items

CONVERSATION_ATTRIBUTES = (
    "metadata.conversation_id",
    "metadata.session_id",
    "conversation_id",
    "session_id",
)
_WRAPPER_KEYS = ("body", "json", "content")
_RESPONSE_WRAPPER_KEYS = ("status", "status_code", "headers")
RESPONSE_ONLY = "responses recorded without their requests (`{status, headers, body}`)"
_BODY_KEYS = {
    "request": ("request", "request_body", "requestBody"),
    "response": ("response", "response_body", "responseBody"),
}

Parser = Callable[[Any, Any, int | None], ParsedCall]


def _unwrap(value: Any) -> tuple[Any, dict[str, Any]]:
    """A body, and the wrapper around it when the log wrapped it (status, headers, url)."""
    if isinstance(value, dict):
        for key in _WRAPPER_KEYS:
            if key in value and any(
                wrapper_key in value
                for wrapper_key in ("status", "status_code", "headers", "url", "method")
            ):
                return parse_body(value[key]), value
    return parse_body(value), {}


def _body(record: dict[str, Any], side: str) -> tuple[Any, dict[str, Any]]:
    for key in _BODY_KEYS[side]:
        if key in record:
            return _unwrap(record[key])
    return None, {}


def _is_response_only(record: dict[str, Any]) -> bool:
    """A recorded response without its request: a body with a status or headers, and
    neither side named."""
    named = any(key in record for keys in _BODY_KEYS.values() for key in keys)
    return not named and "body" in record and any(key in record for key in _RESPONSE_WRAPPER_KEYS)


def _status(value: Any) -> int | None:
    """An HTTP status: a number, or Datadog's `{"code": 200, "message": "OK"}`."""
    if isinstance(value, dict):
        value = value.get("code")
    return http_status(value)


_TIME_KEYS = ("timestamp", "start_time", "startTime", "created_at", "time")
# Epoch numbers below this are seconds (until the year 5138), above it milliseconds.
_SECONDS_BELOW = 10**11


def _positive_number(value: Any) -> int | Decimal | None:
    if isinstance(value, int | Decimal) and not isinstance(value, bool) and value > 0:
        return value
    return None


def _time(record: dict[str, Any], response: Any, wrapper: dict[str, Any]) -> int:
    """When the call started, in nanoseconds since the epoch; 0 when the log does not say.

    The record's own time (ISO 8601, or epoch seconds or milliseconds), else the earliest
    the response gives: its `created` or `created_at` (epoch seconds), its `Date` header.
    TimeError when the one found is no time.
    """
    for key in _TIME_KEYS:
        value = record.get(key)
        if isinstance(value, str):
            return iso_to_nanoseconds(value, key)
        number = _positive_number(value)
        if number is not None:
            scale = 1_000_000_000 if number < _SECONDS_BELOW else 1_000_000
            return checked_time(int(number * scale), key, number)
    date = first_header(wrapper.get("headers"), "date")
    return earliest(response_time(response), header_to_nanoseconds(date))


def _locator(item: JsonItem, key_path: tuple[int, ...]) -> Locator:
    return Locator(item.path, item.line, exact=lambda: item.locate(*key_path))


def read_proxy_log(
    path: str, stream: IO[bytes], context: ImportContext, parse: Parser
) -> Iterator[Record]:
    shapes = ShapesRead("request/response pairs (`{request, response}`)")
    for item in iter_json_items(path, stream):
        if isinstance(item, Problem):
            context.add(item)
            continue
        lines = item.data if isinstance(item.data, list) else [item.data]
        for index, record in enumerate(lines):
            key_path: tuple[int, ...] = (index,) if isinstance(item.data, list) else ()
            locate = _locator(item, key_path)
            if not isinstance(record, dict):
                context.malformed("a logged call must be an object", locate())
                continue
            response_wrapper_keys: tuple[str, ...] = ()
            request: Any
            if _is_response_only(record):
                shapes.note(RESPONSE_ONLY, locate, "call")
                request, (response, response_wrapper) = {}, _unwrap(record)
                response_wrapper_keys = (*_WRAPPER_KEYS, "headers")
            else:
                request, _ = _body(record, "request")
                response, response_wrapper = _body(record, "response")
            if response is None:
                context.malformed("a logged call needs a `response` (the response body)", locate())
                continue
            if not isinstance(request, dict):
                request = {}
            response = as_stream(response)  # a stream's events, read once for every parser
            status = _status(
                record.get("status", record.get("status_code"))
                or response_wrapper.get("status", response_wrapper.get("status_code"))
            )
            call = parse(request, response, status)
            bodies = (*_BODY_KEYS["request"], *_BODY_KEYS["response"], *response_wrapper_keys)
            attributes = flatten({key: value for key, value in record.items() if key not in bodies})
            flatten(as_dict(request.get("metadata")), "metadata", attributes)
            if as_text(request.get("user")):
                attributes.setdefault("user", request["user"])
            conversation = context.conversation_of(attributes)
            name = response_id(response) or f"{PurePath(path).name}:{item.line}"
            time = context.read_time(
                locate,
                "the call is imported without a time",
                _time,
                record,
                response,
                response_wrapper,
            )
            yield context.call_record(
                call,
                unit=conversation or f"~{context.next_seq():012d}",
                conversation=None,
                time=time,
                locate=locate,
                attributes=attributes,
                name=None if conversation else name,
            )
    shapes.report(context)


def read_openai(path: str, stream: IO[bytes], context: ImportContext) -> Iterator[Record]:
    return read_proxy_log(path, stream, context, parse_openai)


def read_anthropic(path: str, stream: IO[bytes], context: ImportContext) -> Iterator[Record]:
    return read_proxy_log(path, stream, context, parse_anthropic)
