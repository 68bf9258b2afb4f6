"""A small log and policy whose scorecard is worked out by hand in test_scorecard.py,
hand-made scorecards for the renderers' tests, and a malformed line of each kind."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from cprlint.model import Budget
from cprlint.scorecard.card import Limits, Row, Scorecard, Unpriced, link_previous

from tests.projects import write_fixture

REPOSITORY = Path(__file__).resolve().parent.parent

# What a reader's tool would obey in a scorecard made for people: C0 control characters
# but the line break, DEL and C1 controls (ESC, OSC, BEL, CSI...), the bidirectional
# formatting characters (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069) and the
# line and paragraph separators (U+2028, U+2029).
OBEYED = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)

POLICY = """\
apiVersion: cprlint/v1
kind: Policy
metadata: {name: acme, version: 1, project: acme}
currency: USD
pricing:
  catalog: none
  models:
    small-1: {input: 1.00, cached_input: 0.50, output: 4.00}
    big-1: {input: 10.00, output: 30.00}
  retrieval: {per_query: 0.001}
  tools: {lookup: 0.002, default: 0.0005}
  human: {per_minute: 0.50}
tiers:
  economy: [small-1]
  premium: [big-1]
risk: {low: [economy], high: [premium]}
intents:
  refund: {risk: high, tier: premium, budget: 0.05}
  default: {risk: low, tier: economy}
budgets:
  cost_per_resolution: 0.02
  queues: {billing: 0.03}
quality:
  min_resolution_rate: 0.6
  max_escalation_rate: 0.3
"""


def call(model: str, attempt: int = 1, **usage: int) -> dict[str, Any]:
    return {
        "type": "llm_call",
        "stage": "generate",
        "model": model,
        "attempt": attempt,
        "status": "ok",
        "usage": usage,
    }


def conversation(
    identifier: str,
    started_at: str | None,
    *,
    intent: str = "password",
    queue: str = "account",
    automation: str = "full",
    status: str = "resolved",
    resolved_by: str | None = "ai",
    reopened: bool = False,
    project: str = "acme",
    events: list[dict[str, Any]],
) -> dict[str, Any]:
    outcome: dict[str, Any] = {"status": status, "reopened": reopened}
    if resolved_by is not None:
        outcome["resolved_by"] = resolved_by
    found: dict[str, Any] = {
        "id": identifier,
        "intent": intent,
        "queue": queue,
        "project": project,
        "automation": automation,
        "outcome": outcome,
        "events": events,
    }
    if started_at is not None:
        found["started_at"] = started_at
    return found


# Week of Monday 2026-11-02 and week of 2026-11-09; the costs are worked out in the tests.
CONVERSATIONS = [
    conversation(
        "T1",
        "2026-11-02T09:00:00Z",
        intent="refund",
        queue="billing",
        events=[
            {"type": "message", "role": "user", "text": "refund please"},
            call("big-1", input_tokens=1000, output_tokens=200),
            {"type": "tool_call", "stage": "tool", "name": "lookup", "args": {"id": 1}},
            {"type": "retrieval", "stage": "retrieve", "query": "refunds", "context_tokens": 900},
        ],
    ),
    conversation(
        "T2",
        "2026-11-04T23:59:59+02:00",
        automation="partial",
        status="escalated",
        resolved_by=None,
        events=[
            call("small-1", input_tokens=2000, cached_input_tokens=1000, output_tokens=100),
            call("small-1", attempt=2, input_tokens=2000, output_tokens=100),
            {"type": "tool_call", "stage": "tool", "name": "reset", "args": {}},
            {"type": "escalation", "reason": "locked out", "handle_minutes": 6},
        ],
    ),
    conversation(
        "T3",
        "2026-11-08T23:00:00Z",
        reopened=True,
        events=[call("small-1", input_tokens=500, output_tokens=50)],
    ),
    conversation(
        "T4",
        "2026-11-09T00:00:00Z",
        intent="refund",
        queue="billing",
        events=[call("big-1", input_tokens=500, output_tokens=100)],
    ),
    conversation(
        "T5",
        "2026-11-10",
        automation="assisted",
        resolved_by="human",
        events=[
            call("mystery-model", input_tokens=100, output_tokens=10),
            {"type": "escalation", "reason": "asked for a human", "handle_minutes": 2.5},
        ],
    ),
    conversation("T6", None, events=[call("small-1", input_tokens=100, output_tokens=10)]),
]


def write_project(root: Path, conversations: list[dict[str, Any]] | None = None) -> Path:
    """A policy folder and one log; returns the log's path."""
    (root / "policies").mkdir(parents=True, exist_ok=True)
    (root / "policies" / "acme.yaml").write_text(POLICY, encoding="utf-8")
    return write_fixture(root / "logs" / "requests.jsonl", conversations or CONVERSATIONS)


def log_from_fixtures(log: Path, started_at: Callable[[int], str]) -> list[str]:
    """The repository's 344 generated fixture conversations as a request log, the n-th
    started at `started_at(n)`; returns the log's lines."""
    source = REPOSITORY / "fixtures" / "generated" / "conversations.jsonl"
    lines = []
    for number, text in enumerate(source.read_text(encoding="utf-8").splitlines()):
        data = json.loads(text)
        data["started_at"] = started_at(number)
        lines.append(json.dumps(data))
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return lines


# --- hand-made scorecards, without an engine -------------------------------------------

WEEK_1 = dt.date(2026, 10, 5)


def week(number: int) -> dt.date:
    return WEEK_1 + dt.timedelta(weeks=number - 1)


