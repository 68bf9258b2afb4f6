"""The comparison's own bookkeeping (`cprlint.compare`): what a paired conversation adds
to the exact totals and to the resampled sums."""

from __future__ import annotations

from decimal import Decimal

from cprlint.bootstrap import ResampledSums
from cprlint.compare import NOT_USED, PairedSamples, prompt_usage
from cprlint.model import Usage
from cprlint.replay import CallResult, ConversationResult


def _call(prompt: str | None, version: str | None, tokens: int) -> CallResult:
    return CallResult(
        event_index=0,
        prompt=prompt,
        version=version,
        recorded_model="gpt-4o",
        model="gpt-4o",
        rerouted=False,
        usage=Usage(tokens, 5),
        cost=Decimal(0),
        priced=True,
        estimated_tokens=False,
    )


def test_prompt_usage_counts_calls_and_tokens_and_keeps_the_first_version() -> None:
    result = ConversationResult(
        conversation_id="T-1",
        intent="refund",
        queue="billing",
        automation="full",
        project=None,
        policy=None,
        resolved=True,
        escalated=False,
        retries=0,
        ai_cost=Decimal("0.01"),
        human_cost=Decimal(0),
        calls=(
            _call("router", "v1", 100),
            _call(None, None, 7),
            _call("answer", "v2", 300),
            _call("router", "v3", 120),
        ),
        retrieval_cost=Decimal(0),
        tool_cost=Decimal(0),
    )
    assert prompt_usage(result) == {"router": (2, 220, "v1"), "answer": (1, 300, "v2")}


def test_a_conversation_adds_its_totals_and_its_entries() -> None:
    # Two policies: every figure is resampled per policy too. The second conversation used
    # a prompt in the base that the head no longer calls.
    samples = PairedSamples(per_policy=True)
    cell = ("shop", "refund", "billing", "full")
    costs = {"base": Decimal("0.010000001"), "prompt_text": Decimal("0.02"), "routing": Decimal(0)}
    costs["head"] = Decimal("0.0120000004")
    samples.add("T-1", cell, (True, False), costs, {"router": ((2, 220, "v1"), (2, 260, "v2"))})
    samples.add(
        "T-2",
        cell,
        (False, True),
        costs,
        {"router": ((1, 90, "v1"), (1, 95, "v2")), "legacy": ((1, 40, "v1"), NOT_USED)},
    )
    totals = samples.cells[cell]
    assert (totals.conversations, totals.resolved_base, totals.resolved_head) == (2, 1, 1)
    assert totals.costs["base"] == Decimal("0.020000002")
    assert totals.costs["head"] == Decimal("0.0240000008")
    router = samples.prompts[("shop", "router")]
    assert (router.conversations, router.base_calls, router.base_tokens) == (2, 3, 310)
    assert (router.head_calls, router.head_tokens) == (3, 355)
    assert router.base_versions == {"v1": 3}
    assert router.head_versions == {"v2": 3}
    legacy = samples.prompts[("shop", "legacy")]
    assert (legacy.conversations, legacy.base_calls, legacy.head_calls) == (1, 1, 0)
    assert not legacy.head_versions

    # The same entries given to the bootstrap by hand: costs in billionths (rounded half
    # even), then each prompt's input tokens and calls.
    expected = ResampledSums()
    scope = expected.group(
        (
            ("summary", ""),
            ("intents", "refund"),
            ("queues", "billing"),
            ("automation", "full"),
            ("policies", "shop", "summary", ""),
            ("policies", "shop", "intents", "refund"),
            ("policies", "shop", "queues", "billing"),
            ("policies", "shop", "automation", "full"),
        )
    )
    router_group = expected.group(
        (("prompts", "router"), ("policies", "shop", "prompts", "router"))
    )
    legacy_group = expected.group(
        (("prompts", "legacy"), ("policies", "shop", "prompts", "legacy"))
    )
    expected.add("T-1", [(scope, 10000001, 1, 12000000, 0), (router_group, 220, 2, 260, 2)])
    expected.add(
        "T-2",
        [
            (scope, 10000001, 0, 12000000, 1),
            (router_group, 90, 1, 95, 1),
            (legacy_group, 40, 1, 0, 0),
        ],
    )
    samples.flush()
    expected.flush()
    resampled = samples.resampled
    assert sorted(resampled.sums, key=repr) == sorted(expected.sums, key=repr)
    for figure, summed in expected.sums.items():
        assert (resampled.sums[figure] == summed).all(), figure
        assert resampled.bounds[figure] == expected.bounds[figure], figure
