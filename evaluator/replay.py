"""Replay: one recorded conversation under one tree's policies and prompts (SPEC §3).

`Replayer.replay` substitutes the candidate prompt versions (re-counting the tokens of
the rendered templates), routes every call to its tier, prices it, applies the
resolution rule and reports the per-conversation findings: retries, fallbacks,
identical tool calls, token and context budgets, routing drift.

The result of a conversation is small and self-contained, so that aggregates can be
built from a stream of them in any order, in any process.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import msgspec
from cprlint.deltas import Recount, TokenDeltas
from cprlint.documents import EXACT_INTEGER, as_double, canonical_json
from cprlint.findings import Problem, Scope
from cprlint.model import (
    Conversation,
    Escalation,
    Event,
    LlmCall,
    Message,
    Policy,
    Prompt,
    PromptVersion,
    ResolutionRule,
    Retrieval,
    ToolCall,
    Usage,
    is_listed,
)
from cprlint.pricing import Catalog, PriceBook, PriceCard, price_book_for
from cprlint.project import Project
from cprlint.resolution import COUNTED, judge_resolution
from cprlint.templates import TemplateRenderError, printed_parts
from cprlint.tokens import tokenizer_for_model

# Codes of the findings a replay yields (documented in cprlint.rules.replay).
RETRIES_OVER_CAP = "CPR501"
FALLBACKS_OVER_CAP = "CPR502"
IDENTICAL_TOOL_CALLS = "CPR503"
INPUT_TOKENS_OVER_BUDGET = "CPR504"
CONTEXT_TOKENS_OVER_BUDGET = "CPR505"
ROUTING_DRIFT = "CPR506"

DEFAULT_RESOLUTION = ResolutionRule()
_NO_USAGE = Usage(0, 0)
_FREE = Decimal(0)


# Results are msgspec Structs rather than frozen dataclasses: a replay makes one per call,
# and a Struct is built some 20 times faster.


class CallResult(msgspec.Struct, frozen=True, gc=False):
    """One llm_call after replay."""

    event_index: int
    prompt: str | None
    version: str | None  # the candidate version the call was replayed with
    recorded_model: str
    model: str  # the model it is priced as, after routing
    rerouted: bool
    usage: Usage  # after prompt substitution and output caps
    cost: Decimal
    priced: bool
    estimated_tokens: bool  # token difference counted with a stand-in tokenizer


class CallPlan(msgspec.Struct, frozen=True):
    """What replaying a call depends on besides its usage and variables, worked out once
    for every call alike: same policy, intent, stage, prompt, recorded version, model
    and fallback flag. A fixture set has a few hundred of these for a million calls."""

    version: str | None  # the version the call is replayed with (or was recorded with)
    # Set when the candidate version differs from the recorded one: how its input
    # tokens change, and where render problems are reported.
    recount: Recount | None
    candidate_key: tuple[str, str] | None  # (prompt id, candidate version)
    recorded_key: tuple[str, str] | None  # (prompt id, recorded version), when recounted
    # Calls with the same text as variables of their own may share one recount (see
    # `_Recounts`): both versions are literal text and printed variables, so counting
    # reads nothing but the variables (no logic, no rendering charged to the run's
    # budget). Not on the plain path, which counts each call: the reference for this.
    shares_recounts: bool
    estimated: bool  # the recount uses a stand-in tokenizer
    max_output_tokens: int | None
    model: str  # the model it is priced as, after routing
    rerouted: bool
    card: PriceCard | None
    drift: str | None  # the routing-drift finding's message, if any


# What tells the calls of one policy and intent apart for replay: stage, prompt, recorded
# version, model and whether it was a fallback.
PlanKey = tuple[str | None, str | None, str | None, str, bool]


class ConversationResult(msgspec.Struct, frozen=True):
    conversation_id: str
    intent: str
    queue: str
    automation: str
    project: str | None
    policy: str | None
    resolved: bool
    escalated: bool
    retries: int
    ai_cost: Decimal
    human_cost: Decimal
    calls: tuple[CallResult, ...]
    retrieval_cost: Decimal
    tool_cost: Decimal
    # Sums over `calls`, kept so that every aggregate adding this result need not redo them.
    input_tokens: int = 0
    output_tokens: int = 0
    problems: tuple[Problem, ...] = ()
    # (prompt id, version) -> variables that rendered empty in this conversation.
    missing_variables: Mapping[tuple[str, str], frozenset[str]] = {}
    # (prompt id, version) -> why the template could not be rendered.
    render_errors: Mapping[tuple[str, str], str] = {}
    # Which clause of the resolution rule decided `resolved` (`cprlint.resolution`), and
    # those that could not be judged for want of a time.
    resolution_clause: str = COUNTED
    untimed: tuple[str, ...] = ()
    # Resolved under the rule of the vendor the policy compares with (`compare_with`).
    compared_resolved: bool = False
    # The conversation's share of the policy's fixed monthly overhead.
    overhead_cost: Decimal = Decimal(0)
    # Of `calls`, those of a model without a price.
    unpriced_calls: int = 0


class Replayer:
    """Replays conversations under one tree: its policies, prompts and price books."""

    def __init__(
        self,
        tree: Project,
        *,
        catalog: Catalog | None,
        prompt_overrides: Mapping[str, str] | None = None,
        deltas: TokenDeltas | None = None,
        price_override: Mapping[str, PriceCard] | None = None,
    ) -> None:
        self.tree = tree
        # Prices that win over the policy's and the catalog's (the baseline's, say).
        self.price_override = dict(price_override or {})
        self.catalog = catalog
        self.prompt_overrides = dict(prompt_overrides or {})
        self.deltas = deltas or TokenDeltas()
        self._price_books: dict[int, PriceBook] = {}
        # Asked once per call, the same few answers each time: kept per prompt, and per
        # policy and risk level.
        self._candidates: dict[str, PromptVersion | None] = {}
        self._models_of_risk: dict[tuple[int, str], frozenset[str]] = {}
        self._call_plans: dict[tuple[int, str], dict[PlanKey, CallPlan]] = {}
        self._terms: dict[int, _PolicyTerms] = {}
        # The (prompt, version) pairs that the calls replayed so far recorded.
        self.recorded_versions: set[tuple[str, str]] = set()

    # --- lookups ---------------------------------------------------------------------

    def price_book(self, policy: Policy | None) -> PriceBook:
        key = id(policy)
        book = self._price_books.get(key)
        if book is None:
            book = price_book_for(policy, self.catalog)
            self._price_books[key] = book
        return book

    def candidate_version(self, prompt_id: str) -> PromptVersion | None:
        if prompt_id in self._candidates:
            return self._candidates[prompt_id]
        candidate = None
        prompt: Prompt | None = self.tree.prompts.get(prompt_id)
        if prompt is not None:
            version = self.prompt_overrides.get(prompt_id) or prompt.released
            candidate = prompt.versions.get(version) if version else None
        self._candidates[prompt_id] = candidate
        return candidate

    def _models_allowed_at(self, policy: Policy, risk: str) -> frozenset[str]:
        """The models of the tiers that a risk level allows."""
        key = (id(policy), risk)
        models = self._models_of_risk.get(key)
        if models is None:
            models = frozenset(
                model for tier in policy.risk[risk] for model in policy.tiers.get(tier, ())
            )
            self._models_of_risk[key] = models
        return models

    def _terms_of(self, policy: Policy | None) -> _PolicyTerms:
        terms = self._terms.get(id(policy))
        if terms is None:
            terms = self._terms[id(policy)] = _PolicyTerms(policy)
        return terms

    def _recorded_version(self, call: LlmCall) -> PromptVersion | None:
        prompt = self.tree.prompts.get(call.prompt or "")
        if prompt is None or call.prompt_version is None:
            return None
        return prompt.versions.get(call.prompt_version)

    # --- one conversation ------------------------------------------------------------

    def replay(self, conversation: Conversation, *, judge: bool = True) -> ConversationResult:
        """The conversation replayed; with `judge` False (a comparison's other trees), the
        costs only, without routing-drift and identical-tool-call findings."""
        policy = self.tree.policy_for(conversation.project)
        terms = self._terms_of(policy)
        plans = self._plans_for(policy, conversation.intent)
        max_input_tokens = terms.max_input_tokens
        findings = _ConversationFindings(conversation)
        recounts = _Recounts(conversation.vars)
        calls: list[CallResult] = []
        llm_cost = retrieval_cost = tool_cost = human_minutes = _FREE
        input_tokens = output_tokens = unpriced_calls = 0
        escalated = conversation.outcome.status == "escalated"
        retries_by_stage: dict[str, int] | None = None
        fallbacks = 0
        # Tool calls, for the identical-arguments check once the conversation is read.
        tool_calls: list[ToolCall] | None = (
            [] if judge and terms.max_identical_tool_calls is not None else None
        )

        for event in conversation.events:
            if type(event) is Message:  # half of all events; they cost nothing
                continue
            if isinstance(event, LlmCall):
                key = (event.stage, event.prompt, event.prompt_version, event.model, event.fallback)
                plan = plans.get(key)
                if plan is None:
                    plan = plans[key] = self._new_call_plan(conversation, event, policy)
                usage = event.usage
                card = plan.card
                estimated = False
                cost = _FREE
                if usage is None:
                    usage = _NO_USAGE
                else:
                    if plan.recount is not None:
                        delta = recounts.delta(plan, event)
                        if delta is not None:
                            usage = _with_more_input(usage, delta)
                            estimated = plan.estimated
                    cap = plan.max_output_tokens
                    if cap is not None and usage.output_tokens > cap:
                        usage = Usage(
                            usage.input_tokens,
                            cap,
                            usage.cached_input_tokens,
                            usage.cache_write_tokens,
                            usage.cache_write_1h_tokens,
                        )
                    if card is not None:
                        cost = card.cost(usage)
                        llm_cost += cost
                    input_tokens += usage.input_tokens
                    output_tokens += usage.output_tokens
                if card is None:
                    unpriced_calls += 1
                calls.append(
                    CallResult(
                        event.index,
                        event.prompt,
                        plan.version,
                        event.model,
                        plan.model,
                        plan.rerouted,
                        usage,
                        cost,
                        card is not None,
                        estimated,
                    )
                )
                if event.attempt >= 2:
                    stage = event.stage or "unstaged"
                    if retries_by_stage is None:
                        retries_by_stage = {}
                    retries = retries_by_stage[stage] = retries_by_stage.get(stage, 0) + 1
                    cap = terms.retry_caps.get(stage)
                    if cap is not None and retries == cap + 1:
                        findings.add(
                            f"retry {retries} of stage `{stage}` is over the cap of "
                            f"{cap} per ticket (`retries.max_per_stage.{stage}`)",
                            event,
                            RETRIES_OVER_CAP,
                        )
                if event.fallback:
                    fallbacks += 1
                    if terms.max_fallbacks is not None and fallbacks == terms.max_fallbacks + 1:
                        findings.add(
                            f"fallback call {fallbacks} is over the cap of {terms.max_fallbacks} "
                            "per ticket (`retries.max_fallbacks`)",
                            event,
                            FALLBACKS_OVER_CAP,
                        )
                if max_input_tokens is not None and usage.input_tokens > max_input_tokens:
                    findings.add(
                        f"call of {usage.input_tokens:,} input tokens after replay is over "
                        f"`budgets.max_input_tokens` ({max_input_tokens:,})",
                        event,
                        INPUT_TOKENS_OVER_BUDGET,
                    )
                if judge and plan.drift:
                    findings.add(plan.drift, event, ROUTING_DRIFT, field="model")
            elif isinstance(event, Retrieval):
                retrieval_cost += terms.retrieval_price
                max_context_tokens = terms.max_context_tokens
                if max_context_tokens is not None and event.context_tokens > max_context_tokens:
                    findings.add(
                        f"retrieval of {event.context_tokens:,} context tokens is over "
                        f"`budgets.max_context_tokens` ({max_context_tokens:,})",
                        event,
                        CONTEXT_TOKENS_OVER_BUDGET,
                        field="context_tokens",
                    )
            elif isinstance(event, ToolCall):
                tool_cost += terms.tool_price(event.name)
                if tool_calls is not None:
                    tool_calls.append(event)
            elif isinstance(event, Escalation):
                escalated = True
                human_minutes += event.handle_minutes

        # (More calls than the cap in all, or none of them can be over it.)
        cap = terms.max_identical_tool_calls
        if tool_calls and cap is not None and len(tool_calls) > cap:
            _identical_tool_calls(tool_calls, cap, findings)
        judgement = judge_resolution(conversation, terms.resolution)
        compared = terms.compare_with
        # (Positional, each field named: from keywords, a Struct of this many fields takes
        # a microsecond more to make.)
        return ConversationResult(
            conversation.id,  # conversation_id
            conversation.intent,  # intent
            conversation.queue,  # queue
            conversation.automation,  # automation
            conversation.project,  # project
            terms.name,  # policy
            judgement.resolved,  # resolved
            escalated,  # escalated
            sum(retries_by_stage.values()) if retries_by_stage else 0,  # retries
            llm_cost + retrieval_cost + tool_cost,  # ai_cost
            human_minutes * terms.human_per_minute,  # human_cost
            tuple(calls),  # calls
            retrieval_cost,  # retrieval_cost
            tool_cost,  # tool_cost
            input_tokens,  # input_tokens
            output_tokens,  # output_tokens
            tuple(findings.problems),  # problems
            recounts.missing,  # missing_variables
            recounts.render_errors,  # render_errors
            judgement.clause,  # resolution_clause
            judgement.untimed,  # untimed
            compared is not None
            and judge_resolution(conversation, compared.resolution).resolved,  # compared_resolved
            terms.overhead_per_ticket,  # overhead_cost
            unpriced_calls,  # unpriced_calls
        )

    # --- one call --------------------------------------------------------------------

    def _plans_for(self, policy: Policy | None, intent: str) -> dict[PlanKey, CallPlan]:
        """The call plans of one policy and intent, by (stage, prompt, recorded version,
        model, fallback)."""
        key = (id(policy), intent)
        plans = self._call_plans.get(key)
        if plans is None:
            plans = self._call_plans[key] = {}
        return plans

    def _new_call_plan(
        self, conversation: Conversation, call: LlmCall, policy: Policy | None
    ) -> CallPlan:
        if call.prompt and call.prompt_version:
            self.recorded_versions.add((call.prompt, call.prompt_version))
        candidate = self.candidate_version(call.prompt) if call.prompt else None
        tokenizer = tokenizer_for_model(call.model)
        recount = recorded = None
        if candidate is not None and candidate.version != call.prompt_version:
            recorded = self._recorded_version(call)
            if recorded is not None:
                recount = self.deltas.recount(
                    recorded.template, candidate.template, tokenizer.encoding
                )
        model, rerouted = self._route(conversation, call, policy, candidate)
        return CallPlan(
            version=candidate.version if candidate else call.prompt_version,
            recount=recount,
            candidate_key=(candidate.prompt_id, candidate.version) if candidate else None,
            recorded_key=(call.prompt, call.prompt_version)
            if recount is not None and call.prompt and call.prompt_version
            else None,
            shares_recounts=not self.deltas.plain
            and recount is not None
            and recorded is not None
            and candidate is not None
            and printed_parts(recorded.template) is not None
            and printed_parts(candidate.template) is not None,
            estimated=tokenizer.estimate,
            max_output_tokens=candidate.max_output_tokens if candidate else None,
            model=model,
            rerouted=rerouted,
            card=self.price_override.get(model) or self.price_book(policy).lookup(model),
            drift=self._routing_drift(conversation, call, policy),
        )

    def _route(
        self,
        conversation: Conversation,
        call: LlmCall,
        policy: Policy | None,
        candidate: PromptVersion | None,
    ) -> tuple[str, bool]:
        """SPEC §3.3: the model a call is priced as, and whether it was re-routed."""
        if call.fallback or policy is None:
            return call.model, False  # a fallback was served by that model on purpose
        if candidate is not None and candidate.model:
            return candidate.model, candidate.model != call.model
        tier = policy.stage_tiers.get(call.stage or "")
        if tier is None:
            intent = policy.intent(conversation.intent)
            tier = intent.tier if intent else None
        models = policy.tiers.get(tier or "")
        if not models or is_listed(call.model, models):
            return call.model, False  # (a dated snapshot of a listed model is kept)
        return models[0], True

    def _routing_drift(
        self, conversation: Conversation, call: LlmCall, policy: Policy | None
    ) -> str | None:
        """SPEC §3.5: a recorded model outside the tiers its stage or risk level allows."""
        if policy is None or call.fallback or not call.model:
            return None
        stage_tier = policy.stage_tiers.get(call.stage or "")
        if stage_tier is not None:
            if stage_tier in policy.tiers and not is_listed(call.model, policy.tiers[stage_tier]):
                return (
                    f"stage `{call.stage}` is routed to tier `{stage_tier}`, but the call was "
                    f"served by `{call.model}`"
                )
            return None
        intent = policy.intent(conversation.intent)
        if intent is None or intent.risk not in policy.risk:
            return None
        allowed_tiers = policy.risk[intent.risk or ""]
        if not is_listed(call.model, self._models_allowed_at(policy, intent.risk or "")):
            tier = policy.tier_of_model(call.model)
            served = f"`{call.model}` (tier `{tier}`)" if tier else f"`{call.model}` (in no tier)"
            return (
                f"intent `{conversation.intent}` is {intent.risk} risk ({', '.join(allowed_tiers)}), "
                f"but the call was served by {served}"
            )
        return None


_ENCODE_SORTED = msgspec.json.Encoder(order="sorted").encode


def _arguments_key(arguments: Any) -> bytes | str:
    """Equal exactly when the arguments' RFC 8785 texts (`canonical_json`) are: each
    number made the one value of its IEEE double (`1` and `1.0` alike), then written with
    msgspec's sorted keys, in C, several times cheaper than `canonical_json` in Python,
    which takes what msgspec cannot write (text that is not Unicode)."""
    normalized = _same_numbers(arguments)
    try:
        return _ENCODE_SORTED(normalized)
    except (TypeError, OverflowError, ValueError):
        return canonical_json(arguments)


def _same_numbers(value: Any) -> Any:
    """`value` with every number that RFC 8785 reads as the same double made the same
    Python value: a whole one an `int`, any other a `float` (one past the doubles' range
    its exact text)."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is dict:
        return {key: _same_numbers(item) for key, item in value.items()}
    if kind is list:
        return [_same_numbers(item) for item in value]
    if kind is int and -EXACT_INTEGER <= value <= EXACT_INTEGER:
        return value
    if isinstance(value, int | float | Decimal):
        double = as_double(value)
        if double is None:
            return ["number", str(value)]  # (no JSON value of arguments is a list like it)
        return int(double) if double.is_integer() and abs(double) <= EXACT_INTEGER else double
    return value


class _PolicyTerms:
    """What a replay asks of a conversation's policy (or of none), worked out once per
    policy instead of once per conversation or per event."""

    __slots__ = (
        "_tool_prices",
        "compare_with",
        "human_per_minute",
        "max_context_tokens",
        "max_fallbacks",
        "max_identical_tool_calls",
        "max_input_tokens",
        "name",
        "overhead_per_ticket",
        "policy",
        "resolution",
        "retrieval_price",
        "retry_caps",
    )

    def __init__(self, policy: Policy | None) -> None:
        self.policy = policy
        self.name = policy.name if policy else None
        self.retry_caps: Mapping[str, int] = policy.retries.max_per_stage if policy else {}
        self.max_fallbacks = policy.retries.max_fallbacks if policy else None
        self.max_identical_tool_calls = policy.retries.max_identical_tool_calls if policy else None
        self.max_input_tokens = policy.budgets.max_input_tokens if policy else None
        self.max_context_tokens = policy.budgets.max_context_tokens if policy else None
        self.retrieval_price = policy.pricing.retrieval_per_query if policy else _FREE
        self.human_per_minute = policy.pricing.human_per_minute if policy else _FREE
        self.overhead_per_ticket = (policy.overhead_per_ticket or _FREE) if policy else _FREE
        self.resolution = policy.resolution if policy else DEFAULT_RESOLUTION
        self.compare_with = policy.compare_with if policy else None
        self._tool_prices: dict[str, Decimal] = {}  # by tool name, as they are asked for

    def tool_price(self, name: str) -> Decimal:
        price = self._tool_prices.get(name)
        if price is None:
            price = _FREE if self.policy is None else self.policy.pricing.tool_price(name)
            self._tool_prices[name] = price
        return price


class _Recounted(msgspec.Struct, frozen=True, gc=False):
    """What recounting one call's input tokens under its candidate version found."""

    delta: int | None  # the tokens it gains; None when a template cannot be rendered
    # The variables each version printed while the conversation did not provide them.
    candidate_missing: frozenset[str] = frozenset()
    recorded_missing: frozenset[str] = frozenset()
    render_error: str | None = None  # why a template cannot be rendered


def _input_delta(plan: CallPlan, variables: Mapping[str, Any]) -> _Recounted:
    """How many input tokens a call with these variables gains under its candidate
    version, and what the renderings reported."""
    assert plan.recount is not None
    try:
        delta, (candidate_missing, recorded_missing) = plan.recount(variables)
    except TemplateRenderError as error:
        return _Recounted(None, render_error=str(error))
    return _Recounted(delta, candidate_missing, recorded_missing)


class _Recounts:
    """The recounts of one conversation's calls, and the variables and render errors
    they reported: by (prompt id, version), the variables either version printed while
    unknown (an unknown variable in the recorded version's rendering miscounts the
    change as much as one in the candidate's), and why a candidate cannot be rendered.

    Within a conversation a call's change depends only on its variables. Calls without
    their own (retries, a prompt used twice) share one count. Calls with their own share
    one when those are the same text (`CallPlan.shares_recounts` says when counting
    again would read nothing else), and report what was found again, as counting again
    would.
    """

    __slots__ = ("by_own_variables", "missing", "render_errors", "shared", "variables")

    def __init__(self, variables: Mapping[str, Any]) -> None:
        self.variables = variables  # the conversation's
        self.shared: dict[Recount, int | None] = {}
        self.by_own_variables: dict[tuple[Recount, tuple[tuple[str, str], ...]], _Recounted] = {}
        self.missing: dict[tuple[str, str], frozenset[str]] = {}
        self.render_errors: dict[tuple[str, str], str] = {}

    def delta(self, plan: CallPlan, call: LlmCall) -> int | None:
        """How many input tokens the call gains under its candidate version; None (and
        the reason in `render_errors`) when a template cannot be rendered."""
        recount = plan.recount
        assert recount is not None
        if not call.vars:
            if recount in self.shared:
                return self.shared[recount]
            found = _input_delta(plan, self.variables)
            self._report(plan, found)
            self.shared[recount] = found.delta
            return found.delta
        own = _text_variables(call.vars) if plan.shares_recounts else None
        found_before = None if own is None else self.by_own_variables.get((recount, own))
        if found_before is not None:
            found = found_before
        else:
            found = _input_delta(plan, {**self.variables, **call.vars})
            if own is not None:
                self.by_own_variables[(recount, own)] = found
        self._report(plan, found)
        return found.delta

    def _report(self, plan: CallPlan, found: _Recounted) -> None:
        assert plan.candidate_key is not None
        if found.render_error is not None:
            self.render_errors[plan.candidate_key] = found.render_error
            return
        if found.candidate_missing:
            self.missing[plan.candidate_key] = found.candidate_missing
        if found.recorded_missing and plan.recorded_key is not None:
            self.missing[plan.recorded_key] = found.recorded_missing


def _text_variables(variables: Mapping[str, Any]) -> tuple[tuple[str, str], ...] | None:
    """A call's own variables as a key, when every value is text: equal keys print
    alike. (Values of other types may be equal and print differently: 1, 1.0, True.)"""
    items = tuple(variables.items())
    for _, value in items:
        if type(value) is not str:
            return None
    return items


def _identical_tool_calls(
    tool_calls: list[ToolCall], cap: int, findings: _ConversationFindings
) -> None:
    """CPR503: the tool calls made more than `cap` times with the same arguments, in the
    order they went over it. Only the arguments of a tool called more than `cap` times in
    all are compared: no other's can be."""
    calls_by_name: dict[str, int] = {}
    for call in tool_calls:
        calls_by_name[call.name] = calls_by_name.get(call.name, 0) + 1
    identical: dict[tuple[str, bytes | str], int] = {}
    # (tool, canonical args) -> the first call over the cap, reported with the final count.
    first_over_cap: dict[tuple[str, bytes | str], ToolCall] = {}
    for call in tool_calls:
        if calls_by_name[call.name] <= cap:
            continue
        key = (call.name, _arguments_key(call.args))
        count = identical[key] = identical.get(key, 0) + 1
        if count == cap + 1:
            first_over_cap[key] = call
    for (name, arguments), first in first_over_cap.items():
        findings.add(
            f"tool `{name}` called {identical[(name, arguments)]} times with the same "
            f"arguments; the cap is {cap} per ticket (`retries.max_identical_tool_calls`)",
            first,
            IDENTICAL_TOOL_CALLS,
        )


class _ConversationFindings:
    """The findings of one conversation's replay; their scope is made only when one is."""

    __slots__ = ("conversation", "problems", "scopes")

    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation
        self.problems: list[Problem] = []
        # One scope per prompt, shared by the findings of its calls: a conversation whose
        # routing drifts has a finding in every call.
        self.scopes: dict[str | None, Scope] = {}

    def add(self, message: str, event: Event, code: str, *, field: str | None = None) -> None:
        conversation = self.conversation
        location = (
            conversation.locate("events", event.index, field)
            if field
            else conversation.locate("events", event.index)
        )
        prompt = event.prompt if type(event) is LlmCall else None
        scope = self.scopes.get(prompt)
        if scope is None:
            scope = Scope(conversation.intent, conversation.queue, conversation.id, prompt)
            self.scopes[prompt] = scope
        self.problems.append(Problem(message, location, scope, code=code))


def _with_more_input(usage: Usage, delta: int) -> Usage:
    """`usage` with `delta` more input tokens (never fewer than none), and its cached and
    cache-written parts no more than those."""
    # (Comparisons rather than `min` and `max`, a call each: a replay makes millions.)
    input_tokens = usage.input_tokens + delta
    if input_tokens < 0:
        input_tokens = 0
    cached = usage.cached_input_tokens
    if cached > input_tokens:
        cached = input_tokens
    written = usage.cache_write_tokens
    if written > input_tokens - cached:
        written = input_tokens - cached
    written_1h = usage.cache_write_1h_tokens
    if written_1h > written:
        written_1h = written
    return Usage(input_tokens, usage.output_tokens, cached, written, written_1h)
