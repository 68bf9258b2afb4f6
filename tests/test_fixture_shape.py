"""The fast readers of fixtures (the shape check, the strict reader) never call an invalid
conversation valid, read valid ones as the full reading does, and know real ones."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from cprlint.documents import (
    MAX_DEPTH,
    Document,
    json_document,
    may_nest_too_deep,
    parse_json_line,
)
from cprlint.fixture_shape import conforms
from cprlint.model import Conversation, conversation_from_document, conversation_from_json_line
from cprlint.schemas import _validator
from hypothesis import given, settings, target
from hypothesis import strategies as st

from tests.conftest import REPO

# Values of every JSON type, right and wrong for each key.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=5000),
    st.decimals(min_value=-5, max_value=5, allow_nan=False, allow_infinity=False, places=2),
    # Either side of the schema's maximums (10^9 tokens, 10^6 minutes).
    st.sampled_from([10**6, 10**6 + 1, 10**9, 10**9 + 1, 10**30]),
    st.sampled_from([Decimal("1000000.00"), Decimal("1000000.01"), Decimal("1E+400")]),
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


def mostly(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Valid values nine times in ten, any other value (right or wrong) otherwise: a
    conversation has a dozen keys, and it must be valid as a whole now and then."""
    return st.integers(min_value=0, max_value=9).flatmap(lambda pick: valid if pick else values)


names = st.sampled_from(["x", "ok", "gpt-4o", "v1", "billing"])
counts = st.integers(min_value=0, max_value=5000)
texts = st.text(max_size=4)
variables = st.dictionaries(st.text(max_size=3), values, max_size=3)
valid_events = st.one_of(
    st.fixed_dictionaries(
        {"type": st.just("message")},
        optional={
            "role": mostly(st.sampled_from(["user", "assistant", "agent", "system"])),
            "text": mostly(texts),
        },
    ),
    st.fixed_dictionaries(
        {"type": st.just("llm_call"), "model": mostly(names)},
        optional={
            "stage": mostly(names),
            "prompt": mostly(names),
            "prompt_version": mostly(names),
            "attempt": mostly(st.integers(min_value=1, max_value=4)),
            "status": mostly(texts),
            "fallback": mostly(st.booleans()),
            "vars": mostly(variables),
            "usage": mostly(
                st.fixed_dictionaries(
                    {"input_tokens": mostly(counts), "output_tokens": mostly(counts)},
                    optional={
                        "cached_input_tokens": mostly(counts),
                        "cache_write_tokens": mostly(counts),
                    },
                )
            ),
        },
    ),
    st.fixed_dictionaries(
        {"type": st.just("retrieval")},
        optional={"stage": mostly(names), "query": mostly(texts), "context_tokens": mostly(counts)},
    ),
    st.fixed_dictionaries(
        {"type": st.just("tool_call"), "name": mostly(names)},
        optional={"stage": mostly(names), "status": mostly(texts), "args": values},
    ),
    st.fixed_dictionaries(
        {"type": st.just("escalation")},
        optional={
            "reason": mostly(texts),
            "handle_minutes": mostly(
                counts
                | st.decimals(
                    min_value=0, max_value=90, allow_nan=False, allow_infinity=False, places=2
                )
            ),
        },
    ),
    event,
)
valid_conversations = st.fixed_dictionaries(
    {
        "id": mostly(texts | st.integers()),
        "intent": mostly(names),
        "outcome": mostly(
            st.fixed_dictionaries(
                {"status": mostly(st.sampled_from(["resolved", "escalated", "abandoned", "open"]))},
                optional={
                    "resolved_by": mostly(st.sampled_from(["ai", "human"])),
                    "reopened": mostly(st.booleans()),
                },
            )
        ),
        "events": mostly(st.lists(valid_events, max_size=5)),
    },
    optional={
        "queue": mostly(names),
        "project": mostly(names),
        "automation": mostly(st.sampled_from(["full", "partial", "assisted"])),
        "started_at": mostly(texts),
        "vars": mostly(variables),
        "other": values,
    },
)


