"""Rules judged on the replay: budgets, quality limits, and what replay finds per call.

Budget and quality rules read one policy's totals (the conversations it governs).
Comparisons are inclusive: a cost per resolution equal to its budget passes.
"""

from __future__ import annotations

from collections.abc import Iterator

from cprlint.aggregates import ScopeTotals, Totals
from cprlint.findings import Location, Problem, Scope, Severity
from cprlint.model import Budget, Policy
from cprlint.money import compared_amounts, format_amount, format_rate
from cprlint.projection import figures_by_intent, project_traffic
from cprlint.rules.context import RuleContext
from cprlint.rules.registry import Target, documented_rule, rule


def _over_budget(
    what: str, totals: Totals, budget: Budget, location: Location, scope: Scope, currency: str
) -> Iterator[Problem]:
    kind = "fully loaded cost per resolution" if budget.fully_loaded else "cost per resolution"
    cost = totals.cost_per_resolution_for(fully_loaded=budget.fully_loaded)
    if cost is None or cost <= budget.cost_per_resolution:
        return
    over = (cost / budget.cost_per_resolution - 1) * 100
    shown_cost, shown_budget = compared_amounts((cost, budget.cost_per_resolution), currency)
    yield Problem(
        f"{what}: {kind} {shown_cost} is over the budget of {shown_budget} (+{over:.1f}%; "
        f"{totals.resolved} of {totals.conversations} conversations resolved)",
        location,
        scope,
    )


@rule("CPR401", "policy-budget", Severity.ERROR, Target.REPLAY)
def policy_budget(policy: Policy, totals: ScopeTotals, context: RuleContext) -> Iterator[Problem]:
    """
    The cost per resolution of everything a policy governs is over
    `budgets.cost_per_resolution`.

    Why: this is the number the business runs on. A pull request that pushes it over
    the budget should not merge without someone deciding to raise the budget.

    Failing:
        budgets:
          cost_per_resolution: 0.05     # replay gives $0.0712
    Passing:
        budgets:
          cost_per_resolution: 0.08
    """
    budget = policy.budgets.cost_per_resolution
    if budget is not None:
        yield from _over_budget(
            f"policy `{policy.name}`",
            totals.summary,
            budget,
            policy.locate("budgets", "cost_per_resolution"),
            Scope(),
            policy.currency,
        )


@rule("CPR402", "intent-budget", Severity.ERROR, Target.REPLAY)
def intent_budget(policy: Policy, totals: ScopeTotals, context: RuleContext) -> Iterator[Problem]:
    """
    An intent's cost per resolution is over its `budget`.

    Why: intents differ by an order of magnitude in what a resolution may cost (a
    password reset against a billing dispute); a budget per intent catches the one flow
    that quietly moved to the premium model while the average still looks fine. An
    intent the policy does not list is held to the `default` intent's budget.

    Failing:
        intents:
          password_reset: {risk: low, tier: economy, budget: 0.001}   # replay: $0.0016
    Passing:
        intents:
          password_reset: {risk: low, tier: economy, budget: 0.002}
    """
    for name in sorted(totals.intents):
        intent = policy.intent(name)  # an intent not listed is held to `default`'s budget
        if intent is not None and intent.budget is not None:
            yield from _over_budget(
                f"intent `{name}`",
                totals.intents[name],
                intent.budget,
                policy.locate("intents", intent.name, "budget"),
                Scope(intent=name),
                policy.currency,
            )


@rule("CPR403", "queue-budget", Severity.ERROR, Target.REPLAY)
def queue_budget(policy: Policy, totals: ScopeTotals, context: RuleContext) -> Iterator[Problem]:
    """
    A queue's cost per resolution is over its budget in `budgets.queues`.

    Why: queues are how support operations staff and pay for work; a budget per queue
    keeps one team's automation from getting expensive behind another's average.

    Failing:
        budgets:
          queues: {billing: 0.10}    # replay: $0.1410
    Passing:
        budgets:
          queues: {billing: 0.15}
    """
    for queue, budget in policy.budgets.queues.items():
        if queue in totals.queues:
            yield from _over_budget(
                f"queue `{queue}`",
                totals.queues[queue],
                budget,
                policy.locate("budgets", "queues", queue),
                Scope(queue=queue),
                policy.currency,
            )


