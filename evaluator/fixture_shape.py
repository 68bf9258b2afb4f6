"""A fast check that a fixture conversation matches its JSON Schema.

jsonschema needs about 5 ms for a recorded conversation; at 100,000 of them that is the
whole time budget. `conforms` answers the common case, a well-formed conversation, in
microseconds. It is strict: it may say False for a valid conversation (then jsonschema
decides, and words the findings), but it never says True for an invalid one — a
property test holds it to that against the schema itself.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

_AUTOMATION = frozenset({"full", "partial", "assisted"})
_STATUSES = frozenset({"resolved", "escalated", "abandoned", "open"})
_RESOLVERS = frozenset({"ai", "human"})
_ROLES = frozenset({"user", "assistant", "agent", "system"})
_USAGE_COUNTS = ("input_tokens", "output_tokens", "cached_input_tokens", "cache_write_tokens")


def _name(value: Any) -> bool:
    return type(value) is str and len(value) > 0


def _count(value: Any) -> bool:
    return type(value) is int and value >= 0


def _optional(mapping: dict[str, Any], key: str, check: Any) -> bool:
    return key not in mapping or check(mapping[key])


def _usage(value: Any) -> bool:
    if type(value) is not dict or "input_tokens" not in value or "output_tokens" not in value:
        return False
    return all(_optional(value, key, _count) for key in _USAGE_COUNTS)


def _event(event: Any) -> bool:
    if type(event) is not dict:
        return False
    kind = event.get("type")
    if type(kind) is not str:
        return False
    if kind == "llm_call":
        return (
            _name(event.get("model"))
            and all(_optional(event, key, _name) for key in ("stage", "prompt", "prompt_version"))
            and _optional(event, "attempt", lambda value: type(value) is int and value >= 1)
            and _optional(event, "status", lambda value: type(value) is str)
            and _optional(event, "fallback", lambda value: type(value) is bool)
            and _optional(event, "vars", lambda value: type(value) is dict)
            and _optional(event, "usage", _usage)
        )
    if kind == "message":
        return _optional(
            event, "role", lambda value: type(value) is str and value in _ROLES
        ) and _optional(event, "text", lambda value: type(value) is str)
    if kind == "tool_call":
        return (
            _name(event.get("name"))
            and _optional(event, "stage", _name)
            and _optional(event, "status", lambda value: type(value) is str)
        )
    if kind == "retrieval":
        return (
            _optional(event, "stage", _name)
            and _optional(event, "query", lambda value: type(value) is str)
            and _optional(event, "context_tokens", _count)
        )
    if kind == "escalation":
        return _optional(event, "reason", lambda value: type(value) is str) and _optional(
            event,
            "handle_minutes",
            lambda value: type(value) in (int, Decimal, float) and value >= 0,
        )
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
    if not _optional(data, "automation", lambda value: type(value) is str and value in _AUTOMATION):
        return False
    if not _optional(data, "started_at", lambda value: type(value) is str):
        return False
    if not _optional(data, "vars", lambda value: type(value) is dict):
        return False
    outcome = data.get("outcome")
    if type(outcome) is not dict or not (
        type(outcome.get("status")) is str and outcome["status"] in _STATUSES
    ):
        return False
    if not _optional(
        outcome, "resolved_by", lambda value: type(value) is str and value in _RESOLVERS
    ):
        return False
    if not _optional(outcome, "reopened", lambda value: type(value) is bool):
        return False
    events = data.get("events")
    return type(events) is list and all(_event(event) for event in events)
