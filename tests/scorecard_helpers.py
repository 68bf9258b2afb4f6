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
        "bad at",
        _changed(lambda data: data["events"][0].update(at="yesterday")).encode(),
        None,
        "`events[0].at` 'yesterday' is not an ISO 8601 date-time such as",
    ),
    (
        # `check` reads a text that is not one as none; Spark would read ["hi"] as the
        # text `["hi"]`, a greeting.
        "a message's text a list",
        _changed(
            lambda data: data["events"].insert(
                0, {"type": "message", "role": "user", "text": ["hi"]}
            )
        ).encode(),
        None,
        '`events[0].text` of a message must be a text, not ["hi"]',
    ),
    (
        "a key twice",
        b'{"id": "M", "intent": "x", "intent": "y", "outcome": {"status": "open"}, "events": []}',
        1,
        "the key `intent` is given twice in one object",
    ),
]


# --- the resolution rule and overhead (tests/test_scorecard_resolution.py) -------------

T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)  # Monday 2 November 2026, 09:00 UTC
STARTED = "2026-11-02T08:00:00Z"  # an hour before T0: when the clause log's tickets open


def at(hours: float) -> str:
    """The time `hours` after T0 (to the minute), as a log writes it."""
    moment = T0 + dt.timedelta(minutes=round(hours * 60))
    return moment.isoformat().replace("+00:00", "Z")


def said(role: str, text: str, hours: float | None = None) -> dict[str, Any]:
    """A message, at `hours` after T0 (none: it does not say when)."""
    event: dict[str, Any] = {"type": "message", "role": role, "text": text}
    if hours is not None:
        event["at"] = at(hours)
    return event


# A policy for one project, its resolution rule given as JSON (which YAML reads).
RULE_POLICY = """\
apiVersion: cprlint/v1
kind: Policy
metadata: {{name: {name}, version: 1, project: {project}}}
currency: USD
pricing:
  catalog: none
  models:
    small-1: {{input: 1.00, output: 4.00}}
  human: {{per_minute: 0.50}}
{pricing}tiers:
  economy: [small-1]
risk: {{low: [economy]}}
intents:
  default: {{risk: low, tier: economy}}
resolution: {resolution}
"""


def rule_policy(project: str, rule: dict[str, Any], pricing: str = "") -> str:
    return RULE_POLICY.format(
        name=project, project=project, resolution=json.dumps(rule), pricing=pricing
    )


# One call of 1,000 input tokens to small-1 ($1 per 1M): $0.001.
MILLI_CALL = call("small-1", input_tokens=1000)

# The customer asks at T0, the AI answers 6 minutes later.
ASKED = [said("user", "Where is my order 5512?", 0), said("assistant", "It ships today.", 0.1)]
GREETED = [said("user", "Hi there!", 0), said("assistant", "Hello! How can I help?", 0.1)]