def _without_document(conversation: Conversation | None) -> tuple[Any, ...] | None:
    if conversation is None:
        return None
    return (
        conversation.id,
        conversation.intent,
        conversation.queue,
        conversation.project,
        conversation.automation,
        conversation.vars,
        conversation.outcome,
        conversation.events,
    )


def _json_text(data: Any) -> str:
    # Decimals written as the numbers they are (json writes floats; exactness is not the
    # point here, the same text goes to both readers).
    return json.dumps(data, default=float)


@settings(max_examples=1500, deadline=None)
@given(valid_conversations | conversation)
def test_the_strict_reader_accepts_only_valid_lines_and_reads_them_as_the_lenient_one(
    data: dict[str, Any],
) -> None:
    text = _json_text(data)
    fast = conversation_from_json_line("f.jsonl", text, 7)
    if fast is None:
        return
    # Most generated lines have a fault somewhere; steer towards accepted lines with
    # many events, whose fields the comparison below then covers.
    target(float(len(fast.events)), label="events of an accepted line")
    document = json_document("f.jsonl", text, 7)
    assert isinstance(document, Document)
    errors = list(_validator("fixture").iter_errors(document.data))
    assert errors == [], (text, [error.message for error in errors])
    assert _without_document(fast) == _without_document(conversation_from_document(document))


def test_real_conversations_take_the_strict_reader() -> None:
    lines = (REPO / "fixtures" / "generated" / "conversations.jsonl").read_text().splitlines()
    assert lines
    for number, line in enumerate(lines, start=1):
        fast = conversation_from_json_line("c.jsonl", line, number)
        document = json_document("c.jsonl", line, number)
        assert isinstance(document, Document)
        assert fast is not None
        assert _without_document(fast) == _without_document(conversation_from_document(document))
        assert fast.document.start_line == number
        assert fast.document.data == document.data  # parsed on demand, the same value


@pytest.mark.parametrize(
    "line",
    [
        # null is valid for no key, though the strict reader's `X | None` fields take it.
        '{"id": "T-1", "intent": "x", "project": null, "outcome": {"status": "open"}, "events": []}',
        # msgspec reads "5" into a Decimal; the schema wants a number.
        '{"id": "T-1", "intent": "x", "outcome": {"status": "open"},'
        ' "events": [{"type": "escalation", "handle_minutes": "5"}]}',
        '{"id": "T-1", "intent": "x", "outcome": {"status": "open"},'
        ' "events": [{"type": "escalation", "handle_minutes": -1.5}]}',
        '{"id": "T-1", "intent": "x", "outcome": {"status": "open"},'
        ' "events": [{"type": "llm-call", "model": "gpt-4o"}]}',
        '{"id": "T-1", "intent": "x", "outcome": {"status": "open"},'
        ' "events": [{"type": "message", "role": "bot"}]}',
        '{"id": true, "intent": "x", "outcome": {"status": "open"}, "events": []}',
        '{"id": "T-1", "intent": "x", "outcome": {"status": "open"}, "events": [],'
        ' "vars": {"s": "\\udfff"}}',
        # A word of the schema's with a line break after it: the schema's `enum` refuses
        # it (a regular expression ending in `$` would take it).
        '{"id": "T-1", "intent": "x", "outcome": {"status": "open"},'
        ' "events": [{"type": "message", "role": "user\\n"}]}',
        '{"id": "T-1", "intent": "x", "outcome": {"status": "resolved\\n"}, "events": []}',
        '{"id": "T-1", "intent": "x", "outcome": {"status": "resolved", "resolved_by": "ai\\n"},'
        ' "events": []}',
    ],
)
def test_the_strict_reader_leaves_what_it_cannot_vouch_for_to_the_full_reading(line: str) -> None:
    assert conversation_from_json_line("f.jsonl", line, 1) is None


def test_the_strict_reader_keeps_numbers_as_written() -> None:
    line = (
        '{"id": 5, "intent": "x", "outcome": {"status": "escalated"}, "vars": {"amount": 1.10},'
        ' "events": [{"type": "escalation", "handle_minutes": 7.50},'
        ' {"type": "tool_call", "name": "refund", "args": {"amount": 12.30}}]}'
    )
    fast = conversation_from_json_line("f.jsonl", line, 3)
    assert fast is not None
    assert fast.id == "5"
    assert str(fast.vars["amount"]) == "1.10"
    assert [event.index for event in fast.events] == [0, 1]
    assert str(fast.events[0].handle_minutes) == "7.50"  # type: ignore[union-attr]
    assert str(fast.events[1].args["amount"]) == "12.30"  # type: ignore[union-attr]


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