@rule("CPR404", "automation-budget", Severity.ERROR, Target.REPLAY)
def automation_budget(
    policy: Policy, totals: ScopeTotals, context: RuleContext
) -> Iterator[Problem]:
    """
    The cost per resolution of an automation mode (`full`, `partial`, `assisted`) is
    over its budget in `budgets.automation`.

    Why: fully automated tickets are the ones whose AI cost must stay lowest; a budget
    on `full` shows when automation stops paying for itself.

    Failing:
        budgets:
          automation: {full: 0.01}    # replay: $0.0240
    Passing:
        budgets:
          automation: {full: 0.03}
    """
    for mode, budget in policy.budgets.automation.items():
        if mode in totals.automation:
            yield from _over_budget(
                f"automation `{mode}`",
                totals.automation[mode],
                budget,
                policy.locate("budgets", "automation", mode),
                Scope(),
                policy.currency,
            )


@rule("CPR405", "budget-without-resolutions", Severity.ERROR, Target.REPLAY)
def budget_without_resolutions(
    policy: Policy, totals: ScopeTotals, context: RuleContext
) -> Iterator[Problem]:
    """
    A budgeted scope has conversations but none of them is resolved, so its cost per
    resolution does not exist.

    Why: money was spent and nothing was resolved; "n/a" must not read as "within
    budget". Add resolved fixtures for the scope, or look at why none resolves.

    Failing:
        # every billing_dispute fixture ends escalated or abandoned
        intents:
          billing_dispute: {risk: high, tier: premium, budget: 0.25}
    Passing:
        # at least one billing_dispute fixture has outcome.status: resolved
    """
    places: list[tuple[str, Totals | None, Location, Scope]] = []
    for name in sorted(totals.intents):
        intent = policy.intent(name)
        if intent is not None and intent.budget is not None:
            location = policy.locate("intents", intent.name, "budget")
            places.append((f"intent `{name}`", totals.intents[name], location, Scope(intent=name)))
    places += [
        (
            f"queue `{queue}`",
            totals.queues.get(queue),
            policy.locate("budgets", "queues", queue),
            Scope(queue=queue),
        )
        for queue in policy.budgets.queues
    ]
    places += [
        (
            f"automation `{mode}`",
            totals.automation.get(mode),
            policy.locate("budgets", "automation", mode),
            Scope(),
        )
        for mode in policy.budgets.automation
    ]
    if policy.budgets.cost_per_resolution is not None:
        places.append(
            (
                f"policy `{policy.name}`",
                totals.summary,
                policy.locate("budgets", "cost_per_resolution"),
                Scope(),
            )
        )
    for what, scope_totals, location, scope in places:
        if scope_totals is not None and scope_totals.conversations and not scope_totals.resolved:
            yield Problem(
                f"{what}: none of {scope_totals.conversations} conversations is resolved, so the "
                f"cost per resolution is n/a ({format_amount(scope_totals.ai_cost, policy.currency)} spent)",
                location,
                scope,
            )


@rule("CPR406", "resolution-rate", Severity.ERROR, Target.REPLAY)
def resolution_rate(policy: Policy, totals: ScopeTotals, context: RuleContext) -> Iterator[Problem]:
    """
    The share of resolved conversations is below `quality.min_resolution_rate`.

    Why: the cheapest way to lower cost per resolution on paper is to resolve less and
    hand more to humans. A floor on the resolution rate keeps cost cuts honest.

    Failing:
        quality:
          min_resolution_rate: 0.80    # replay: 72.0%
    Passing:
        quality:
          min_resolution_rate: 0.70
    """
    floor = policy.quality.min_resolution_rate
    summary = totals.summary
    if floor is not None and summary.conversations and summary.resolution_rate < floor:
        yield Problem(
            f"resolution rate {format_rate(summary.resolution_rate)} is below "
            f"`quality.min_resolution_rate` ({format_rate(floor)}; {summary.resolved} of "
            f"{summary.conversations} conversations)",
            policy.locate("quality", "min_resolution_rate"),
        )


@rule("CPR407", "escalation-rate", Severity.ERROR, Target.REPLAY)
def escalation_rate(policy: Policy, totals: ScopeTotals, context: RuleContext) -> Iterator[Problem]:
    """
    The share of escalated conversations is above `quality.max_escalation_rate`.

    Why: an escalation moves the cost to a human (see the fully loaded cost per
    resolution). A ceiling keeps automation from looking cheap by escalating more.

    Failing:
        quality:
          max_escalation_rate: 0.10    # replay: 18.0%
    Passing:
        quality:
          max_escalation_rate: 0.20
    """
    ceiling = policy.quality.max_escalation_rate
    summary = totals.summary
    if ceiling is not None and summary.conversations and summary.escalation_rate > ceiling:
        yield Problem(
            f"escalation rate {format_rate(summary.escalation_rate)} is above "
            f"`quality.max_escalation_rate` ({format_rate(ceiling)}; {summary.escalated} of "
            f"{summary.conversations} conversations)",
            policy.locate("quality", "max_escalation_rate"),
        )