# Each clause of the rule on one ticket: (id, the rule, its events, its outcome beside
# `status: resolved, resolved_by: ai`, (resolved, judged without a time it needed)). Each
# ticket also makes one $0.001 call, and opens at STARTED; times are hours after T0.
CLAUSE_CASES: list[tuple[str, dict[str, Any], list[dict[str, Any]], dict[str, Any], tuple[int, int]]] = [
    ("status", {}, ASKED, {"status": "escalated"}, (0, 0)),
    ("resolved-by", {"resolved_by": ["ai"]}, ASKED, {"resolved_by": "human"}, (0, 0)),
    # Nobody said who resolved it: not under a rule that counts the AI only ...
    ("unattributed", {"resolved_by": ["ai"]}, ASKED, {"resolved_by": None}, (0, 0)),
    # ... but under one that counts every resolver (the default).
    ("unattributed-counts", {}, ASKED, {"resolved_by": None}, (1, 0)),
    ("reopened", {}, ASKED, {"reopened": True}, (0, 0)),
    # Reopened 3 days after the answer (0.1 h): within 7 days, taken back; 8 days: not.
    ("reopened-within", {"reopened_within": "7d"}, ASKED, {"reopened_at": at(0.1 + 3 * 24)}, (0, 0)),
    ("reopened-after", {"reopened_within": "7d"}, ASKED, {"reopened_at": at(0.1 + 8 * 24)}, (1, 0)),
    # No AI answer: resolved at the last event with a time, the call at 1 h; reopened
    # exactly 7 days later: within (a window holds its end).
    ("reopened-last-event", {"reopened_within": "7d"}, [said("user", "Where is my order?", 0), {**MILLI_CALL, "at": at(1)}], {"reopened_at": at(1 + 7 * 24)}, (0, 0)),
    # No event says when: resolved when it started (STARTED, -1 h); reopened 7 days and a
    # minute after that: outside.
    ("reopened-started-at", {"reopened_within": "7d"}, [said("user", "Where is my order?")], {"reopened_at": at(-1 + 7 * 24 + 1 / 60)}, (1, 0)),
    # The answer does not say when: the window cannot be placed. Not guessed: judged by
    # the rest of the rule (counted), and untimed.
    ("reopened-untimed", {"reopened_within": "7d"}, [said("user", "Where is my order?", 0), said("assistant", "It ships today.")], {"reopened_at": at(24)}, (1, 1)),
    ("agent-message", {"void_when": {"agent_message": True}}, [*ASKED, said("agent", "Anything else?", 0.2)], {}, (0, 0)),
    ("csat-under", {"void_when": {"csat_below": 4}}, ASKED, {"csat": 3}, (0, 0)),
    ("csat-at", {"void_when": {"csat_below": 4}}, ASKED, {"csat": 4}, (1, 0)),
    ("greeting-only", {"void_when": {"greeting_only": True}}, GREETED, {}, (0, 0)),
    # A greeting, then the question: the one answer replied to the question.
    ("greeting-then-question", {"void_when": {"greeting_only": True}}, [said("user", "hi", 0), said("user", "Where is my order?", 0.05), said("assistant", "It ships today.", 0.1)], {}, (1, 0)),
    # Two answers: more than a greeting was answered.
    ("greeting-answered-twice", {"void_when": {"greeting_only": True}}, [*GREETED, said("user", "Where is my order?", 0.2), said("assistant", "It ships today.", 0.3)], {}, (1, 0)),
    ("unconfirmed", {"confirmed_only": True}, ASKED, {}, (0, 0)),
    ("confirmed", {"confirmed_only": True}, ASKED, {"confirmed": True}, (1, 0)),
    # The customer wrote again 2 h after the answer: within 24 h, not assumed; exactly
    # 24 h after: within; 30 h after: past it, the assumed resolution stands.
    ("assumed-within", {"assumed_after": "24h"}, [*ASKED, said("user", "It did not arrive", 2.1)], {}, (0, 0)),
    ("assumed-at-the-end", {"assumed_after": "24h"}, [*ASKED, said("user", "It did not arrive", 24.1)], {}, (0, 0)),
    ("assumed-later", {"assumed_after": "24h"}, [*ASKED, said("user", "thanks", 30.1)], {}, (1, 0)),
    # A confirmed resolution needs no waiting.
    ("assumed-confirmed", {"assumed_after": "24h"}, [*ASKED, said("user", "Thanks!", 0.2)], {"confirmed": True}, (1, 0)),
    # The customer wrote again, without a time: within 24 h or not cannot be told.
    ("assumed-untimed", {"assumed_after": "24h"}, [*ASKED, said("user", "hm")], {}, (1, 1)),
]  # fmt: skip


