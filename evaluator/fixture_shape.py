"""A fast check that a fixture conversation matches its JSON Schema.

jsonschema needs about 5 ms for a recorded conversation; at 100,000 of them that is the
whole time budget. Most lines never get here: the strict reader
(`model.conversation_from_json_line`) reads a valid line straight into its conversation.
A line it refuses (one holding `null`, say, which no key takes but a value in `vars` may)
is parsed whole, and `conforms` answers the common case, a well-formed conversation, in
microseconds. It is strict: it may say False for a valid conversation (then jsonschema
decides, and words the findings), but it never says True for an invalid one — a
property test holds it to that against the schema itself.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from cprlint.model import (
    AUTOMATION_MODES,
    MAX_AMOUNT,
    MAX_COUNT,
    MESSAGE_ROLES,
    OUTCOME_STATUSES,
    RESOLVERS,
)

_AUTOMATION = frozenset(AUTOMATION_MODES)
_STATUSES = frozenset(OUTCOME_STATUSES)
_RESOLVERS = frozenset(RESOLVERS)
_ROLES = frozenset(MESSAGE_ROLES)
_USAGE_COUNTS = (
    "input_tokens",
    "output_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "cache_write_1h_tokens",
)


def _name(value: Any) -> bool:
    return type(value) is str and len(value) > 0


def _count(value: Any) -> bool:
    return type(value) is int and 0 <= value <= MAX_COUNT


def _text(value: Any) -> bool:
    return type(value) is str


def _flag(value: Any) -> bool:
    return type(value) is bool


def _object(value: Any) -> bool:
    return type(value) is dict


def _attempt(value: Any) -> bool:
    return type(value) is int and 1 <= value <= MAX_COUNT


def _role(value: Any) -> bool:
    return type(value) is str and value in _ROLES


def _minutes(value: Any) -> bool:
    return type(value) in (int, Decimal, float) and 0 <= value <= MAX_AMOUNT


def _automation(value: Any) -> bool:
    return type(value) is str and value in _AUTOMATION


def _score(value: Any) -> bool:
    return type(value) is int and 1 <= value <= 5


def _resolver(value: Any) -> bool:
    return type(value) is str and value in _RESOLVERS


# The checks are named functions, not lambdas in the calls: a conversation has a hundred
# events, and a lambda is a new function object each time its line runs.
def _optional(mapping: dict[str, Any], key: str, check: Any) -> bool:
    return key not in mapping or check(mapping[key])


def _usage(value: Any) -> bool:
    if type(value) is not dict or "input_tokens" not in value or "output_tokens" not in value:
        return False
    return all(_optional(value, key, _count) for key in _USAGE_COUNTS)


def _llm_call(event: dict[str, Any]) -> bool:
    return (
        _name(event.get("model"))
        and _optional(event, "requested_model", _name)
        and _optional(event, "stage", _name)
        and _optional(event, "prompt", _name)
        and _optional(event, "prompt_version", _name)
        and _optional(event, "attempt", _attempt)
        and _optional(event, "status", _text)
        and _optional(event, "fallback", _flag)
        and _optional(event, "vars", _object)
        and _optional(event, "usage", _usage)
    )


def _event(event: Any) -> bool:
    if type(event) is not dict:
        return False
    kind = event.get("type")
    if type(kind) is not str or not _optional(event, "at", _text):
        return False
    if kind == "message":  # the most common kind first
        return _optional(event, "role", _role) and _optional(event, "text", _text)
    if kind == "llm_call":
        return _llm_call(event)
    if kind == "tool_call":
        return (
            _name(event.get("name"))
            and _optional(event, "stage", _name)
            and _optional(event, "status", _text)
        )
    if kind == "retrieval":
        return (
            _optional(event, "stage", _name)
            and _optional(event, "query", _text)
            and _optional(event, "context_tokens", _count)
        )
    if kind == "escalation":
        return _optional(event, "reason", _text) and _optional(event, "handle_minutes", _minutes)
    return True  # any other type: the schema allows it (CPR303 reports it)


def conforms(data: Any) -> bool:
    """True only when `data` certainly matches the fixture schema."""
    if type(data) is not dict:
        return False
    identifier = data.get("id")
    if not (type(identifier) is str or type(identifier) is int) or not _name(data.get("intent")):
        return False
    if not (_optional(data, "queue", _name) and _optional(data, "project", _name)):
        return False
    if not _optional(data, "automation", _automation):
        return False
    if not (_optional(data, "started_at", _text) and _optional(data, "vars", _object)):
        return False
    outcome = data.get("outcome")
    if type(outcome) is not dict or not (
        type(outcome.get("status")) is str and outcome["status"] in _STATUSES
    ):
        return False
    if not (_optional(outcome, "resolved_by", _resolver) and _optional(outcome, "reopened", _flag)):
        return False
    if not (
        _optional(outcome, "confirmed", _flag)
        and _optional(outcome, "csat", _score)
        and _optional(outcome, "reopened_at", _text)
    ):
        return False
    events = data.get("events")
    return type(events) is list and all(map(_event, events))