@rule("CPR408", "traffic-intent-without-fixtures", Severity.WARNING, Target.REPLAY)
def traffic_intent_without_fixtures(
    policy: Policy, totals: ScopeTotals, context: RuleContext
) -> Iterator[Problem]:
    """
    An intent of `traffic.mix` has no fixture conversation, so the monthly projection
    leaves its share of the tickets out.

    Why: the projected monthly spend is what finance reads. A mix whose refunds (30% of
    tickets) have no recorded conversation projects the other 70% only, and looks 30%
    cheaper than the month will be; a misspelled intent does the same. The report gives
    the share the projection covers (`mix_covered`).

    Failing:
        traffic:
          mix: {order_status: 0.7, refund_request: 0.3}
        # no fixture conversation has intent refund_request
    Passing:
        # fixtures/refunds.jsonl records refund_request conversations
    """
    projection = project_traffic(policy, figures_by_intent(totals))
    if projection is None:
        return
    for intent in projection.intents_without_data:
        share = policy.traffic.mix.get(intent)
        yield Problem(
            f"the traffic mix gives intent `{intent}` a share of {format_rate(share)} of the "
            "tickets, but no fixture conversation of it is replayed: the monthly projection "
            "leaves that share out",
            policy.locate("traffic", "mix", intent, key=True),
            Scope(intent=intent),
        )


documented_rule(
    "CPR207",
    "run-over-budget",
    Severity.ERROR,
    Target.REPLAY,
    """
    The run spent its budget for template rendering or for YAML alias expansion, so the
    replay stopped; the report has the static findings and this one, no figures.

    Why: everything cprlint reads comes with the pull request. A template of one line
    can loop, pad and multiply for minutes, and a few kilobytes of YAML aliases can
    expand to millions of values; one under its own limits can still be repeated over a
    thousand conversations or files. The run's budgets keep a check to seconds: a
    rendering unit is a step (a call, a loop item) or a thousand characters made, and the
    run may spend 5,000,000 units plus one per byte of fixtures; YAML files may build
    1,000,000 values through aliases in all. Which conversations were replayed before the
    budget ran out depends on how the work was shared among worker processes, so no
    figure is reported: a report is the same on every run.

    Failing:
        {% for i in range(1000) %}{% for j in range(100) %}{{ i * j }}{% endfor %}{% endfor %}
    Passing:
        {% for item in order_items %}{{ item }}{% endfor %}
    """,
)


documented_rule(
    "CPR409",
    "resolution-without-resolver",
    Severity.WARNING,
    Target.REPLAY,
    """
    Conversations whose outcome would count as a resolution do not say who resolved
    them (`outcome.resolved_by`), under a policy whose `resolution.resolved_by` counts
    only some resolvers; they are not counted as resolved.

    Why: "resolved by the AI" is what a vendor bills for and what a team's cost per
    resolution is about. A resolution nobody attributed may have been a human's; counting
    it would make the AI's cost per resolution look lower than it is, so it does not
    count, and this warning says how many were left out.

    Failing:
        resolution: {statuses: [resolved], resolved_by: [ai]}
        # fixture: "outcome": {"status": "resolved"}
    Passing:
        # fixture: "outcome": {"status": "resolved", "resolved_by": "ai"}
    """,
)


documented_rule(
    "CPR410",
    "resolution-without-times",
    Severity.WARNING,
    Target.REPLAY,
    """
    A clause of the resolution rule needs a time that conversations lack: `assumed_after`
    needs `at` on the last AI answer and on the customer's messages after it;
    `reopened_within` needs `outcome.reopened_at` and the time of the resolution.

    Why: a rule such as Intercom's ("the customer did not ask for more help within 24
    hours") cannot be judged without the times. cprlint never guesses them: those
    conversations are judged by the rest of the rule, and this warning says how many, so
    that the figure is read knowing it. Recording `at` on every event fixes it.

    Failing:
        resolution: {preset: intercom-fin}
        # fixture: messages without `at`, a user message after the last AI answer
    Passing:
        # fixture: {"type": "message", "role": "user", "text": "...", "at": "2026-11-02T09:15:00Z"}
    """,
)


documented_rule(
    "CPR501",
    "retries-over-cap",
    Severity.ERROR,
    Target.REPLAY,
    """
    A conversation retried a stage more often than `retries.max_per_stage` allows.

    Why: a retry is a paid call. A retry loop that spins while a provider is degraded
    multiplies the cost of every ticket it touches; the cap makes such a loop visible in
    review. A retry is an llm_call with `attempt` 2 or more; caps count per ticket.

    Failing:
        retries: {max_per_stage: {generate: 1}}
        # fixture: generate attempts 1, 2, 3
    Passing:
        retries: {max_per_stage: {generate: 2}}
    """,
)