def clause_ticket(
    identifier: str, events: list[dict[str, Any]], outcome: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    """A ticket of the clause log: resolved by the AI unless `outcome` says otherwise,
    one $0.001 call besides `events` (unless they make one)."""
    settled = {"status": "resolved", "resolved_by": "ai", **outcome}
    calls = [] if any(event["type"] == "llm_call" for event in events) else [MILLI_CALL]
    return {
        "id": identifier,
        "intent": "order_status",
        "started_at": STARTED,
        "outcome": {key: value for key, value in settled.items() if value is not None},
        "events": [*events, *calls],
        **fields,
    }


def write_clause_log(root: Path) -> Path:
    """CLAUSE_CASES as a log, each ticket in a project of its own governed by a policy
    with its rule (policies in root/policies); returns the log."""
    (root / "policies").mkdir(parents=True, exist_ok=True)
    tickets = []
    for name, rule, events, outcome, _ in CLAUSE_CASES:
        (root / "policies" / f"{name}.yaml").write_text(rule_policy(name, rule))
        tickets.append(clause_ticket(name, events, outcome, project=name))
    return write_fixture(root / "logs" / "clauses.jsonl", tickets)


# One set of tickets under two vendors' rules (projects `intercom` and `zendesk`, each
# with the four), each with one $0.001 call; times are hours after T0:
#   A: answered, nothing more: counted by both;
#   B: a human agent wrote after the answer: counted by Intercom Fin (the customer asked
#      nothing more), not by Zendesk (live-agent intervention);
#   C: the customer wrote again 30 h after the answer: past Intercom's 24 h (counted),
#      within Zendesk's 72 h (not);
#   D: the AI's only answer replied to "Hi there!": not by Intercom, counted by Zendesk.
PRESET_TICKETS = [
    ("A", ASKED),
    ("B", [*ASKED, said("agent", "I've added a note to your order.", 0.5)]),
    ("C", [*ASKED, said("user", "It came, thanks", 30.1)]),
    ("D", GREETED),
]


def write_preset_log(root: Path) -> Path:
    (root / "policies").mkdir(parents=True, exist_ok=True)
    tickets = []
    for project in ("intercom", "zendesk"):
        preset = {"intercom": "intercom-fin", "zendesk": "zendesk-messaging"}[project]
        (root / "policies" / f"{project}.yaml").write_text(rule_policy(project, {"preset": preset}))
        tickets += [
            clause_ticket(f"{project}-{name}", events, {}, project=project)
            for name, events in PRESET_TICKETS
        ]
    return write_fixture(root / "logs" / "presets.jsonl", tickets)


# Overhead of $900 a month ($300 vector store, $600 human QA) over the tickets of each
# calendar month (UTC) in the log: October has 4, November 2; one more has no started_at
# (in no month, carrying no overhead). Each ticket: one $0.001 call, resolved by the AI
# (the default rule counts them all).
OVERHEAD_PRICING = "  overhead: {vector_store: 300, human_qa: 600}\n"
OVERHEAD_STARTS = [
    "2026-10-05T10:00:00Z",
    "2026-10-29T10:00:00Z",
    "2026-10-31T23:30:00Z",
    "2026-11-01T00:30:00+01:00",  # 23:30 UTC on 31 October: an October ticket
    "2026-11-01T10:00:00Z",
    "2026-11-10T10:00:00Z",
    None,
]


def write_overhead_log(root: Path) -> Path:
    (root / "policies").mkdir(parents=True, exist_ok=True)
    (root / "policies" / "acme.yaml").write_text(rule_policy("acme", {}, OVERHEAD_PRICING))
    tickets = []
    for number, started_at in enumerate(OVERHEAD_STARTS):
        ticket = clause_ticket(f"O{number}", ASKED, {}, project="acme")
        if started_at is None:
            del ticket["started_at"]
        else:
            ticket["started_at"] = started_at
        tickets.append(ticket)
    return write_fixture(root / "logs" / "overhead.jsonl", tickets)


# --- the same figures from `check` and from the scorecard --------------------------------

# tests/test_replay.py's policy (m-econ $1/1M in, m-prem $10/1M in and $40/1M out,
# retrieval $0.0004, tool `lookup` $0.001, human $0.90 a minute), under Intercom Fin's
# rule, with $400 of overhead a month over the 8 tickets of November 2026: $50 a ticket.
SAME_AS_CHECK_POLICY_EXTRA = "resolution: {preset: intercom-fin}\ntraffic: {monthly_tickets: 8}\n"
SAME_AS_CHECK_OVERHEAD = "  overhead: {vector_store: 100, human_qa: 300}\n"


def same_as_check_conversations() -> list[dict[str, Any]]:
    """Eight November tickets, each written out in the test that uses them."""
    from tests.test_replay import call as replay_call

    def ticket(
        identifier: str, events: list[dict[str, Any]], day: int, **outcome: Any
    ) -> dict[str, Any]:
        found = clause_ticket(identifier, events, outcome)
        found["started_at"] = f"2026-11-{day:02d}T08:00:00Z"
        found["queue"] = "orders"
        found["events"] = [
            event if event is not MILLI_CALL else replay_call("m-econ", 1_000, 0)
            for event in found["events"]
        ]
        return found

    prem = replay_call("m-prem", 1_000, 100)
    lookup = {"type": "tool_call", "stage": "tool", "name": "lookup", "args": {}}
    retrieval = {"type": "retrieval", "stage": "retrieve", "query": "orders", "context_tokens": 10}
    escalation = {"type": "escalation", "reason": "asked for a human", "handle_minutes": 10}
    return [
        ticket("A", ASKED, 2),
        ticket("B", [*ASKED, said("user", "still nothing", 2.1)], 3),
        ticket("C", [*ASKED, said("agent", "noted", 0.5)], 4),
        ticket("D", [*ASKED, escalation], 5, status="escalated", resolved_by=None),
        ticket("E", GREETED, 9),
        ticket("F", ASKED, 10, reopened_at=at(30 * 24)),
        # (a premium intent: a replay leaves its premium call as it was)
        {
            **ticket("G", [*ASKED, prem, said("user", "Thanks!", 0.2)], 20, confirmed=True),
            "intent": "billing_dispute",
        },
        ticket("H", [*ASKED, retrieval, lookup, said("user", "hm")], 30),
    ]
