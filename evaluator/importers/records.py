"""What every importer produces: `Record`s of fixture events, before they are grouped.

A record is one thing a trace export holds (a span, an observation, a logged request and
its response, a recorded HTTP interaction), already turned into fixture events (SPEC
§2.3). Records are plain JSON underneath, so that grouping can spill them to disk.
Event keys that start with `_` are the importer's own (a tool call's id, a request's
hash) and are dropped when the conversation is written.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from cprlint.documents import parse_json_line, sorted_json
from cprlint.findings import Location
from cprlint.model import Usage

# Message texts are kept for reading a conversation, not for replaying it: long ones are
# cut, so that a pasted log file does not become a fixture.
MAX_TEXT_CHARS = 2000
UNKNOWN = "unknown"
OK = "ok"
ERROR = "error"


# --- small readers of untrusted JSON values ----------------------------------------------


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_text(value: Any) -> str | None:
    """A non-empty string, or a number written as one; None for anything else."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, int | Decimal):
        return _number_text(value)
    return None


def _number_text(value: int | Decimal) -> str | None:
    """A number as text; None for an integer of more digits than Python prints (4,300:
    JSON cannot hold one, but a YAML `0x...` can)."""
    try:
        return str(value)
    except ValueError:
        return None


def dig(value: Any, *path: str | int) -> Any:
    """`value[path[0]][path[1]]...`, or None where the path does not exist."""
    for step in path:
        if isinstance(step, int):
            items = as_list(value)
            value = items[step] if -len(items) <= step < len(items) else None
        else:
            value = as_dict(value).get(step)
    return value


