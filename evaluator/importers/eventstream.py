"""AWS event-stream framing (`application/vnd.amazon.eventstream`): Bedrock's streamed bodies.

A streamed Bedrock response (ConverseStream, InvokeModelWithResponseStream) is binary: a
sequence of messages, each a prelude (its total length, the length of its headers and
the CRC-32 of those 8 bytes, big-endian 32-bit numbers), the headers (a name, a value
type, a value), a payload, and the CRC-32 of everything before it. The headers say what
the message is (`:message-type` event, exception or error; `:event-type` or
`:exception-type`); the payload is JSON.

A recording keeps the bytes as they came. Here they become the list boto3 gives for the
stream, one `{event type: payload}` object a message (`{"metadata": {"usage": ...}}`,
`{"chunk": {"bytes": ...}}`, `{"throttlingException": {"message": ...}}`), written as
JSON text, so that the Bedrock parsers read a recorded stream as they read a logged one.
A message whose lengths or checksums do not hold is a broken recording, not a stream cut
short: the whole body is refused (EventStreamError) rather than read in part.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterator

from cprlint.documents import parse_json_line

PRELUDE_BYTES = 12  # total length, headers length, prelude CRC
MESSAGE_CRC_BYTES = 4
SMALLEST_MESSAGE = PRELUDE_BYTES + MESSAGE_CRC_BYTES
# The framing's own limits: 16 MiB a message, 128 KiB of headers.
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
MAX_HEADERS_BYTES = 128 * 1024

# Header value type -> the size of a value of fixed size (types 6 and 7, bytes and text,
# say their length in two bytes first).
_FIXED_SIZES = {0: 0, 1: 0, 2: 1, 3: 2, 4: 4, 5: 8, 8: 8, 9: 16}
_BYTES, _TEXT = 6, 7

HeaderValue = str | bytes | int | bool


class EventStreamError(ValueError):
    """A body that is no well-formed event stream; the message says where and why."""


def looks_like_event_stream(data: bytes) -> bool:
    """Whether `data` starts with an event-stream prelude whose checksum holds (a JSON or
    text body does so by chance once in four billion)."""
    if len(data) < SMALLEST_MESSAGE:
        return False
    total, headers_length, prelude_crc = struct.unpack_from(">III", data)
    fits = SMALLEST_MESSAGE + int(headers_length) <= int(total) <= MAX_MESSAGE_BYTES
    return fits and zlib.crc32(data[:8]) == prelude_crc


def decode_messages(data: bytes) -> Iterator[tuple[dict[str, HeaderValue], bytes]]:
    """The (headers, payload) of each message, checksums verified."""
    position = 0
    while position < len(data):
        if len(data) - position < SMALLEST_MESSAGE:
            raise EventStreamError(f"the stream ends inside a message at byte {position:,}")
        total, headers_length, prelude_crc = struct.unpack_from(">III", data, position)
        if zlib.crc32(data[position : position + 8]) != prelude_crc:
            raise EventStreamError(
                f"the prelude checksum of the message at byte {position:,} fails"
            )
        if not SMALLEST_MESSAGE + headers_length <= total <= MAX_MESSAGE_BYTES:
            raise EventStreamError(f"the message at byte {position:,} has impossible lengths")
        if headers_length > MAX_HEADERS_BYTES:
            raise EventStreamError(f"the message at byte {position:,} has over 128 KiB of headers")
        end = position + total
        if end > len(data):
            raise EventStreamError(f"the message at byte {position:,} is cut short")
        (message_crc,) = struct.unpack_from(">I", data, end - MESSAGE_CRC_BYTES)
        if zlib.crc32(data[position : end - MESSAGE_CRC_BYTES]) != message_crc:
            raise EventStreamError(f"the checksum of the message at byte {position:,} fails")
        headers_start = position + PRELUDE_BYTES
        payload_start = headers_start + headers_length
        headers = _headers(data[headers_start:payload_start], position)
        yield headers, data[payload_start : end - MESSAGE_CRC_BYTES]
        position = end


def _headers(raw: bytes, message_at: int) -> dict[str, HeaderValue]:
    headers: dict[str, HeaderValue] = {}
    position = 0
    try:
        while position < len(raw):
            name_length = raw[position]
            name = raw[position + 1 : position + 1 + name_length].decode("utf-8")
            position += 1 + name_length
            value_type = raw[position]
            position += 1
            value: HeaderValue
            if value_type in (_BYTES, _TEXT):
                (length,) = struct.unpack_from(">H", raw, position)
                content = raw[position + 2 : position + 2 + length]
                if len(content) != length:
                    raise IndexError
                value = content.decode("utf-8") if value_type == _TEXT else content
                position += 2 + length
            elif value_type in _FIXED_SIZES:
                size = _FIXED_SIZES[value_type]
                content = raw[position : position + size]
                if len(content) != size:
                    raise IndexError
                value = value_type == 0 if size == 0 else content
                position += size
            else:
                raise EventStreamError(
                    f"a header of the message at byte {message_at:,} has the unknown type "
                    f"{value_type}"
                )
            headers[name] = value
    except (IndexError, struct.error, UnicodeDecodeError) as error:
        raise EventStreamError(
            f"the headers of the message at byte {message_at:,} cannot be read"
        ) from error
    return headers


def events_json(data: bytes) -> str:
    """The stream as JSON text: a list of `{event type: payload}`, as boto3 gives it.

    An exception is `{exception type: payload}`, as in the API's event union; an error
    message (`:message-type` error) is `{"error": {"code": ..., "message": ...}}`. A
    payload that is not JSON is kept as its text.
    """
    events: list[str] = []
    for headers, payload in decode_messages(data):
        message_type = headers.get(":message-type", "event")
        if message_type == "error":
            error = {
                "code": _text(headers.get(":error-code")),
                "message": _text(headers.get(":error-message")),
            }
            events.append(f'"error": {json.dumps(error)}')
            continue
        name = headers.get(":exception-type" if message_type == "exception" else ":event-type")
        key = name if isinstance(name, str) and name else _text(message_type) or "event"
        events.append(f"{json.dumps(key)}: {_payload_json(payload)}")
    return "[" + ", ".join("{" + event + "}" for event in events) + "]"


def _text(value: HeaderValue | None) -> str:
    return value if isinstance(value, str) else ""


def _payload_json(payload: bytes) -> str:
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as error:
        raise EventStreamError("a message's payload is not UTF-8 text") from error
    if not text.strip():
        return "{}"
    try:
        parse_json_line(text)
    except (ValueError, RecursionError):
        return json.dumps(text)
    return text
