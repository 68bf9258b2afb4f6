"""Replay and pricing on small cases whose numbers are worked out by hand (SPEC §3).

Prices in these policies are per 1M tokens and chosen so the arithmetic is easy to
follow: model `m-econ` costs 1 per 1M input, 0.10 cached, 1.25 cache write, 4 output;
`m-prem` costs 10 / 1 / 12.5 / 40.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from cprlint.check import CheckRun, check_project
from cprlint.pricing import builtin_catalog
from cprlint.project import load_project

TODAY = dt.date(2026, 11, 23)

POLICY = """\
apiVersion: cprlint/v1
kind: Policy
metadata: {name: t, version: 1}
pricing:
  catalog: none
  models:
    m-econ: {input: 1.00, cached_input: 0.10, cache_write: 1.25, output: 4.00}
    m-prem: {input: 10.00, cached_input: 1.00, cache_write: 12.50, output: 40.00}
  retrieval: {per_query: 0.0004}
  tools: {lookup: 0.001, default: 0}
  human: {per_minute: 0.90}
tiers:
  economy: [m-econ]
  premium: [m-prem]
risk:
  low: [economy]
  high: [premium]
routing:
  stages: {classify: economy}
intents:
  order_status: {risk: low, tier: economy, budget: 0.0089}
  billing_dispute: {risk: high, tier: premium}
  default: {risk: low, tier: economy}
retries:
  max_per_stage: {generate: 1}
  max_fallbacks: 1
  max_identical_tool_calls: 1
