"""Resolution as the industry defines it: each clause of a rule, and the vendors' presets,
on conversations whose times and signals are written out (docs/resolution.md)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cprlint.documents import Document, load_yaml_documents
from cprlint.model import Policy, conversation_from_document, resolution_rule
from cprlint.policy_diff import policy_changes
from cprlint.project import policies_in
from cprlint.resolution import duration_text, is_greeting, judge_resolution

from tests.test_replay import POLICY, call, make_project, run_check

T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def at(hours: float) -> str:
    """The time `hours` after 09:00 UTC on 2 November 2026, as fixtures write it."""
    return (T0 + dt.timedelta(hours=hours)).isoformat().replace("+00:00", "Z")


def message(role: str, text: str, hours: float | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {"type": "message", "role": role, "text": text}
    if hours is not None:
        event["at"] = at(hours)
    return event


def ticket(events: list[dict[str, Any]], **outcome: Any) -> dict[str, Any]:
    return {
        "id": "T-1",
        "intent": "order_status",
        "outcome": {"status": "resolved", "resolved_by": "ai", **outcome},
        "events": events,
    }


ANSWERED = [
    message("user", "Where is my order 5512?", 0),
    message("assistant", "It ships today.", 0.1),
]

CASES: list[tuple[str, dict[str, Any], dict[str, Any], tuple[bool, str]]] = [
    # (what, the conversation, the rule, (resolved, the deciding clause))
    ("resolved, default rule", ticket(ANSWERED), {}, (True, "counted")),
    ("escalated", ticket(ANSWERED, status="escalated"), {}, (False, "status")),
    ("a human resolved it, ai only", ticket(ANSWERED, resolved_by="human"), {"resolved_by": ["ai"]}, (False, "resolved_by")),
    ("nobody said who, ai only", {**ticket(ANSWERED), "outcome": {"status": "resolved"}}, {"resolved_by": ["ai"]}, (False, "unattributed")),
    ("reopened", ticket(ANSWERED, reopened=True), {}, (False, "reopened")),
    # Reopened 8 days after the answer (0.1 h): outside a 7-day window, it stays resolved;
    # 3 days after, within it, taken back.
    ("reopened after the window", ticket(ANSWERED, reopened_at=at(0.1 + 8 * 24)), {"reopened_within": "7d"}, (True, "counted")),
    ("reopened within the window", ticket(ANSWERED, reopened_at=at(0.1 + 3 * 24)), {"reopened_within": "7d"}, (False, "reopened")),
    ("a human agent wrote", ticket([*ANSWERED, message("agent", "Anything else?", 0.2)]), {"void_when": {"agent_message": True}}, (False, "agent_message")),
    ("CSAT 2 under 4", ticket(ANSWERED, csat=2), {"void_when": {"csat_below": 4}}, (False, "csat")),
    ("CSAT 4, not under 4", ticket(ANSWERED, csat=4), {"void_when": {"csat_below": 4}}, (True, "counted")),
    ("the only answer replied to a greeting", ticket([message("user", "Hi there!", 0), message("assistant", "Hello! How can I help?", 0.01)]), {"void_when": {"greeting_only": True}}, (False, "greeting_only")),
    ("greeting, then a real answer", ticket([message("user", "hi", 0), message("assistant", "Hello!", 0.01), *ANSWERED]), {"void_when": {"greeting_only": True}}, (True, "counted")),
    ("unconfirmed, confirmed only", ticket(ANSWERED), {"confirmed_only": True}, (False, "unconfirmed")),
    ("confirmed, confirmed only", ticket(ANSWERED, confirmed=True), {"confirmed_only": True}, (True, "counted")),
    # The customer wrote again 2 h after the last answer: within 24 h, not assumed.
    ("wrote again within the window", ticket([*ANSWERED, message("user", "It did not arrive", 2.1)]), {"assumed_after": "24h"}, (False, "assumed_after")),
    # 30 h after: past 24 h; the assumed resolution stands (a later return is a reopening).
    ("wrote again after the window", ticket([*ANSWERED, message("user", "thanks", 30.1)]), {"assumed_after": "24h"}, (True, "counted")),
    # A confirmed resolution needs no waiting.
    ("confirmed, then wrote again", ticket([*ANSWERED, message("user", "Thanks!", 0.2)], confirmed=True), {"assumed_after": "24h"}, (True, "counted")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("conversation", "rule", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_each_clause(
    conversation: dict[str, Any], rule: dict[str, Any], expected: tuple[bool, str]
) -> None:
    parsed = conversation_from_document(Document("f.jsonl", conversation))
    assert parsed is not None
    judgement = judge_resolution(parsed, resolution_rule(rule))
    assert (judgement.resolved, judgement.clause) == expected


def test_a_clause_without_its_times_judges_by_the_rest() -> None:
    # The customer wrote after the last answer, but no message has a time: whether within
    # 24 h cannot be told; not guessed: judged by the rest (resolved), counted apart.
    untimed = ticket([*[{**e} for e in ANSWERED], message("user", "hm")])
    for event in untimed["events"]:
        event.pop("at", None)
    parsed = conversation_from_document(Document("f.jsonl", untimed))
    assert parsed is not None
    judgement = judge_resolution(parsed, resolution_rule({"assumed_after": "24h"}))
    assert (judgement.resolved, judgement.untimed) == (True, ("assumed_after",))


# One conversation, two vendors: Intercom Fin counts it, Zendesk messaging does not.
# The AI answered at 0.1 h; a human agent then wrote (Zendesk: live-agent intervention
# voids it; Intercom: Fin's resolution stands, the customer asked nothing more).
BOTH = ticket([*ANSWERED, message("agent", "I've added a note to your order.", 0.5)])


@pytest.mark.parametrize(
    ("preset", "expected"),
    [("intercom-fin", (True, "counted")), ("zendesk-messaging", (False, "agent_message"))],
)
def test_one_conversation_two_presets(preset: str, expected: tuple[bool, str]) -> None:
    parsed = conversation_from_document(Document("f.jsonl", BOTH))
    assert parsed is not None
    judgement = judge_resolution(parsed, resolution_rule({"preset": preset}))
    assert (judgement.resolved, judgement.clause) == expected


def test_a_preset_is_overridden_by_the_keys_beside_it() -> None:
    rule = resolution_rule(
        {"preset": "intercom-fin", "assumed_after": "48h", "void_when": {"csat_below": 3}}
    )
    assert rule.assumed_after == dt.timedelta(hours=48)
    assert (rule.void_greeting_only, rule.csat_below, rule.resolved_by) == (True, 3, ("ai",))


@pytest.mark.parametrize(
    ("text", "greeting"),
    [("Hi", True), ("hello there!", True), ("Guten Tag", True), ("hi anna", True), ("Hola 👋", True),
     ("Hi, my card is blocked", False), ("hello I need a refund", False), ("thanks", False)],
)  # fmt: skip
def test_greetings(text: str, greeting: bool) -> None:
    assert is_greeting(text) is greeting


# --- through check: the figures, the overhead, the vendor compared with ---------------


def test_check_reports_the_rule_the_clauses_and_what_a_vendor_would_charge(tmp_path: Path) -> None:
    # Four order_status tickets, each one m-econ call of 1,000 in / 0 out = 1,000 per 1M
    # = $0.001 (POLICY prices m-econ at 1 per 1M input):
    #   A: resolved by the AI, answered at 0.1 h, nothing after: counted by both rules;
    #   B: the customer wrote again 2 h after the answer: assumed_after voids it;
    #   C: a human agent wrote: counted by the policy (no agent clause), not by Zendesk;
    #   D: escalated: counted by neither.
    # The policy: intercom-fin. Resolved: A and C = 2. AI CPR = 4 x 0.001 / 2 = $0.002.
    # Overhead $300 a month over 10,000 tickets: $0.03 a ticket, 4 x 0.03 = $0.12 here;
    # fully loaded CPR = (0.004 + 0 human + 0.12) / 2 = $0.062 (AI CPR unchanged).
    # Zendesk messaging at $1.50 a resolution counts A only: charge $1.50; per our 2
    # resolutions, $0.75.
    def with_call(events: list[dict[str, Any]], tid: str, **outcome: Any) -> dict[str, Any]:
        conversation = ticket([*events, call("m-econ", 1_000, 0)], **outcome)
        return {**conversation, "id": tid}

    conversations = [
        with_call(ANSWERED, "A"),
        with_call([*ANSWERED, message("user", "still nothing", 2.1)], "B"),
        with_call([*ANSWERED, message("agent", "noted", 0.5)], "C"),
        with_call(ANSWERED, "D", status="escalated"),
    ]
    policy = POLICY.replace(
        "  human: {per_minute: 0.90}\n",
        "  human: {per_minute: 0.90}\n  overhead: {vector_store: 100, human_qa: 200}\n",
    ) + (
        "resolution: {preset: intercom-fin}\n"
        "traffic: {monthly_tickets: 10000}\n"
        "compare_with:\n"
        "  name: Zendesk AI agents\n"
        "  price_per_resolution: 1.50\n"
        "  resolution: {preset: zendesk-messaging}\n"
    )
    run = run_check(make_project(tmp_path, conversations, policy=policy))
    summary = run.aggregates.overall.summary
    assert (summary.resolved, summary.cost_per_resolution) == (2, Decimal("0.002"))
    assert summary.overhead_cost == Decimal("0.12")
    assert summary.fully_loaded_cost_per_resolution == Decimal("0.062")
    from cprlint.check import metrics

    view = metrics(run)["policies"]["t"]
    assert view["resolution"]["decided"] == {"status": 1, "assumed_after": 1, "counted": 2}
    assert view["resolution"]["rule"]["preset"] == "intercom-fin"
    assert view["overhead"] == {
        "monthly": {"human_qa": 200, "vector_store": 100},
        "monthly_tickets": 10000,
        "per_ticket": 0.03,
        "allocated": 0.12,
    }
    vendor = view["compare_with"]["summary"]
    assert (
        vendor["resolved_under_vendor_rule"],
        vendor["charge"],
        vendor["charge_per_resolution"],
    ) == (1, 1.5, 0.75)
    assert json.dumps(view)  # (all of it JSON)


# --- through diff: a changed rule is a policy change ------------------------------------


def _policy(resolution: str) -> Policy:
    documents, problems = load_yaml_documents("policies/t.yaml", POLICY + resolution)
    policies, more = policies_in(documents)
    assert not problems
    assert not more
    return policies[0]


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        # An assumed resolution now waits 24 h for the customer to stay away: fewer count.
        ("", "resolution: {assumed_after: 24h}\n", [("resolution.assumed_after", "tightened")]),
        # A shorter wait lets more through.
        (
            "resolution: {assumed_after: 72h}\n",
            "resolution: {assumed_after: 24h}\n",
            [("resolution.assumed_after", "loosened")],
        ),
        # Only reopenings within 7 days take a resolution back, not all of them: loosened.
        (
            "resolution: {exclude_reopened: true}\n",
            "resolution: {exclude_reopened: true, reopened_within: 7d}\n",
            [("resolution.reopened_within", "loosened")],
        ),
        # A CSAT bar lowered from 4 to 3 voids fewer.
        (
            "resolution: {void_when: {csat_below: 4}}\n",
            "resolution: {void_when: {csat_below: 3}}\n",
            [("resolution.void_when.csat_below", "loosened")],
        ),
        (
            "resolution: {void_when: {agent_message: true}}\n",
            "resolution: {void_when: {agent_message: false}}\n",
            [("resolution.void_when.agent_message", "loosened")],
        ),
        (
            "",
            "resolution: {confirmed_only: true}\n",
            [("resolution.confirmed_only", "tightened")],
        ),
        # Adopting a preset: named (neutral), and judged by the clauses it brings: Intercom
        # Fin waits 24 h, voids greeting-only answers and takes reopenings back.
        (
            "resolution: {exclude_reopened: false}\n",
            "resolution: {preset: intercom-fin}\n",
            [
                ("resolution.assumed_after", "tightened"),
                ("resolution.exclude_reopened", "tightened"),
                ("resolution.preset", "neutral"),
                # ... and it counts the AI's resolutions only.
                ("resolution.resolved_by", "tightened"),
                ("resolution.void_when.greeting_only", "tightened"),
            ],
        ),
    ],
)
def test_a_changed_rule_is_loosened_when_more_would_count(
    before: str, after: str, expected: list[tuple[str, str]]
) -> None:
    changes = policy_changes(_policy(before), _policy(after))
    assert [(change.path, change.kind) for change in changes] == expected


def test_a_window_reads_as_it_was_written() -> None:
    assert [duration_text(dt.timedelta(hours=h)) for h in (24, 72, 1.5, 168, 200)] == [
        "24h",
        "72h",
        "1h30m",
        "7d",
        "200h",
    ]