def plain(value: Any) -> Any:
    """A JSON value without Decimals (which the JSON writers cannot take): floats.

    Tool arguments and label values are copied into fixtures as they were recorded;
    they are never summed, so a float is exact enough. A Decimal was read from a number
    written with a fraction or an exponent, and stays one: `1.0` is not written as `1`,
    which would make two tool calls' arguments equal that were recorded apart. A number
    past a float's range (`1e400`) is kept as its text.
    """
    if isinstance(value, Decimal):
        number = float(value)
        return number if math.isfinite(number) else str(value)
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def cut(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    return text if len(text) <= MAX_TEXT_CHARS else text[: MAX_TEXT_CHARS - 1] + "…"


def parse_arguments(value: Any) -> Any:
    """Tool-call arguments: providers send a JSON string; keep the object it holds."""
    if isinstance(value, str):
        try:
            return plain(parse_json_line(value))
        except (ValueError, RecursionError):
            return value
    return plain(value)


def flatten(value: Any, prefix: str = "", into: dict[str, Any] | None = None) -> dict[str, Any]:
    """`{"metadata": {"intent": "x"}}` -> `{"metadata.intent": "x"}`: the keys a map names."""
    result: dict[str, Any] = {} if into is None else into
    if isinstance(value, dict):
        for key, item in value.items():
            flatten(item, f"{prefix}.{key}" if prefix else str(key), result)
    elif prefix and (isinstance(value, str | int | bool | Decimal) and value is not None):
        result.setdefault(prefix, value)
    return result


class Header(NamedTuple):
    """A header of a recorded request or response."""

    name: str  # in lower case
    key: Any  # as recorded
    listed: bool  # whether the value was recorded as a list (of which `text` is the first)
    text: str | None


def recorded_headers(headers: Any) -> Iterator[Header]:
    """The headers a recording holds (names to a value, or to a list of values), in order."""
    for key, item in as_dict(headers).items():
        listed = isinstance(item, list) and bool(item)
        yield Header(str(key).lower(), key, listed, as_text(item[0] if listed else item))


def first_header(headers: Any, name: str) -> str | None:
    """The (first) value of the first header called `name` (lower case), as text."""
    for header in recorded_headers(headers):
        if header.name == name:
            return header.text
    return None


def with_json_object(attributes: dict[str, Any], key: str) -> dict[str, Any]:
    """`attributes`, and when `key` holds a JSON object as text (OpenInference's and
    Langfuse's `metadata`), its fields as dotted keys (`metadata.intent`) too."""
    value = attributes.get(key)
    if not isinstance(value, str) or not value.lstrip().startswith("{"):
        return attributes
    try:
        parsed = json.loads(value)
    except (ValueError, RecursionError):
        return attributes
    return {**flatten(parsed, key), **attributes}


# Times a fixture can hold (`started_at`): datetime's years 1 to 9999, in nanoseconds
# since the epoch. A recorded time outside them is a broken record, not a date to print.
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MIN_TIME = -62_135_596_800 * 1_000_000_000  # 0001-01-01T00:00:00Z
MAX_TIME = 253_402_300_800 * 1_000_000_000 - 1  # 9999-12-31T23:59:59.999999999Z


class TimeError(ValueError):
    """A recorded time that cannot be read or is out of range; the message says which."""


def shown(value: Any) -> str:
    """A value of the input, cut short for a message: as written, at most 40 characters."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, Decimal):
        text = str(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        text = _number_text(value) or f"a number of {value.bit_length():,} bits"
    else:
        try:
            text = sorted_json(plain(value))
        except ValueError:  # it holds an integer too long to print
            text = f"a {type(value).__name__}"
    return text if len(text) <= 40 else text[:39] + "…"


def checked_time(nanoseconds: int, name: str, recorded: Any) -> int:
    """`nanoseconds`, or TimeError naming the field when it is no time a fixture can hold."""
    if not MIN_TIME <= nanoseconds <= MAX_TIME:
        raise TimeError(f"`{name}` ({shown(recorded)}) is not a time between the years 1 and 9999")
    return nanoseconds


def _nanoseconds(moment: dt.datetime) -> int:
    """A moment (UTC when it names no zone) as nanoseconds since the epoch; OverflowError
    when its zone takes it past datetime's years."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


def iso_to_nanoseconds(value: Any, name: str) -> int:
    """An ISO 8601 timestamp as nanoseconds since the epoch; 0 when there is none.

    TimeError when the field holds something else, or a time past the years 1 to 9999
    (`9999-12-31T23:59:59-12:00` is in the year 10000 once it is UTC).
    """
    if value is None or value == "":
        return 0
    if not isinstance(value, str):
        raise TimeError(f"`{name}` ({shown(value)}) is not an ISO 8601 time")
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise TimeError(f"`{name}` ({shown(value)}) is not an ISO 8601 time") from error
    return checked_time(_nanoseconds(moment), name, value)


def epoch_to_nanoseconds(value: Any, name: str) -> int:
    """A time in seconds since the epoch (`created`, `created_at`) as nanoseconds; 0 when
    there is none; TimeError when it is no time a fixture can hold."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return 0
    if isinstance(value, float):  # a YAML number: as exact as the JSON one would have been
        value = Decimal(repr(value)) if math.isfinite(value) else Decimal(0)
    if value <= 0:
        return 0
    # Compared before multiplying: a created of 10^4000 is no time, and no int to make.
    if value > MAX_TIME // 1_000_000_000:
        raise TimeError(f"`{name}` ({shown(value)}) is not a time between the years 1 and 9999")
    return checked_time(int(value * 1_000_000_000), name, value)


def header_to_nanoseconds(value: str | None) -> int:
    """An HTTP date header (`Tue, 10 Mar 2026 22:26:50 GMT`) or AWS's `X-Amz-Date`
    (`20250627T144815Z`) as nanoseconds since the epoch; 0 when it is neither.

    A header is what the recording tool wrote, not a field of the format: one that cannot
    be read leaves the call without this time, silently.
    """
    if not value or len(value) > 64:
        return 0
    try:
        if value[:8].isdecimal():
            moment = dt.datetime.strptime(value.strip(), "%Y%m%dT%H%M%SZ")
        else:
            moment = email.utils.parsedate_to_datetime(value)
    except (ValueError, TypeError, IndexError, OverflowError):
        return 0
    try:
        nanoseconds = _nanoseconds(moment)
    except OverflowError:
        return 0
    return nanoseconds if MIN_TIME <= nanoseconds <= MAX_TIME else 0


def earliest(*times: int) -> int:
    """The earliest of the times that are there (0 is none); 0 when none is."""
    return min((time for time in times if time), default=0)


def nanoseconds_to_iso(value: int) -> str:
    """A time the importers read (within `MIN_TIME`..`MAX_TIME`) as ISO 8601 UTC text.

    Date arithmetic, not `fromtimestamp`, which depends on the platform's `time_t`.
    """
    moment = _EPOCH + dt.timedelta(microseconds=value // 1000)
    return moment.isoformat().replace("+00:00", "Z")


# --- events --------------------------------------------------------------------------


def usage_json(usage: Usage) -> dict[str, int]:
    result = {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens}
    if usage.cached_input_tokens:
        result["cached_input_tokens"] = usage.cached_input_tokens
    if usage.cache_write_tokens:
        result["cache_write_tokens"] = usage.cache_write_tokens
    if usage.cache_write_1h_tokens:
        result["cache_write_1h_tokens"] = usage.cache_write_1h_tokens
    return result


def llm_call_event(
    *,
    model: str | None,
    usage: Usage | None,
    status: str,
    error: str | None = None,
    request_hash: str | None = None,
    requested_model: str | None = None,
) -> dict[str, Any]:
    """An `llm_call`: `model` is the model that served it; `requested_model` the one the
    request asked for, kept only when it names another (an alias, `gpt-4o`, served by a
    snapshot, `gpt-4o-2024-08-06`)."""
    event: dict[str, Any] = {
        "type": "llm_call",
        "model": model or UNKNOWN,
        "attempt": 1,
        "status": status,
    }
    if requested_model and model and requested_model != model:
        event["requested_model"] = requested_model
    if usage is not None:
        event["usage"] = usage_json(usage)
    if error:
        event["error"] = cut(error)
    if request_hash:
        event["_request"] = request_hash
    return event


def tool_call_event(
    *, name: str, args: Any, status: str = OK, call_id: str | None = None
) -> dict[str, Any]:
    event: dict[str, Any] = {"type": "tool_call", "name": name, "status": status}
    if args is not None and args != {} and args != "":
        event["args"] = args
    if call_id:
        event["_call_id"] = call_id
    return event


def message_event(role: str, text: str | None) -> dict[str, Any] | None:
    text = cut(text)
    return None if text is None else {"type": "message", "role": role, "text": text}


def retrieval_event(query: str | None) -> dict[str, Any]:
    event: dict[str, Any] = {"type": "retrieval"}
    if query:
        event["query"] = cut(query)
    return event


# --- records -------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """One recorded thing, as fixture events, with what is needed to group it."""

    # The trace, session or file it belongs to; records of a unit always stay together.
    unit: str
    # The conversation the source names (gen_ai.conversation.id, session.id), if any:
    # every unit that names the same one is merged into that conversation.
    conversation: str | None
    time: int  # start, in nanoseconds since the epoch; 0 when the source has none
    seq: int  # position in the input: the order of records that started together
    location: Location
    events: tuple[dict[str, Any], ...] = ()
    # Fixture field -> the raw value of the first mapped attribute the record carries.
    labels: Mapping[str, Any] = field(default_factory=dict)
    # Tool-call id -> status, as a later request reports the tool's result.
    tool_results: Mapping[str, str] = field(default_factory=dict)
    # A readable conversation id, where the source has one (a cassette's file name).
    name: str | None = None
    # When it happened, where that is not `time`: a cassette's interactions keep their
    # recorded order (`time` 0) however their Date headers and `created` fields read.
    started: int = 0

    @property
    def start(self) -> int:
        """The earliest time the record gives; 0 when it gives none."""
        return earliest(self.time, self.started)

    def to_json(self) -> list[Any]:
        location = self.location
        return [
            self.unit,
            self.conversation,
            self.time,
            self.seq,
            [location.path, location.line, location.column],
            list(self.events),
            dict(self.labels),
            dict(self.tool_results),
            self.name,
            self.started,
        ]

    @classmethod
    def from_json(cls, data: list[Any]) -> Record:
        unit, conversation, time, seq, where, events, labels, results, name, started = data
        return cls(
            unit=unit,
            conversation=conversation,
            time=time,
            seq=seq,
            location=Location(where[0], where[1], where[2]),
            events=tuple(events),
            labels=labels,
            tool_results=results,
            name=name,
            started=started,
        )


def first_present(attributes: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = attributes.get(key)
        if value is not None and value != "":
            return value
    return None


def text_parts(content: Any, *, types: tuple[str, ...] = ("text",)) -> str | None:
    """The text of a message's content: a string, or the text of its typed parts."""
    if isinstance(content, str):
        return content
    texts = [
        part["text"]
        for part in as_list(content)
        if isinstance(part, dict)
        and isinstance(part.get("text"), str)
        and part.get("type", types[0]) in types
    ]
    return "\n".join(texts) if texts else None