def _long_conversation(turns: int) -> dict[str, Any]:
    events: list[dict[str, Any]] = []
    for turn in range(turns):
        events.append({"type": "message", "role": "user", "text": f"turn {turn} is null {{"})
        events.append(
            {
                "type": "llm_call",
                "model": "gpt-4o-mini",
                "prompt": "triage",
                "usage": {"input_tokens": 900 + turn, "output_tokens": 40},
            }
        )
        events.append({"type": "tool_call", "name": "lookup", "args": {"order": [turn]}})
    return {
        "id": "T-LONG",
        "intent": "refund",
        "outcome": {"status": "resolved"},
        "vars": {"note": 'null and void ]]]] \\" {{{{'},
        "events": events,
    }


def test_a_long_conversation_takes_the_strict_reader() -> None:
    # 30 turns of three events: 30 * (1 + 2 + 3) = 180 brackets outside strings, 3 of the
    # 5 levels ({ [ { { [) at most; the strings add brackets and the word null.
    line = json.dumps(_long_conversation(30))
    assert line.count("[") + line.count("{") > MAX_DEPTH
    fast = conversation_from_json_line("f.jsonl", line, 1)
    assert fast is not None
    assert len(fast.events) == 90
    document = json_document("f.jsonl", line, 1)
    assert isinstance(document, Document)
    assert _without_document(fast) == _without_document(conversation_from_document(document))


@pytest.mark.parametrize("levels", [MAX_DEPTH - 4, MAX_DEPTH - 3, MAX_DEPTH + 5])
def test_a_long_and_deep_conversation_is_left_to_the_full_reading(levels: int) -> None:
    # The arguments of a tool call sit at level 4 (line, events, event, args): with
    # `levels` more lists inside, the brackets stand 4 + levels deep.
    data = _long_conversation(30)
    data["events"][2]["args"] = {"order": json.loads("[" * levels + "1" + "]" * levels)}
    line = json.dumps(data)
    fast = conversation_from_json_line("f.jsonl", line, 1)
    too_deep = 4 + levels > MAX_DEPTH  # 4 + 60 = 64: read; 4 + 61 = 65 > 64: refused
    assert (fast is None) == too_deep
    if fast is not None:
        document = json_document("f.jsonl", line, 1)
        assert isinstance(document, Document)
        assert _without_document(fast) == _without_document(conversation_from_document(document))


def _bracket_depth(value: Any) -> int:
    """Levels of containers, empty ones included: what `may_nest_too_deep` measures."""
    if isinstance(value, dict):
        return 1 + max(map(_bracket_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_bracket_depth, value), default=0)
    return 0


# Strings full of what could fool a count of brackets: brackets, quotes, backslashes (and
# what JSON escapes, or writes in more than one byte).
tricky_text = st.text(alphabet='[]{}"\\ ,:nul\né\u2028\ud800', max_size=8)
leaves = st.none() | st.integers() | tricky_text | st.just([]) | st.just({})
shallow = st.recursive(
    leaves,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(tricky_text, children, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def nested_values(draw: st.DrawFn) -> Any:
    value = draw(shallow)
    for _ in range(draw(st.integers(min_value=0, max_value=MAX_DEPTH + 6))):
        sibling = draw(shallow)
        if draw(st.booleans()):
            value = [sibling, value] if draw(st.booleans()) else [value]
        else:
            value = {draw(tricky_text): value, "~": sibling}
    return value


@settings(max_examples=400, deadline=None)
@given(nested_values(), st.booleans())
def test_the_depth_of_a_json_text_is_measured_outside_its_strings(
    value: Any, compact: bool
) -> None:
    if compact:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    else:
        text = json.dumps(value)
    assert may_nest_too_deep(text) == (_bracket_depth(value) > MAX_DEPTH)