documented_rule(
    "CPR502",
    "fallbacks-over-cap",
    Severity.ERROR,
    Target.REPLAY,
    """
    A conversation used more fallback calls (`fallback: true`) than `retries.max_fallbacks`.

    Why: fallbacks usually go to a different, often pricier model; a ticket that keeps
    falling back is paying for two providers.

    Failing:
        retries: {max_fallbacks: 1}
        # fixture: two llm_calls with fallback: true
    Passing:
        retries: {max_fallbacks: 2}
    """,
)

documented_rule(
    "CPR503",
    "identical-tool-calls",
    Severity.ERROR,
    Target.REPLAY,
    """
    A conversation called the same tool with the same arguments more often than
    `retries.max_identical_tool_calls` allows.

    Why: an agent that calls `lookup_invoice {"invoice": "INV-1"}` again and again is in
    a loop; each turn re-sends the whole context to the model. Arguments are compared as
    canonical JSON (key order and spacing do not matter).

    Failing:
        retries: {max_identical_tool_calls: 1}
        # fixture: lookup_invoice {"invoice": "INV-1"} twice
    Passing:
        # fixture: lookup_invoice {"invoice": "INV-1"}, then {"invoice": "INV-2"}
    """,
)

documented_rule(
    "CPR504",
    "input-tokens-over-budget",
    Severity.ERROR,
    Target.REPLAY,
    """
    An llm_call, after replay with the prompts under review, has more input tokens than
    `budgets.max_input_tokens`.

    Why: one oversized prompt (a whole order history pasted in) is expensive on every
    ticket that hits it, and it is usually a mistake in a template.

    Failing:
        budgets: {max_input_tokens: 8000}
        # fixture call: 9,412 input tokens after replay
    Passing:
        budgets: {max_input_tokens: 10000}
    """,
)

documented_rule(
    "CPR505",
    "context-tokens-over-budget",
    Severity.ERROR,
    Target.REPLAY,
    """
    A retrieval returned more context tokens than `budgets.max_context_tokens`.

    Why: retrieved context is pasted into the next prompt; an unbounded retrieval grows
    every call after it.

    Failing:
        budgets: {max_context_tokens: 3000}
        # fixture: {"type": "retrieval", "context_tokens": 5200}
    Passing:
        # fixture: {"type": "retrieval", "context_tokens": 1400}
    """,
)

documented_rule(
    "CPR506",
    "routing-drift",
    Severity.ERROR,
    Target.REPLAY,
    """
    A recorded call was served by a model outside the tiers its intent's risk level
    allows, or, for a stage routed by `routing.stages`, outside that stage's tier.

    Why: the recording shows what production really did. A billing dispute answered by
    the economy model, or a classification done by the premium one, means the router
    does not follow the policy. Fallback calls are exempt.

    Failing:
        routing: {stages: {classify: economy}}
        # fixture: {"type": "llm_call", "stage": "classify", "model": "gpt-4o"}
    Passing:
        # fixture: {"type": "llm_call", "stage": "classify", "model": "gpt-4o-mini"}
    """,
)

documented_rule(
    "CPR507",
    "model-not-priced",
    Severity.ERROR,
    Target.REPLAY,
    """
    Calls were made with a model that has no price in the policy's `pricing.models` nor
    in the bundled catalog.

    Why: an unpriced call would count as free and make the cost per resolution look
    better than it is. Its cost is reported as 0 and this finding fails the run until
    the model gets a price.

    Failing:
        # fixture: {"type": "llm_call", "model": "acme-ft-1", ...}, no price anywhere
    Passing:
        pricing:
          models:
            acme-ft-1: {input: 0.30, output: 1.20}
    """,
)

documented_rule(
    "CPR205",
    "unknown-template-variable",
    Severity.WARNING,
    Target.REPLAY,
    """
    A prompt template printed a variable that the conversation does not provide; it
    rendered as empty text.

    Why: replay counts the tokens of the rendered prompt. A missing variable makes the
    prompt look shorter (cheaper) than it will be in production, and often means the
    template and the application disagree on a name. Variables only tested in an `if`
    are optional and not reported.

    Failing:
        The customer is {{ customer_nmae }}.
    Passing:
        The customer is {{ customer_name }}.
    """,
)

documented_rule(
    "CPR206",
    "template-render-error",
    Severity.ERROR,
    Target.REPLAY,
    """
    A prompt template parses but cannot be rendered with a conversation's variables
    (a type error, or a sandbox limit: huge repetition, a range over 1,000 items, output
    over 1,000,000 characters).

    Why: the call's tokens cannot be re-counted, so it is replayed with its recorded
    token count, which may be wrong for the version under review.

    Failing:
        Total: {{ amount + " EUR" }}
    Passing:
        Total: {{ amount }} EUR
    """,
)