def hand_made_row(
    group: str,
    period: dt.date,
    *,
    tickets: int = 10,
    resolved: int = 5,
    auto_resolved: int = 4,
    escalated: int = 1,
    ai_cost: str = "0.05",
    human_cost: str = "0",
    budget: str | None = None,
    fully_loaded: bool = False,
    max_escalation_rate: str | None = None,
) -> Row:
    return Row(
        group=group,
        period=period,
        tickets=tickets,
        resolved=resolved,
        escalated=escalated,
        auto_resolved=auto_resolved,
        retries=0,
        llm_calls=tickets,
        ai_cost=Decimal(ai_cost),
        human_cost=Decimal(human_cost),
        tier_spend=(("economy", Decimal(ai_cost)),),
        limits=Limits(
            policy="support",
            budget=None if budget is None else Budget(Decimal(budget), fully_loaded),
            max_escalation_rate=None
            if max_escalation_rate is None
            else Decimal(max_escalation_rate),
        ),
    )


def hand_made_scorecard(
    *rows: Row,
    logs: tuple[str, ...] = ("logs/week.jsonl",),
    unpriced: tuple[Unpriced, ...] = (),
) -> Scorecard:
    return Scorecard(
        dimension="intent",
        period="week",
        since=None,
        until=None,
        engine="duckdb",
        currency="USD",
        logs=logs,
        rows=tuple(link_previous(rows, "week")),
        tiers=("economy",),
        unpriced=unpriced,
    )


# --- malformed lines --------------------------------------------------------------------


def _with_usage(**usage: Any) -> str:
    bad = json.loads(json.dumps(CONVERSATIONS[3]))  # T4: one llm_call
    bad["id"] = "M"
    bad["events"][0]["usage"].update(usage)
    return json.dumps(bad)


def _changed(change: Callable[[dict[str, Any]], None]) -> str:
    bad = json.loads(json.dumps(CONVERSATIONS[3]))
    bad["id"] = "M"
    change(bad)
    return json.dumps(bad)


# A malformed line of each kind: (an id, the line, its column as the scorecard names it,
# None when not checked (a value is located by its JSON path), and its message, or how
# it starts). Each alone must stop DuckDB's native reading, so that the careful one
# finds it, and be left out on its own.
MALFORMED_LINES: list[tuple[str, bytes, int | None, str]] = [
    (
        "json",
        b'{"id": "B1", "events": [}',
        25,
        "JSON syntax error: Expecting value",
    ),
    (
        "text",
        b"not json",
        1,
        "JSON syntax error: Expecting value",
    ),
    (
        "array",
        b"[1, 2]",
        1,
        "the line must be a conversation (a JSON object), not [1, 2]",
    ),
    (
        "null",
        b"null",
        1,
        "the line must be a conversation (a JSON object), not null",
    ),
    (
        "latin-1",
        '{"id": "M", "intent": "caf\u00e9", "outcome": {"status": "open"}, "events": []}'.encode(
            "latin-1"
        ),
        27,
        "not UTF-8 text (byte 26)",
    ),
    (
        "number as text",
        _with_usage(input_tokens="12").encode(),
        None,
        '`events[0].usage.input_tokens` must be a whole number, not "12"',
    ),
    (
        "fraction",
        _with_usage(output_tokens=1.5).encode(),
        None,
        "`events[0].usage.output_tokens` must be a whole number, not 1.5",
    ),
    (
        "too large",
        _with_usage(input_tokens=2**64).encode(),
        None,
        "`events[0].usage.input_tokens` is 18446744073709551616, more than a log can hold "
        "(9,223,372,036,854,775,807)",
    ),
    (
        "boolean as text",
        _changed(lambda data: data["outcome"].update(reopened="yes")).encode(),
        None,
        '`outcome.reopened` must be true or false, not "yes"',
    ),
    (
        "no outcome",
        _changed(lambda data: data.pop("outcome")).encode(),
        None,
        "`outcome.status` is missing: a conversation needs `id`, `intent`, `outcome.status` "
        "and `events`",
    ),
    (
        "bad started_at",
        _changed(lambda data: data.update(started_at="last tuesday")).encode(),
        None,
        "`started_at` 'last tuesday' is not an ISO 8601 date-time such as "
        "2026-11-02T09:15:00Z, 2026-11-02T10:15:00+01:00 or 2026-11-02",
    ),
    (
        "started_at in another form",
        # ISO 8601 (an hour, no minutes), which Python reads and DuckDB and Spark do not.
        _changed(lambda data: data.update(started_at="2026-11-09T09Z")).encode(),
        None,
        "`started_at` '2026-11-09T09Z' is not an ISO 8601 date-time",
    ),
    (
        "events not a list",
        _changed(lambda data: data.update(events={"type": "llm_call"})).encode(),
        None,
        '`events` must be a list, not {"type": "llm_call"}',
    ),
    (
        # Two writers' lines run together: DuckDB stops; Spark's parser would take the
        # first object and say nothing, so Spark looks for "}{" in the line's text.
        "two objects",
        (json.dumps(CONVERSATIONS[3]) + json.dumps(CONVERSATIONS[4])).encode(),
        None,
        "JSON syntax error: Extra data",
    ),
    (
        "an array of objects",
        ("[" + json.dumps(CONVERSATIONS[3]) + "]").encode(),
        1,
        'the line must be a conversation (a JSON object), not [{"id": "T4"',
    ),
    (
        "a key twice",
        b'{"id": "M", "intent": "x", "intent": "y", "outcome": {"status": "open"}, "events": []}',
        1,
        "the key `intent` is given twice in one object",
    ),
]
