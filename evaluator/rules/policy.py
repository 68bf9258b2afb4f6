"""Static rules on a policy: routing, risk, budgets, caps, traffic and waivers."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from cprlint.findings import Problem, Scope, Severity
from cprlint.model import DEFAULT_INTENT, Policy
from cprlint.pricing import PriceBook, builtin_catalog
from cprlint.rules.context import RuleContext
from cprlint.rules.registry import RULES, Target, rule

_MIX_TOLERANCE = Decimal("0.000001")


def _raw(policy: Policy, *key_path: str) -> Any:
    value: Any = policy.document.data
    for key in key_path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _raw_mapping(policy: Policy, *key_path: str) -> dict[Any, Any]:
    """The mapping at `key_path`, or an empty one when it is missing or not a mapping
    (the schema reports a value of the wrong type)."""
    value = _raw(policy, *key_path)
    return value if isinstance(value, dict) else {}


@rule("CPR101", "tier-not-allowed-by-risk", Severity.ERROR, Target.POLICY)
def tier_not_allowed_by_risk(policy: Policy, context: RuleContext) -> Iterator[Problem]:
    """
    An intent is routed to a tier that its risk level does not allow.

    Why: the `risk` block is the team's promise about which models may answer which
    tickets (billing disputes only on the premium tier, say). An intent that names a tier
    outside its risk level's list breaks that promise, usually by a quiet downgrade to a
    cheaper model or an upgrade nobody budgeted.

    Failing:
        risk:
          high: [premium]
        intents:
          billing_dispute: {risk: high, tier: economy}
    Passing:
        risk:
          high: [premium]
        intents:
          billing_dispute: {risk: high, tier: premium}
    """
    for name, intent in policy.intents.items():
        allowed = policy.risk.get(intent.risk) if intent.risk else None
        if allowed is None or intent.tier is None or intent.tier not in policy.tiers:
            continue  # a missing or undefined risk level or tier is CPR006's or CPR102's
        if intent.tier not in allowed:
            yield Problem(
                f"intent `{name}` is {intent.risk} risk, which allows "
                f"{', '.join(allowed) or 'no tier'}, but is routed to `{intent.tier}`",
                policy.locate("intents", name, "tier"),
                Scope(intent=name),
            )


@rule("CPR102", "undefined-reference", Severity.ERROR, Target.POLICY)
def undefined_reference(policy: Policy, context: RuleContext) -> Iterator[Problem]:
    """
    A policy refers to a tier, risk level, intent or rule code that it does not define.

    Why: a typo in a reference (`tier: premuim`) leaves a ticket with no model, a budget
    that never applies, or a waiver that waives nothing. Every name the policy uses must
    be defined in it: intents name a `risk` level and a tier; risk levels and
    `routing.stages` name tiers; waivers name intents and rule codes; `traffic.mix`
    names intents that `intents` lists or that its `default` covers.

    Failing:
        tiers: {economy: [gpt-4o-mini]}
        routing:
          stages: {classify: cheap}
    Passing:
        tiers: {economy: [gpt-4o-mini]}
        routing:
          stages: {classify: economy}
    """
    tiers = set(policy.tiers)
    for name, intent in policy.intents.items():
        scope = Scope(intent=name)
        if intent.tier is not None and tiers and intent.tier not in tiers:
            yield Problem(
                f"intent `{name}` uses tier `{intent.tier}`, which `tiers` does not define",
                policy.locate("intents", name, "tier"),
                scope,
            )
        if intent.risk is not None and policy.risk and intent.risk not in policy.risk:
            yield Problem(
                f"intent `{name}` has risk `{intent.risk}`, which `risk` does not define",
                policy.locate("intents", name, "risk"),
                scope,
            )
    for level, allowed in policy.risk.items():
        for index, tier in enumerate(allowed):
            if tiers and tier not in tiers:
                yield Problem(
                    f"risk level `{level}` allows tier `{tier}`, which `tiers` does not define",
                    policy.locate("risk", level, index),
                )
    for stage, tier in policy.stage_tiers.items():
        if tiers and tier not in tiers:
            yield Problem(
                f"stage `{stage}` is routed to tier `{tier}`, which `tiers` does not define",
                policy.locate("routing", "stages", stage),
            )
    for mix_intent in policy.traffic.mix:
        if policy.intent(mix_intent) is None:  # (an intent not listed falls to `default`)
            yield Problem(
                f"the traffic mix names intent `{mix_intent}`, which `intents` does not "
                "list and no `default` intent covers",
                policy.locate("traffic", "mix", mix_intent, key=True),
                Scope(intent=mix_intent),
            )
    for waiver in policy.waivers:
        if waiver.rule and waiver.rule not in RULES:
            yield Problem(
                f"waiver names rule `{waiver.rule}`, which does not exist (`cprlint rules` lists them)",
                policy.locate("waivers", waiver.index, "rule"),
            )
        if waiver.intent is not None and waiver.intent not in policy.intents:
            yield Problem(
                f"waiver names intent `{waiver.intent}`, which `intents` does not list",
                policy.locate("waivers", waiver.index, "intent"),
                Scope(intent=waiver.intent),
            )


@rule("CPR103", "model-in-two-tiers", Severity.ERROR, Target.POLICY)
def model_in_two_tiers(policy: Policy, context: RuleContext) -> Iterator[Problem]:
    """
    The same model is listed in more than one tier.

    Why: replay keeps a recorded model when it belongs to the intent's tier and reports
    routing drift otherwise; a model in two tiers makes "which tier served this call"
    ambiguous, so a premium model can hide in the economy tier.

    Failing:
        tiers:
          economy: [gpt-4o-mini]
          standard: [gpt-4.1-mini, gpt-4o-mini]
    Passing:
        tiers:
          economy: [gpt-4o-mini]
          standard: [gpt-4.1-mini]
    """
    first_tier: dict[str, str] = {}
    for tier, models in policy.tiers.items():
        for index, model in enumerate(models):
            if model in first_tier and first_tier[model] != tier:
                yield Problem(
                    f"model `{model}` is in tier `{first_tier[model]}` and again in `{tier}`; "
                    "a model may be in one tier only",
                    policy.locate("tiers", tier, index),
                )
            else:
                first_tier.setdefault(model, tier)


@rule("CPR104", "no-default-intent", Severity.ERROR, Target.POLICY)
def no_default_intent(policy: Policy, context: RuleContext) -> Iterator[Problem]:
    """
    The policy has no `default` intent.

    Why: production brings intents nobody listed yet. Without a `default` entry such a
    ticket has no tier, no risk level and no budget, so its cost escapes review.

    Failing:
        intents:
          password_reset: {risk: low, tier: economy}
    Passing:
        intents:
          password_reset: {risk: low, tier: economy}
          default: {risk: medium, tier: standard}
    """
    if policy.intents and DEFAULT_INTENT not in policy.intents:
        yield Problem(
            "no `default` intent: tickets of intents not listed here get no tier and no budget",
            policy.locate("intents", key=True),
        )


def _budget_places(policy: Policy) -> Iterator[tuple[tuple[str | int, ...], Any, Scope]]:
    for name in policy.intents:
        yield (
            ("intents", name, "budget"),
            _raw(policy, "intents", name, "budget"),
            Scope(intent=name),
        )
    yield (
        ("budgets", "cost_per_resolution"),
        _raw(policy, "budgets", "cost_per_resolution"),
        Scope(),
    )
    for queue, value in _raw_mapping(policy, "budgets", "queues").items():
        yield ("budgets", "queues", queue), value, Scope(queue=queue)
    for mode, value in _raw_mapping(policy, "budgets", "automation").items():
        yield ("budgets", "automation", mode), value, Scope()
    for key in ("max_input_tokens", "max_context_tokens"):
        yield ("budgets", key), _raw(policy, "budgets", key), Scope()


@rule("CPR105", "non-positive-budget", Severity.ERROR, Target.POLICY)
def non_positive_budget(policy: Policy, context: RuleContext) -> Iterator[Problem]:
    """
    A budget is zero or negative.

    Why: every real ticket costs something, so a budget of 0 fails every run and a
    negative one is a sign slipped in review. To leave a scope unbudgeted, omit the key.

    Failing:
        intents:
          password_reset: {risk: low, tier: economy, budget: 0}
    Passing:
        intents:
          password_reset: {risk: low, tier: economy, budget: 0.01}
    """
    for key_path, value, scope in _budget_places(policy):
        if isinstance(value, dict):
            key_path, value = (*key_path, "cost_per_resolution"), value.get("cost_per_resolution")
        if isinstance(value, int | Decimal) and not isinstance(value, bool) and value <= 0:
            yield Problem(
                f"`{'.'.join(map(str, key_path))}` is {value}; a budget must be above zero "
                "(omit it for no budget)",
                policy.locate(*key_path),
                scope,
            )


@rule("CPR106", "negative-cap-or-price", Severity.ERROR, Target.POLICY)
def negative_cap_or_price(policy: Policy, context: RuleContext) -> Iterator[Problem]:
    """
    A retry cap, a tool-call cap or a price is negative.

    Why: a negative cap can never be met and a negative price turns cost into income,
    hiding real spend. Zero is legitimate for both: `max_per_stage: {classify: 0}` means
    no retries at all, and a tool priced 0 is free.

    Failing:
        retries:
          max_per_stage: {generate: -1}
        pricing:
          tools: {lookup_invoice: -0.001}
    Passing:
        retries:
          max_per_stage: {generate: 0}
        pricing:
          tools: {lookup_invoice: 0}
    """
    places: list[tuple[tuple[str | int, ...], Any]] = []
    for stage, value in _raw_mapping(policy, "retries", "max_per_stage").items():
        places.append((("retries", "max_per_stage", stage), value))
    for key in ("max_fallbacks", "max_identical_tool_calls"):
        places.append((("retries", key), _raw(policy, "retries", key)))
    for model, prices in _raw_mapping(policy, "pricing", "models").items():
        for kind, value in (prices if isinstance(prices, dict) else {}).items():
            places.append((("pricing", "models", model, kind), value))
    for tool, value in _raw_mapping(policy, "pricing", "tools").items():
        places.append((("pricing", "tools", tool), value))
    places.append(
        (("pricing", "retrieval", "per_query"), _raw(policy, "pricing", "retrieval", "per_query"))
    )
    places.append(
        (("pricing", "human", "per_minute"), _raw(policy, "pricing", "human", "per_minute"))
    )
    for key_path, value in places:
        if isinstance(value, int | Decimal) and not isinstance(value, bool) and value < 0:
            yield Problem(
                f"`{'.'.join(map(str, key_path))}` is {value}; caps and prices cannot be negative",
                policy.locate(*key_path),
            )


@rule("CPR107", "traffic-mix-not-one", Severity.ERROR, Target.POLICY)
def traffic_mix_not_one(policy: Policy, context: RuleContext) -> Iterator[Problem]:
    """
    The shares of `traffic.mix` do not add up to 1.

    Why: the mix weights each intent's cost per resolution into the projected monthly
    spend; shares that add up to 0.9 or 1.2 make that projection wrong by the same
    factor.

    Failing:
        traffic:
          mix: {password_reset: 0.5, order_status: 0.4}
    Passing:
        traffic:
          mix: {password_reset: 0.5, order_status: 0.4, billing_dispute: 0.1}
    """
    mix = policy.traffic.mix
    if not mix:
        return
    total = sum(mix.values(), Decimal(0))
    if abs(total - 1) > _MIX_TOLERANCE:
        yield Problem(
            f"the traffic mix adds up to {total.normalize():f}, not 1",
            policy.locate("traffic", "mix", key=True),
        )


@rule("CPR108", "waiver-expired", Severity.ERROR, Target.POLICY)
def waiver_expired(policy: Policy, context: RuleContext) -> Iterator[Problem]:
    """
    A waiver's `expires` date has passed.

    Why: a waiver is a loan, not a gift. Once it expires, the finding it hid fails the
    run again, and the stale waiver itself is reported so someone renews it on purpose
    or removes it. Expiry is judged against today's UTC date (`--today` fixes it).

    Failing:
        waivers:
          - {rule: CPR402, intent: billing_dispute, reason: "new refund flow",
             owner: "@acme/billing", expires: 2020-01-31}
    Passing:
        waivers:
          - {rule: CPR402, intent: billing_dispute, reason: "new refund flow",
             owner: "@acme/billing", expires: 2099-01-31}
    """
    for waiver in policy.waivers:
        if waiver.expires is not None and waiver.expires < context.today:
            yield Problem(
                f"waiver of {waiver.rule or 'a rule'} expired on {waiver.expires.isoformat()}; "
                "renew it with a reason or remove it",
                policy.locate("waivers", waiver.index, "expires"),
                Scope(intent=waiver.intent, queue=waiver.queue, prompt=waiver.prompt),
            )


@rule("CPR109", "waiver-incomplete", Severity.ERROR, Target.POLICY)
def waiver_incomplete(policy: Policy, context: RuleContext) -> Iterator[Problem]:
    """
    A waiver lacks an owner, a reason or an expiry date.

    Why: a waiver without an owner has nobody to ask, without a reason nobody can judge
    it, and without an expiry it never ends. All three are required.

    Failing:
        waivers:
          - {rule: CPR402, intent: billing_dispute}
    Passing:
        waivers:
          - {rule: CPR402, intent: billing_dispute, reason: "new refund flow",
             owner: "@acme/billing", expires: 2026-12-31}
    """
    for waiver in policy.waivers:
        missing = [
            name
            for name, value in (
                ("owner", waiver.owner),
                ("reason", waiver.reason),
                ("expires", waiver.expires),
            )
            if value is None or (isinstance(value, str) and not value.strip())
        ]
        if missing:
            yield Problem(
                f"waiver of {waiver.rule or 'a rule'} lacks {', '.join(missing)}",
                policy.locate("waivers", waiver.index),
                Scope(intent=waiver.intent, queue=waiver.queue, prompt=waiver.prompt),
            )


@rule("CPR122", "approval-incomplete", Severity.ERROR, Target.POLICY)
def approval_incomplete(policy: Policy, context: RuleContext) -> Iterator[Problem]:
    """
    An entry of `approvals` lacks the policy version it is for, an owner or a reason, so
    it approves nothing.

    Why: an approval acknowledges one loosened guardrail (CPR121) in the pull request
    that loosens it. The version ties it to that one change, so a later pull request
    that loosens the same guardrail again needs an approval of its own; the owner is who
    CODEOWNERS can require to review it; the reason is what a later reader needs.

    Failing:
        approvals:
          - {path: budgets.cost_per_resolution}
    Passing:
        metadata: {name: acme-support, version: 8}
        approvals:
          - {path: budgets.cost_per_resolution, version: 8, owner: "@acme/finance",
             reason: "refund flow moves to the premium tier (FIN-112)"}
    """
    for approval in policy.approvals:
        missing = [
            name
            for name, value in (
                ("path", approval.path),
                ("version", approval.version),
                ("owner", approval.owner),
                ("reason", approval.reason),
            )
            if value is None or (isinstance(value, str) and not value.strip())
        ]
        if missing:
            yield Problem(
                f"approval of `{approval.path or '?'}` lacks {', '.join(missing)}; it approves nothing",
                policy.locate("approvals", approval.index),
            )


@rule("CPR112", "overhead-without-traffic", Severity.ERROR, Target.POLICY)
def overhead_without_traffic(policy: Policy, context: RuleContext) -> Iterator[Problem]:
    """
    The policy has a monthly overhead (`pricing.overhead`) but no `traffic.monthly_tickets`
    to spread it over.

    Why: the vector store, the orchestration layer and the people who review the AI's
    answers are part of what a resolution costs; a monthly amount becomes a cost per
    ticket only over the month's tickets. Without them the overhead would silently
    count as zero in the fully loaded cost per resolution.

    Failing:
        pricing:
          overhead: {vector_store: 400, human_qa: 1200}
    Passing:
        pricing:
          overhead: {vector_store: 400, human_qa: 1200}
        traffic:
          monthly_tickets: 120000
    """
    if policy.pricing.overhead and policy.overhead_per_ticket is None:
        yield Problem(
            "`pricing.overhead` is spread over `traffic.monthly_tickets`, which the policy "
            "does not give: the overhead counts as nothing until it does",
            policy.locate("pricing", "overhead", key=True),
        )


@rule("CPR110", "policies-overlap", Severity.ERROR, Target.POLICY)
def policies_overlap(policy: Policy, context: RuleContext) -> Iterator[Problem]:
    """
    Two policies govern the same conversations.

    Why: a conversation is governed by the policy whose `metadata.project` equals its
    project, else by the one policy without a project. Two policies for one project (or
    two without one) leave it to file order which budget applies.

    Failing:
        # policies/a.yaml                # policies/b.yaml
        metadata: {name: a, version: 1}  metadata: {name: b, version: 1}
    Passing:
        metadata: {name: a, version: 1}  metadata: {name: b, version: 1, project: acme}
    """
    for other in context.project.policies:
        if other is policy:
            return
        if other.project == policy.project:
            governs = (
                f"project `{policy.project}`"
                if policy.project
                else "conversations of no other policy"
            )
            yield Problem(
                f"policy `{policy.name}` and `{other.name}` ({other.path}) both govern {governs}",
                policy.locate("metadata", "project")
                if policy.project
                else policy.locate("metadata"),
            )
            return


@rule("CPR111", "model-without-price", Severity.ERROR, Target.POLICY)
def model_without_price(policy: Policy, context: RuleContext) -> Iterator[Problem]:
    """
    A model that a tier lists, or that a released prompt version pins, has no price in
    the policy's `pricing.models` nor in the bundled catalog.

    Why: replay prices every call; a model priced nowhere would be counted as free and
    make the cost per resolution look better than it is. Give fine-tuned and private
    models a price in `pricing.models` (per 1M tokens).

    Failing:
        tiers:
          economy: [acme-ft-1]
    Passing:
        pricing:
          models:
            acme-ft-1: {input: 0.30, output: 1.20}
        tiers:
          economy: [acme-ft-1]
    """
    catalog = builtin_catalog() if policy.pricing.catalog != "none" else None
    book = PriceBook(
        policy_models=policy.pricing.models, as_of=policy.pricing.as_of, catalog=catalog
    )
    for tier, models in policy.tiers.items():
        for index, model in enumerate(models):
            if book.lookup(model) is None:
                yield Problem(
                    f"model `{model}` (tier `{tier}`) has no price in `pricing.models` "
                    "or the catalog",
                    policy.locate("tiers", tier, index),
                )
    for prompt in context.project.prompts.values():
        version = prompt.released_version
        if version is not None and version.model and book.lookup(version.model) is None:
            location = version.front_matter.locate("model") if version.front_matter else None
            yield Problem(
                f"prompt `{prompt.id}` {version.version} pins model `{version.model}`, which has "
                f"no price in policy `{policy.name}` or the catalog",
                location or policy.locate("tiers"),
                Scope(prompt=prompt.id),
            )