"""


def call(model: str, input_tokens: int, output_tokens: int, **extra: Any) -> dict[str, Any]:
    usage = {"input_tokens": input_tokens, "output_tokens": output_tokens}
    for key in ("cached_input_tokens", "cache_write_tokens"):
        if key in extra:
            usage[key] = extra.pop(key)
    return {
        "type": "llm_call",
        "stage": "generate",
        "model": model,
        "attempt": 1,
        "status": "ok",
        "usage": usage,
        **extra,
    }


def conversation(
    cid: str,
    events: list[dict[str, Any]],
    *,
    intent: str = "order_status",
    status: str = "resolved",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": cid,
        "intent": intent,
        "queue": "orders",
        "automation": "full",
        "outcome": {"status": status},
        "events": events,
        **extra,
    }


def make_project(
    root: Path,
    conversations: list[dict[str, Any]],
    *,
    policy: str = POLICY,
    prompts: dict[str, str] | None = None,
) -> Path:
    (root / "policies").mkdir(parents=True)
    (root / "policies" / "p.yaml").write_text(policy)
    (root / "fixtures").mkdir()
    (root / "fixtures" / "f.jsonl").write_text("".join(json.dumps(c) + "\n" for c in conversations))
    for name, text in (prompts or {}).items():
        (root / "prompts" / Path(name).parent).mkdir(parents=True, exist_ok=True)
        (root / "prompts" / name).write_text(text)
    return root


def run_check(root: Path, **options: Any) -> CheckRun:
    run = CheckRun(load_project(root), today=TODAY, catalog=None, **options)
    run.run()
    return run


def codes(run: CheckRun) -> list[tuple[str, int]]:
    return sorted((f.rule, f.line) for f in run.collector.sorted_findings())


def test_cached_tokens_and_cache_writes(tmp_path: Path) -> None:
    # input 10,000 of which 4,000 read from cache and 2,000 written to it, output 500:
    # (10,000 - 4,000 - 2,000) x 1 + 4,000 x 0.10 + 2,000 x 1.25 + 500 x 4
    # = 4,000 + 400 + 2,500 + 2,000 = 8,900 per 1M = 0.0089
    root = make_project(
        tmp_path,
        [
            conversation(
                "T-1",
                [call("m-econ", 10_000, 500, cached_input_tokens=4_000, cache_write_tokens=2_000)],
            )
        ],
    )
    run = run_check(root)
    summary = run.aggregates.overall.summary
    assert summary.ai_cost == Decimal("0.0089")
    # One resolved conversation: CPR = 0.0089, exactly the budget of order_status:
    # budgets are inclusive, so no finding.
    assert summary.cost_per_resolution == Decimal("0.0089")
    assert codes(run) == []


def test_retries_and_fallbacks_are_paid_and_capped(tmp_path: Path) -> None:
    events = [
        call("m-econ", 1_000, 0, status="error"),  # 1,000 x 1 = 1,000
        call("m-econ", 1_000, 0, attempt=2, status="error"),  # 1,000
        call("m-econ", 1_000, 100, attempt=3),  # 1,000 + 400 = 1,400
        call("m-prem", 1_000, 100, fallback=True),  # 10,000 + 4,000 = 14,000
        call("m-prem", 1_000, 100, fallback=True),  # 14,000
    ]
    root = make_project(tmp_path, [conversation("T-1", events)])
    run = run_check(root)
    summary = run.aggregates.overall.summary
    # 1,000 + 1,000 + 1,400 + 14,000 + 14,000 = 31,400 per 1M
    assert summary.ai_cost == Decimal("0.0314")
    assert summary.retries == 2
    assert summary.llm_calls == 5
    # Cap of 1 retry for generate: the 2nd retry (line 1, the conversation's line) is over;
    # max_fallbacks 1: the 2nd fallback is over. Fallbacks keep their model: no drift.
    assert codes(run) == [("CPR402", 21), ("CPR501", 1), ("CPR502", 1)]


def test_rerouting_prices_the_tier_model_and_reports_drift(tmp_path: Path) -> None:
    # order_status is low risk, economy tier. A generate call recorded on m-prem is
    # re-routed to m-econ (economy's first model): 2,000 x 1 + 200 x 4 = 2,800 per 1M.
    # The recording itself drifted: m-prem is outside the tiers low risk allows.
    root = make_project(tmp_path, [conversation("T-1", [call("m-prem", 2_000, 200)])])
    run = run_check(root)
    assert run.aggregates.overall.summary.ai_cost == Decimal("0.0028")
    assert run.aggregates.models["m-econ"].rerouted_calls == 1
    assert codes(run) == [("CPR506", 1)]


def test_classify_stage_is_routed_by_stage_not_intent(tmp_path: Path) -> None:
    # billing_dispute is premium, but classify is routed to economy: a classify call on
    # m-econ stays (1,000 x 1 = 1,000) and a generate call on m-prem stays
    # (1,000 x 10 + 100 x 40 = 14,000). Total 15,000 per 1M = 0.015.
    events = [call("m-econ", 1_000, 0, stage="classify"), call("m-prem", 1_000, 100)]
    root = make_project(tmp_path, [conversation("T-1", events, intent="billing_dispute")])
    run = run_check(root)
    assert run.aggregates.overall.summary.ai_cost == Decimal("0.015")
    assert codes(run) == []


def test_prompt_substitution_recounts_tokens(tmp_path: Path) -> None:
    # Recorded with v1 "Hello {{ name }}!" rendered "Hello Dana!"; released v2 renders
    # "Hello Dana! Hello Dana!". With o200k_base (m-econ is not an OpenAI model, so
    # the count is an estimate with o200k): "Hello"=13225, " Dana", "!"; the second
    # half adds " Hello", " Dana", "!" = 3 tokens. input 1,000 -> 1,003; cached 1,000
    # stays capped at... the recorded cached 600 (<= 1,003).
    prompts = {
        "greet/prompt.yaml": "id: greet\nreleased: v2\n",
        "greet/v1.md": "Hello {{ name }}!",
        "greet/v2.md": "Hello {{ name }}! Hello {{ name }}!",
    }
    greet = call("m-econ", 1_000, 10, prompt="greet", prompt_version="v1", cached_input_tokens=600)
    root = make_project(
        tmp_path, [conversation("T-1", [greet], vars={"name": "Dana"})], prompts=prompts
    )
    run = run_check(root)
    prompt = run.aggregates.prompts["greet"]
    assert prompt.input_tokens == 1_003
    assert dict(prompt.versions) == {"v2": 1}
    # (1,003 - 600) x 1 + 600 x 0.10 + 10 x 4 = 403 + 60 + 40 = 503 per 1M
    assert run.aggregates.overall.summary.ai_cost == Decimal("0.000503")
    assert run.aggregates.models["m-econ"].estimated_calls == 1


def test_prompt_override_and_output_cap(tmp_path: Path) -> None:
    # --prompt greet@v3: same text as v1 (no token change) but max_output_tokens 50
    # caps the recorded 400 output tokens: 1,000 x 1 + 50 x 4 = 1,200 per 1M.
    prompts = {
        "greet/prompt.yaml": "id: greet\nreleased: v1\n",
        "greet/v1.md": "Hello {{ name }}!",
        "greet/v3.md": "---\nmax_output_tokens: 50\n---\nHello {{ name }}!",
    }
    greet = call("m-econ", 1_000, 400, prompt="greet", prompt_version="v1")
    root = make_project(
        tmp_path, [conversation("T-1", [greet], vars={"name": "Dana"})], prompts=prompts
    )
    assert run_check(root).aggregates.overall.summary.ai_cost == Decimal(
        "0.0026"
    )  # v1: 1,000 + 1,600
    run = run_check(root, prompt_overrides={"greet": "v3"})
    assert run.aggregates.overall.summary.ai_cost == Decimal("0.0012")
    assert run.aggregates.overall.summary.output_tokens == 50


def test_missing_template_variable_is_a_warning_at_the_prompt(tmp_path: Path) -> None:
    prompts = {
        "greet/prompt.yaml": "id: greet\nreleased: v2\n",
        "greet/v1.md": "Hello!",
        "greet/v2.md": "Hello {{ name }}, on {{ plan }}!{% if vip %} VIP{% endif %}",
    }
    greet = call("m-econ", 1_000, 10, prompt="greet", prompt_version="v1")
    root = make_project(
        tmp_path, [conversation("T-1", [greet], vars={"name": "Dana"})], prompts=prompts
    )
    findings = run_check(root).collector.sorted_findings()
    # `plan` renders empty: reported; `vip` is only tested: optional, not reported.
    assert [(f.rule, f.path, f.severity.value) for f in findings] == [
        ("CPR205", "prompts/greet/v2.md", "warning")
    ]
    assert "`plan`" in findings[0].message


def test_unresolved_only_scope_has_no_cost_per_resolution(tmp_path: Path) -> None:
    # Two order_status tickets, both escalated: 1,000 x 1 each = 0.002 spent, 0 resolved.
    conversations = [
        conversation("T-1", [call("m-econ", 1_000, 0)], status="escalated"),
        conversation("T-2", [call("m-econ", 1_000, 0)], status="abandoned"),
    ]
    root = make_project(tmp_path, conversations)
    report = check_project(load_project(root), today=TODAY, catalog=None)
    assert report.metrics is not None
    intent = report.metrics["intents"]["order_status"]
    assert intent["ai_cost"] == 0.002
    assert intent["cost_per_resolution"] is None
    assert intent["escalated"] == 1  # status escalated; abandoned is not an escalation
    # The budget of order_status cannot be judged: a finding at its line (21).
    assert [(f.rule, f.line) for f in report.findings] == [("CPR405", 21)]


def test_human_cost_and_fully_loaded_cost_per_resolution(tmp_path: Path) -> None:
    # One resolved ticket: 1,000 input on m-econ (0.001), a retrieval (0.0004), two
    # different lookups (0.001 each) and 6 escalation minutes at 0.90 (5.40 human).
    events = [
        call("m-econ", 1_000, 0),
        {"type": "retrieval", "context_tokens": 800},
        {"type": "tool_call", "name": "lookup", "args": {"a": 1, "b": 2}},
        {"type": "tool_call", "name": "lookup", "args": {"a": 1, "b": 3}},
        {"type": "escalation", "handle_minutes": 6},
    ]
    policy = POLICY.replace(
        "budget: 0.0089", "budget: {cost_per_resolution: 5.00, fully_loaded: true}"
    )
    root = make_project(tmp_path, [conversation("T-1", events)], policy=policy)
    run = run_check(root)
    summary = run.aggregates.overall.summary
    # AI: 0.001 + 0.0004 + 0.002 = 0.0034; fully loaded: 0.0034 + 5.40 = 5.4034 > 5.00
    assert summary.ai_cost == Decimal("0.0034")
    assert summary.human_cost == Decimal("5.40")
    assert summary.fully_loaded_cost_per_resolution == Decimal("5.4034")
    assert codes(run) == [("CPR402", 21)]


def test_identical_tool_calls_compare_canonical_json(tmp_path: Path) -> None:
    # The same arguments in another key order are the same call: 2 > cap of 1.
    events = [
        {"type": "tool_call", "name": "lookup", "args": {"invoice": "INV-1", "full": True}},
        {"type": "tool_call", "name": "lookup", "args": {"full": True, "invoice": "INV-1"}},
        {"type": "tool_call", "name": "lookup", "args": {"invoice": "INV-2", "full": True}},
    ]
    root = make_project(tmp_path, [conversation("T-1", [call("m-econ", 100, 0), *events])])
    assert codes(run_check(root)) == [("CPR503", 1)]


def test_identical_tool_calls_compare_numbers_as_rfc_8785_does(tmp_path: Path) -> None:
    # 1 and 1.0, 0.5 and 5e-1 are one number each in RFC 8785 (IEEE doubles): the first
    # two calls are the same call, 2 > the cap of 1; the third (2) is another.
    events = [
        {"type": "tool_call", "name": "refund", "args": {"order": 1, "share": 0.5}},
        {"type": "tool_call", "name": "refund", "args": {"share": 5e-1, "order": 1.0}},
        {"type": "tool_call", "name": "refund", "args": {"order": 2, "share": 0.5}},
    ]
    root = make_project(tmp_path, [conversation("T-1", [call("m-econ", 100, 0), *events])])
    [finding] = run_check(root).collector.sorted_findings()
    assert finding.rule == "CPR503"
    assert finding.message.startswith("tool `refund` called 2 times with the same arguments")


def test_a_conversation_the_schema_refuses_is_left_out_of_every_figure(tmp_path: Path) -> None:
    # A bare number among the events fails the fixture schema (CPR006): the conversation
    # is reported, and neither replayed nor counted, so its identical tool calls make no
    # CPR503 and its cost is in no total.
    events = [
        call("m-econ", 100, 0),
        7,
        {"type": "tool_call", "name": "lookup", "args": {"invoice": "INV-1"}},
        {"type": "tool_call", "name": "lookup", "args": {"invoice": "INV-1"}},
    ]
    valid = conversation("T-2", [call("m-econ", 100, 0)])
    root = make_project(tmp_path, [conversation("T-1", events), valid])
    run = run_check(root)
    assert codes(run) == [("CPR006", 1)]
    assert run.conversations == 1
    assert run.aggregates.overall.summary.conversations == 1


def test_resolution_rule_excludes_reopened_and_filters_resolver(tmp_path: Path) -> None:
    policy = (
        POLICY
        + "resolution:\n  statuses: [resolved]\n  resolved_by: [ai]\n  exclude_reopened: true\n"
    )
    conversations = [
        conversation(
            "T-1", [call("m-econ", 1_000, 0)], outcome={"status": "resolved", "resolved_by": "ai"}
        ),
        conversation(
            "T-2",
            [call("m-econ", 1_000, 0)],
            outcome={"status": "resolved", "resolved_by": "human"},
        ),
        conversation(
            "T-3",
            [call("m-econ", 1_000, 0)],
            outcome={"status": "resolved", "resolved_by": "ai", "reopened": True},
        ),
    ]
    root = make_project(tmp_path, conversations, policy=policy)
    summary = run_check(root).aggregates.overall.summary
    # Only T-1 counts: CPR = 3 x 0.001 / 1 = 0.003.
    assert summary.resolved == 1
    assert summary.cost_per_resolution == Decimal("0.003")


def test_catalog_prices_and_match_report(tmp_path: Path) -> None:
    # gpt-4o-mini in genai-prices 0.2.3: 0.15 input, 0.075 cache read, 0.60 output per 1M.
    # 10,000 input of which 2,000 cached, 1,000 output:
    # 8,000 x 0.15 + 2,000 x 0.075 + 1,000 x 0.60 = 1,200 + 150 + 600 = 1,950 per 1M.
    policy = POLICY.replace("  catalog: none\n", "").replace(
        "economy: [m-econ]", "economy: [m-econ, gpt-4o-mini-2024-07-18]"
    )
    root = make_project(
        tmp_path,
        [
            conversation(
                "T-1", [call("gpt-4o-mini-2024-07-18", 10_000, 1_000, cached_input_tokens=2_000)]
            )
        ],
        policy=policy,
    )
    report = check_project(load_project(root), today=TODAY, catalog=builtin_catalog())
    assert report.metrics is not None
    assert report.metrics["summary"]["ai_cost"] == 0.00195
    model = report.metrics["models"]["gpt-4o-mini-2024-07-18"]
    assert (model["price"]["matched"], model["price"]["source"]) == ("gpt-4o-mini", "catalog")
    assert model["token_counts"] == "exact"
    assert report.metrics["tool"]["catalog_date"] == "2026-11-01"


def test_unpriced_model_is_an_error_never_a_silent_zero(tmp_path: Path) -> None:
    events = [call("m-econ", 1_000, 0, fallback=True), call("acme-secret", 1_000, 0, fallback=True)]
    root = make_project(tmp_path, [conversation("T-1", events)])
    run = run_check(root)
    findings = [(f.rule, f.line) for f in run.collector.sorted_findings()]
    assert ("CPR507", 1) in findings
    assert run.aggregates.overall.summary.ai_cost == Decimal("0.001")


def test_a_resolution_without_a_resolver_counts_only_when_every_resolver_does(
    tmp_path: Path,
) -> None:
    # T-1 says ai, T-2 says nothing. Under `resolved_by: [ai]` only T-1 is a resolution:
    # CPR = 2 x 0.001 / 1 = 0.002, and one warning counts T-2. Under the default (both
    # resolvers), T-2 counts too: 0.002 / 2 = 0.001, and nothing is reported.
    conversations = [
        conversation(
            "T-1", [call("m-econ", 1_000, 0)], outcome={"status": "resolved", "resolved_by": "ai"}
        ),
        conversation("T-2", [call("m-econ", 1_000, 0)], outcome={"status": "resolved"}),
    ]
    restricted = POLICY + "resolution:\n  statuses: [resolved]\n  resolved_by: [ai]\n"
    run = run_check(make_project(tmp_path / "ai", conversations, policy=restricted))
    assert run.aggregates.overall.summary.resolved == 1
    assert run.aggregates.overall.summary.cost_per_resolution == Decimal("0.002")
    [finding] = run.collector.sorted_findings()
    assert (finding.rule, finding.severity.value) == ("CPR409", "warning")
    assert finding.message.startswith("1 conversation of policy `t` lacks `outcome.resolved_by`")
    run = run_check(make_project(tmp_path / "both", conversations))
    assert run.aggregates.overall.summary.resolved == 2
    assert run.aggregates.overall.summary.cost_per_resolution == Decimal("0.001")
    assert codes(run) == []


def test_one_hour_cache_writes_are_priced_at_their_own_rate(tmp_path: Path) -> None:
    # m-econ writes to a 1-hour cache at 2.00 per 1M (its 5-minute rate is 1.25). Input
    # 10,000: 2,000 written, 1,500 of them to the 1-hour cache; output 0:
    # (10,000 - 2,000) x 1 + 500 x 1.25 + 1,500 x 2.00 = 8,000 + 625 + 3,000
    # = 11,625 per 1M = 0.011625.
    policy = POLICY.replace(
        "cache_write: 1.25, output: 4.00", "cache_write: 1.25, cache_write_1h: 2.00, output: 4.00"
    )
    events = [call("m-econ", 10_000, 0, cache_write_tokens=2_000)]
    events[0]["usage"]["cache_write_1h_tokens"] = 1_500
    run = run_check(make_project(tmp_path, [conversation("T-1", events)], policy=policy))
    assert run.aggregates.overall.summary.ai_cost == Decimal("0.011625")


def test_the_catalog_s_one_hour_rate(tmp_path: Path) -> None:
    # claude-sonnet-4 in genai-prices 0.2.3: 3 input, 3.75 cache write (5 minutes), 6 cache
    # write (1 hour), 15 output per 1M. A real recording (dd-trace-py's
    # anthropic_completion_cache_write_1h_ttl): input 17, cache creation 2,056 all 1-hour,
    # output 100; input tokens as the fixtures count them: 17 + 2,056 = 2,073.
    # 17 x 3 + 2,056 x 6 + 100 x 15 = 51 + 12,336 + 1,500 = 13,887 per 1M.
    policy = POLICY.replace("  catalog: none\n", "").replace(
        "economy: [m-econ]", "economy: [m-econ, claude-sonnet-4-20250514]"
    )
    events = [call("claude-sonnet-4-20250514", 2_073, 100, cache_write_tokens=2_056)]
    events[0]["usage"]["cache_write_1h_tokens"] = 2_056
    root = make_project(tmp_path, [conversation("T-1", events)], policy=policy)
    report = check_project(load_project(root), today=TODAY, catalog=builtin_catalog())
    assert report.metrics is not None
    assert report.metrics["summary"]["ai_cost"] == 0.013887
    price = report.metrics["models"]["claude-sonnet-4-20250514"]["price"]
    assert (price["cache_write"], price["cache_write_1h"]) == (3.75, 6)


def test_a_dated_snapshot_is_in_the_tier_of_its_alias_and_priced_as_itself(
    tmp_path: Path,
) -> None:
    # The request named gpt-4o; gpt-4o-2024-05-13 served it. A tier listing gpt-4o covers
    # the snapshot: no routing drift, no re-route. Priced as itself (genai-prices 0.2.3:
    # 5 input, 15 output per 1M, twice gpt-4o's 2.50 input): 1,000 x 5 + 100 x 15 =
    # 6,500 per 1M = 0.0065 (gpt-4o's price would give 2,500 + 1,000 = 0.0035).
    policy = POLICY.replace("  catalog: none\n", "").replace(
        "premium: [m-prem]", "premium: [m-prem, gpt-4o]"
    )
    served = call("gpt-4o-2024-05-13", 1_000, 100)
    served["requested_model"] = "gpt-4o"
    root = make_project(
        tmp_path,
        [conversation("T-1", [served], intent="billing_dispute")],
        policy=policy,
    )
    report = check_project(load_project(root), today=TODAY, catalog=builtin_catalog())
    assert report.metrics is not None
    assert [f.rule for f in report.findings] == []  # no CPR506, no CPR507
    model = report.metrics["models"]["gpt-4o-2024-05-13"]
    assert (model["calls"], model["rerouted_calls"]) == (1, 0)
    assert model["price"]["matched"] == "gpt-4o-2024-05-13"
    assert report.metrics["summary"]["ai_cost"] == 0.0065
