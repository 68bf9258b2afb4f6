"""The fast shape check never calls an invalid conversation valid, and knows real ones."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from cprlint.documents import parse_json_line
from cprlint.fixture_shape import conforms
from cprlint.schemas import _validator
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import REPO

# Values of every JSON type, right and wrong for each key.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=5000),
    st.decimals(min_value=-5, max_value=5, allow_nan=False, allow_infinity=False, places=2),
    st.sampled_from(
        [
            "",
            "x",
            "ok",
            "error",
            "full",
            "partial",
            "assisted",
            "robot",
            "resolved",
            "open",
            "escalated",
            "abandoned",
            "done",
            "ai",
            "human",
            "bot",
            "user",
            "assistant",
            "agent",
            "system",
            "gpt-4o",
            "v1",
            "message",
            "llm_call",
            "retrieval",
            "tool_call",
            "escalation",
            "llm-call",
        ]
    ),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)


def maybe(mapping: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Dictionaries holding any subset of `mapping`'s keys, each with its strategy."""
    return st.fixed_dictionaries({}, optional=mapping)


usage = maybe(
    {
        key: values | st.integers(min_value=0, max_value=10_000)
        for key in ("input_tokens", "output_tokens", "cached_input_tokens", "cache_write_tokens")
    }
)
event = maybe(
    {
        "type": st.sampled_from(
            ["message", "llm_call", "retrieval", "tool_call", "escalation", "other"]
        )
        | values,
        "role": values,
        "text": values,
        "model": values,
        "stage": values,
        "prompt": values,
        "prompt_version": values,
        "attempt": values,
        "status": values,
        "fallback": values,
        "vars": values,
        "usage": usage | values,
        "query": values,
        "context_tokens": values,
        "name": values,
        "args": values,
        "reason": values,
        "handle_minutes": values,
    }
)
conversation = maybe(
    {
        "id": values,
        "intent": values,
        "queue": values,
        "project": values,
        "automation": values,
        "started_at": values,
        "vars": values,
        "outcome": maybe({"status": values, "resolved_by": values, "reopened": values}) | values,
        "events": st.lists(event, max_size=4) | values,
    }
)


@settings(max_examples=1200, deadline=None)
@given(conversation)
def test_conforms_never_accepts_what_the_schema_rejects(data: dict[str, Any]) -> None:
    if conforms(data):
        errors = list(_validator("fixture").iter_errors(data))
        assert errors == [], (data, [error.message for error in errors])


def test_real_conversations_take_the_fast_path() -> None:
    # Every conversation of the example corpus is valid and recognised as such.
    lines = (REPO / "fixtures" / "generated" / "conversations.jsonl").read_text().splitlines()
    assert lines
    assert all(conforms(parse_json_line(line)) for line in lines)


def test_a_typo_is_left_to_the_schema() -> None:
    data = json.loads(
        '{"id": "T-1", "intent": "x", "outcome": {"status": "resolved"}, "events": []}'
    )
    assert conforms(data)
    data["outcome"]["status"] = "resolvd"
    assert not conforms(data)
    data["outcome"]["status"] = "resolved"
    data["events"] = [{"type": "escalation", "handle_minutes": Decimal("-1")}]
    assert not conforms(data)
