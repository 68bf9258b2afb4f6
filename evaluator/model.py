"""The project as cprlint understands it: policies, prompts and fixture conversations.

Every object keeps the `Document` it was built from, so any field can be traced back to
its file, line and column. Builders are lenient: a value of the wrong shape is left out
(the schema has already reported it) so that the remaining checks still run.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any, Literal, cast, get_args

import msgspec
from cprlint.documents import Document, json_decimal, may_nest_too_deep
from cprlint.findings import Location
from cprlint.resolution_presets import PRESETS, expanded

# The words the fixture schema allows, as types: the strict reader checks a `Literal`
# in C, where a `pattern` would call the regex engine for every message.
AutomationMode = Literal["full", "partial", "assisted"]
AUTOMATION_MODES: tuple[str, ...] = get_args(AutomationMode)
OutcomeStatus = Literal["resolved", "escalated", "abandoned", "open"]
OUTCOME_STATUSES: tuple[str, ...] = get_args(OutcomeStatus)
Resolver = Literal["ai", "human"]
RESOLVERS: tuple[str, ...] = get_args(Resolver)
MessageRole = Literal["user", "assistant", "agent", "system"]
MESSAGE_ROLES: tuple[str, ...] = get_args(MessageRole)
EVENT_TYPES = ("message", "llm_call", "retrieval", "tool_call", "escalation")
DEFAULT_INTENT = "default"
# The largest numbers read, as the schemas' `maximum`s say. Past them a number is a broken
# export or a hostile one, and its sums would no longer print as JSON numbers.
MAX_AMOUNT = Decimal(1_000_000)  # a price per 1M tokens, a budget, a percentage, minutes
MAX_COUNT = 1_000_000_000  # tokens in one call, and any other whole number


# --- model names ------------------------------------------------------------------------

# What makes a model name one dated snapshot of a model (`gpt-4o-2024-08-06`,
# `claude-3-5-haiku-20241022`, Vertex's `@20240620`, Bedrock's `-20250219-v1:0`), or the
# alias that follows the newest (`claude-3-5-haiku-latest`).
_SNAPSHOT = re.compile(r"(?:-\d{4}-\d{2}-\d{2}|-\d{8}|@\d{8})(?:-v\d+(?::\d+)?)?$")
_LATEST = re.compile(r"-latest$")


def is_listed(model: str, listed: Iterable[str]) -> bool:
    """Whether `model` is one of `listed`, or a dated snapshot of a model listed by its
    alias: a tier listing `gpt-4o` (or `gpt-4o-latest`) covers `gpt-4o-2024-08-06`, the
    model that served a call the request named `gpt-4o`. A listed snapshot covers only
    itself: the alias may move on to another."""
    names = listed if isinstance(listed, frozenset | set | tuple | list) else tuple(listed)
    if model in names:
        return True
    family = _SNAPSHOT.sub("", model)
    if family == model:
        return False  # not a snapshot
    return any(_SNAPSHOT.search(name) is None and _LATEST.sub("", name) == family for name in names)


# --- small, forgiving readers of loaded values ----------------------------------------


def _mapping(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    if type(value) is str:  # the common case first: a fixture has hundreds of these
        return value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int):
        return str(value)
    return None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _texts(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(text for text in (_text(item) for item in value) if text is not None)


def _number(value: Any) -> Decimal | None:
    """A number of at most MAX_AMOUNT either way (the schema reports the others)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, float):
        number = Decimal(repr(value))
    else:
        return None
    return number if number.is_finite() and abs(number) <= MAX_AMOUNT else None


def _integer(value: Any) -> int | None:
    """A whole number of at most MAX_COUNT either way (the schema reports the others)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        value = int(value)
    if isinstance(value, int) and -MAX_COUNT <= value <= MAX_COUNT:
        return value
    return None


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


# --- policy ------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelPrice:
    """Prices per 1M tokens."""

    input: Decimal
    output: Decimal
    cached_input: Decimal
    cache_write: Decimal
    cache_write_1h: Decimal


@dataclass(frozen=True)
class Budget:
    cost_per_resolution: Decimal
    fully_loaded: bool = False


@dataclass(frozen=True)
class IntentPolicy:
    name: str
    risk: str | None
    tier: str | None
    budget: Budget | None


@dataclass(frozen=True)
class Pricing:
    catalog: str = "builtin"
    as_of: dt.date | None = None
    models: Mapping[str, ModelPrice] = field(default_factory=dict)
    retrieval_per_query: Decimal = Decimal(0)
    tools: Mapping[str, Decimal] = field(default_factory=dict)
    human_per_minute: Decimal = Decimal(0)
    # Fixed monthly costs (a vector store, orchestration, human QA review), by name.
    overhead: Mapping[str, Decimal] = field(default_factory=dict)

    def tool_price(self, name: str) -> Decimal:
        return self.tools.get(name, self.tools.get("default", Decimal(0)))


@dataclass(frozen=True)
class RetryLimits:
    max_per_stage: Mapping[str, int] = field(default_factory=dict)
    max_fallbacks: int | None = None
    max_identical_tool_calls: int | None = None


@dataclass(frozen=True)
class Budgets:
    cost_per_resolution: Budget | None = None
    queues: Mapping[str, Budget] = field(default_factory=dict)
    automation: Mapping[str, Budget] = field(default_factory=dict)
    max_input_tokens: int | None = None
    max_context_tokens: int | None = None


@dataclass(frozen=True)
class Quality:
    min_resolution_rate: Decimal | None = None
    max_escalation_rate: Decimal | None = None


@dataclass(frozen=True)
class CreepLimits:
    max_tokens_pct: Decimal | None = None
    max_cost_pct: Decimal | None = None
    max_cumulative_pct: Decimal | None = None
    min_conversations: int = 30


@dataclass(frozen=True)
class ResolutionRule:
    """What counts as a resolution (`cprlint.resolution` judges a conversation by it)."""

    statuses: tuple[str, ...] = ("resolved",)
    resolved_by: tuple[str, ...] = RESOLVERS
    exclude_reopened: bool = True
    # Only resolutions the customer confirmed (`outcome.confirmed`) count.
    confirmed_only: bool = False
    # An unconfirmed resolution counts only if no user message came within this long
    # after the last AI answer.
    assumed_after: dt.timedelta | None = None
    # A reopening (`outcome.reopened_at`) takes the resolution back only within this long
    # after it; without it, any reopening does (with `exclude_reopened`).
    reopened_within: dt.timedelta | None = None
    # What voids a resolution: a human agent's message, a CSAT under this score, an AI
    # whose only answer replied to a greeting.
    void_on_agent_message: bool = False
    csat_below: int | None = None
    void_greeting_only: bool = False
    preset: str | None = None

    @property
    def counts_unattributed(self) -> bool:
        """Whether an outcome that does not say who resolved it may count (the
        `unattributed` clause): only under a rule that counts every resolver."""
        return set(RESOLVERS) <= set(self.resolved_by)


@dataclass(frozen=True)
class Traffic:
    monthly_tickets: int | None = None
    mix: Mapping[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class CompareWith:
    """A vendor that bills per resolution (or per conversation), to compare with: what it
    would charge for the same fixtures under its own resolution rule."""

    name: str
    price: Decimal
    per: Literal["resolution", "conversation"]
    resolution: ResolutionRule


@dataclass(frozen=True)
class Waiver:
    index: int
    rule: str
    reason: str | None
    owner: str | None
    expires: dt.date | None
    intent: str | None = None
    queue: str | None = None
    prompt: str | None = None
    conversation: str | None = None


@dataclass(frozen=True)
class Approval:
    """A loosened guardrail acknowledged in the policy that loosens it (`approvals`)."""

    index: int
    path: str
    version: int | None
    owner: str | None
    reason: str | None

    @property
    def complete(self) -> bool:
        return bool(self.path and self.version is not None and self.owner and self.reason)

    def covers(self, change_path: str, policy_version: int | None) -> bool:
        """Whether it approves the change at `change_path` (its own path, or one under
        it) made by the policy at `policy_version`."""
        if not self.complete or self.version != policy_version:
            return False
        return change_path == self.path or change_path.startswith(
            (f"{self.path}.", f"{self.path}[")
        )


@dataclass(frozen=True)
class Policy:
    document: Document
    name: str
    version: int | None
    project: str | None
    owners: tuple[str, ...]
    currency: str
    pricing: Pricing
    tiers: Mapping[str, tuple[str, ...]]
    risk: Mapping[str, tuple[str, ...]]
    stage_tiers: Mapping[str, str]
    intents: Mapping[str, IntentPolicy]
    retries: RetryLimits
    budgets: Budgets
    quality: Quality
    creep: CreepLimits
    resolution: ResolutionRule
    traffic: Traffic
    waivers: tuple[Waiver, ...]
    approvals: tuple[Approval, ...] = ()
    compare_with: CompareWith | None = None

    @property
    def path(self) -> str:
        return self.document.path

    def locate(self, *key_path: str | int, key: bool = False) -> Location:
        return self.document.locate(*key_path, key=key)

    def intent(self, name: str) -> IntentPolicy | None:
        """The intent's policy, or the `default` intent's for an intent not listed."""
        return self.intents.get(name) or self.intents.get(DEFAULT_INTENT)

    def budget_of(self, dimension: str, group: str) -> Budget | None:
        """The cost-per-resolution budget of one group of `dimension` ("intent", "queue",
        "automation"; anything else is the whole population): an intent not listed is
        held to the `default` intent's."""
        if dimension == "intent":
            intent = self.intent(group)
            return intent.budget if intent else None
        if dimension == "queue":
            return self.budgets.queues.get(group)
        if dimension == "automation":
            return self.budgets.automation.get(group)
        return self.budgets.cost_per_resolution

    @property
    def monthly_overhead(self) -> Decimal:
        """The fixed monthly overhead: all of `pricing.overhead`'s items."""
        return sum(self.pricing.overhead.values(), Decimal(0))

    @property
    def overhead_per_ticket(self) -> Decimal | None:
        """The monthly overhead spread over the month's tickets (`traffic`); None when
        there is overhead but no ticket count to spread it over."""
        total = self.monthly_overhead
        if not total:
            return Decimal(0)
        tickets = self.traffic.monthly_tickets
        return total / tickets if tickets else None

    def tier_of_model(self, model: str) -> str | None:
        for tier, models in self.tiers.items():
            if is_listed(model, models):
                return tier
        return None


def _budget(value: Any) -> Budget | None:
    """A budget above zero; one of 0 or less is reported (CPR105), never judged by."""
    amount = _number(value)
    if amount is not None:
        return Budget(amount) if amount > 0 else None
    mapping = _mapping(value)
    amount = _number(mapping.get("cost_per_resolution"))
    if amount is None or amount <= 0:
        return None
    return Budget(amount, fully_loaded=mapping.get("fully_loaded") is True)


def _budgets_by_name(value: Any) -> dict[str, Budget]:
    budgets = {str(name): _budget(raw) for name, raw in _mapping(value).items()}
    return {name: budget for name, budget in budgets.items() if budget is not None}


def _model_price(value: Any) -> ModelPrice | None:
    mapping = _mapping(value)
    input_price, output_price = _number(mapping.get("input")), _number(mapping.get("output"))
    if input_price is None or output_price is None:
        return None
    cached = _number(mapping.get("cached_input"))
    cache_write = _number(mapping.get("cache_write"))
    cache_write_1h = _number(mapping.get("cache_write_1h"))
    cache_write = input_price if cache_write is None else cache_write
    return ModelPrice(
        input=input_price,
        output=output_price,
        cached_input=input_price if cached is None else cached,
        cache_write=cache_write,
        cache_write_1h=cache_write if cache_write_1h is None else cache_write_1h,
    )


def policy_from_document(document: Document) -> Policy:
    data = _mapping(document.data)
    metadata = _mapping(data.get("metadata"))
    pricing = _mapping(data.get("pricing"))
    model_prices = {
        str(name): price
        for name, price in (
            (name, _model_price(raw)) for name, raw in _mapping(pricing.get("models")).items()
        )
        if price is not None
    }
    tools = {
        str(name): price
        for name, price in (
            (name, _number(raw)) for name, raw in _mapping(pricing.get("tools")).items()
        )
        if price is not None
    }
    retries = _mapping(data.get("retries"))
    budgets = _mapping(data.get("budgets"))
    quality = _mapping(data.get("quality"))
    creep = _mapping(data.get("creep"))
    resolution = _mapping(data.get("resolution"))
    traffic = _mapping(data.get("traffic"))
    intents = {
        str(name): IntentPolicy(
            name=str(name),
            risk=_text(_mapping(raw).get("risk")),
            tier=_text(_mapping(raw).get("tier")),
            budget=_budget(_mapping(raw).get("budget")),
        )
        for name, raw in _mapping(data.get("intents")).items()
    }
    waivers = tuple(
        Waiver(
            index=index,
            rule=_text(raw.get("rule")) or "",
            reason=_text(raw.get("reason")),
            owner=_text(raw.get("owner")),
            expires=_date(raw.get("expires")),
            intent=_text(raw.get("intent")),
            queue=_text(raw.get("queue")),
            prompt=_text(raw.get("prompt")),
            conversation=_text(raw.get("conversation")),
        )
        for index, raw in enumerate(_list(data.get("waivers")))
        if isinstance(raw, dict)
    )
    approvals = tuple(
        Approval(
            index=index,
            path=_text(raw.get("path")) or "",
            version=_integer(raw.get("version")),
            owner=_text(raw.get("owner")),
            reason=_text(raw.get("reason")),
        )
        for index, raw in enumerate(_list(data.get("approvals")))
        if isinstance(raw, dict)
    )
    max_per_stage = {
        str(stage): cap
        for stage, cap in (
            (stage, _integer(raw)) for stage, raw in _mapping(retries.get("max_per_stage")).items()
        )
        if cap is not None
    }
    min_conversations = _integer(creep.get("min_conversations"))
    return Policy(
        document=document,
        name=_text(metadata.get("name")) or document.path,
        version=_integer(metadata.get("version")),
        project=_text(metadata.get("project")),
        owners=_texts(metadata.get("owners")),
        currency=_text(data.get("currency")) or "USD",
        pricing=Pricing(
            catalog=_text(pricing.get("catalog")) or "builtin",
            as_of=_date(pricing.get("as_of")),
            models=model_prices,
            retrieval_per_query=_number(_mapping(pricing.get("retrieval")).get("per_query"))
            or Decimal(0),
            tools=tools,
            human_per_minute=_number(_mapping(pricing.get("human")).get("per_minute"))
            or Decimal(0),
            overhead={
                str(name): amount
                for name, amount in (
                    (name, _number(raw)) for name, raw in _mapping(pricing.get("overhead")).items()
                )
                if amount is not None and amount >= 0
            },
        ),
        tiers={str(tier): _texts(models) for tier, models in _mapping(data.get("tiers")).items()},
        risk={str(level): _texts(tiers) for level, tiers in _mapping(data.get("risk")).items()},
        stage_tiers={
            str(stage): tier
            for stage, tier in (
                (stage, _text(raw))
                for stage, raw in _mapping(_mapping(data.get("routing")).get("stages")).items()
            )
            if tier is not None
        },
        intents=intents,
        retries=RetryLimits(
            max_per_stage=max_per_stage,
            max_fallbacks=_integer(retries.get("max_fallbacks")),
            max_identical_tool_calls=_integer(retries.get("max_identical_tool_calls")),
        ),
        budgets=Budgets(
            cost_per_resolution=_budget(budgets.get("cost_per_resolution")),
            queues=_budgets_by_name(budgets.get("queues")),
            automation=_budgets_by_name(budgets.get("automation")),
            max_input_tokens=_integer(budgets.get("max_input_tokens")),
            max_context_tokens=_integer(budgets.get("max_context_tokens")),
        ),
        quality=Quality(
            min_resolution_rate=_number(quality.get("min_resolution_rate")),
            max_escalation_rate=_number(quality.get("max_escalation_rate")),
        ),
        creep=CreepLimits(
            max_tokens_pct=_number(creep.get("max_tokens_pct")),
            max_cost_pct=_number(creep.get("max_cost_pct")),
            max_cumulative_pct=_number(creep.get("max_cumulative_pct")),
            min_conversations=30 if min_conversations is None else min_conversations,
        ),
        resolution=resolution_rule(resolution),
        traffic=Traffic(
            monthly_tickets=_integer(traffic.get("monthly_tickets")),
            mix={
                str(intent): share
                for intent, share in (
                    (intent, _number(raw)) for intent, raw in _mapping(traffic.get("mix")).items()
                )
                if share is not None
            },
        ),
        waivers=waivers,
        approvals=approvals,
        compare_with=_compare_with(_mapping(data.get("compare_with"))),
    )


def resolution_rule(raw: Mapping[Any, Any]) -> ResolutionRule:
    """A `resolution` block (or `compare_with.resolution`), its preset expanded."""
    rule = expanded(dict(raw))
    void_when = _mapping(rule.get("void_when"))
    csat_below = _integer(void_when.get("csat_below"))
    preset = _text(raw.get("preset"))
    return ResolutionRule(
        statuses=_texts(rule.get("statuses")) or ("resolved",),
        resolved_by=_texts(rule.get("resolved_by")) or RESOLVERS,
        exclude_reopened=rule.get("exclude_reopened") is not False,
        confirmed_only=rule.get("confirmed_only") is True,
        assumed_after=duration(rule.get("assumed_after")),
        reopened_within=duration(rule.get("reopened_within")),
        void_on_agent_message=void_when.get("agent_message") is True,
        csat_below=csat_below,
        void_greeting_only=void_when.get("greeting_only") is True,
        preset=preset if preset in PRESETS else None,
    )


def _compare_with(raw: Mapping[Any, Any]) -> CompareWith | None:
    per_resolution = _number(raw.get("price_per_resolution"))
    per_conversation = _number(raw.get("price_per_conversation"))
    if per_resolution is None and per_conversation is None:
        return None
    per: Literal["resolution", "conversation"] = (
        "resolution" if per_resolution is not None else "conversation"
    )
    return CompareWith(
        name=_text(raw.get("name")) or "the vendor",
        price=per_resolution if per_resolution is not None else per_conversation or Decimal(0),
        per=per,
        resolution=resolution_rule(_mapping(raw.get("resolution"))),
    )


_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")


def duration(value: Any) -> dt.timedelta | None:
    """`24h`, `7d`, `1d12h`, `90m`: a duration, or None (the schema reports the others)."""
    if not isinstance(value, str) or not value:
        return None
    found = _DURATION.match(value.strip())
    if found is None or not any(found.groups()):
        return None
    days, hours, minutes = (int(part or 0) for part in found.groups())
    if days > 36_500:
        return None
    return dt.timedelta(days=days, hours=hours, minutes=minutes)


# --- prompts -----------------------------------------------------------------------


@dataclass(frozen=True)
class PromptVersion:
    prompt_id: str
    version: str
    path: str
    template: str
    # Line of the file on which the template starts (after the front matter).
    template_line: int
    model: str | None = None
    max_output_tokens: int | None = None
    front_matter: Document | None = None


@dataclass(frozen=True)
class Prompt:
    id: str
    manifest: Document
    released: str | None
    owners: tuple[str, ...]
    versions: Mapping[str, PromptVersion]

    @property
    def released_version(self) -> PromptVersion | None:
        return self.versions.get(self.released) if self.released else None


def prompt_version_from_parts(
    *,
    prompt_id: str,
    version: str,
    path: str,
    template: str,
    template_line: int,
    front_matter: Document | None,
) -> PromptVersion:
    settings = _mapping(front_matter.data) if front_matter else {}
    return PromptVersion(
        prompt_id=prompt_id,
        version=version,
        path=path,
        template=template,
        template_line=template_line,
        model=_text(settings.get("model")),
        max_output_tokens=_integer(settings.get("max_output_tokens")),
        front_matter=front_matter,
    )


# --- fixtures ----------------------------------------------------------------------


# Fixture records are msgspec Structs: `_FIXTURE_DECODER` reads a JSON line straight into
# them, in C, checking each field against the fixture schema as it goes (the annotations
# below are that schema). The lenient builders further down make the same objects from
# a document the strict decoder refused. `index` is the event's place in `events`, set
# by whichever made the conversation.

Name = Annotated[str, msgspec.Meta(min_length=1)]
Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_COUNT)]


class Usage(msgspec.Struct, frozen=True, gc=False):
    input_tokens: Count
    output_tokens: Count
    cached_input_tokens: Count = 0
    cache_write_tokens: Count = 0
    # Of `cache_write_tokens`, those written to a cache that lives an hour.
    cache_write_1h_tokens: Count = 0


class Message(msgspec.Struct, frozen=True, kw_only=True, tag="message", tag_field="type"):
    index: int = 0
    role: MessageRole | None = None
    text: str = ""
    at: str | None = None  # when, ISO 8601 (every event may say)


class LlmCall(msgspec.Struct, frozen=True, kw_only=True, tag="llm_call", tag_field="type"):
    index: int = 0
    stage: Name | None = None
    prompt: Name | None = None
    prompt_version: Name | None = None
    model: Name
    # The model the request asked for, when `model` is the one that served it.
    requested_model: Name | None = None
    attempt: Annotated[int, msgspec.Meta(ge=1)] = 1
    status: Name = "ok"  # an empty status reads as "ok" (the lenient builder)
    fallback: bool = False
    vars: dict[str, Any] = {}
    usage: Usage | None = None
    at: str | None = None


class Retrieval(msgspec.Struct, frozen=True, kw_only=True, tag="retrieval", tag_field="type"):
    index: int = 0
    stage: Name | None = None
    query: str | None = None
    context_tokens: Count = 0
    at: str | None = None


class ToolCall(msgspec.Struct, frozen=True, kw_only=True, tag="tool_call", tag_field="type"):
    index: int = 0
    stage: Name | None = None
    name: Name
    args: Any = None
    status: Name = "ok"  # an empty status reads as "ok" (the lenient builder)
    at: str | None = None


class Escalation(msgspec.Struct, frozen=True, kw_only=True):
    """Never decoded itself: made from `_EscalationRecord`, whose minutes are checked by
    hand, or by the lenient builder."""

    index: int = 0
    reason: str | None = None
    handle_minutes: Decimal = Decimal(0)
    at: str | None = None


class OtherEvent(msgspec.Struct, frozen=True, kw_only=True):
    """An event whose type cprlint does not know; kept so rules can point at it."""

    index: int = 0
    type: str
    at: str | None = None


Event = Message | LlmCall | Retrieval | ToolCall | Escalation | OtherEvent


class Outcome(msgspec.Struct, frozen=True, gc=False):
    status: OutcomeStatus
    resolved_by: Resolver | None = None
    reopened: bool = False
    # The customer said the answer helped (a confirmed resolution, not an assumed one).
    confirmed: bool | None = None
    csat: Annotated[int, msgspec.Meta(ge=1, le=5)] | None = None
    reopened_at: str | None = None  # ISO 8601


# A Struct rather than a frozen dataclass: one is made per fixture line, and a frozen
# dataclass sets its twelve fields one `object.__setattr__` at a time, some ten times
# slower.
class Conversation(msgspec.Struct, frozen=True, kw_only=True):
    document: Document
    id: str
    intent: str
    queue: str
    project: str | None
    automation: str
    vars: Mapping[str, Any]
    outcome: Outcome
    events: tuple[Event, ...]
    # Of `events`: the `llm_call` events (what most rules and the replay look at) and those
    # of types cprlint does not know, in order. Sorted out by the readers, which go over
    # every event anyway: a `cached_property` would take a lock per conversation.
    llm_calls: tuple[LlmCall, ...]
    unknown_events: tuple[OtherEvent, ...]
    started_at: str | None = None  # ISO 8601: when the ticket was opened

    def locate(self, *key_path: str | int, key: bool = False) -> Location:
        return self.document.locate(*key_path, key=key)


def _token_count(value: Any) -> int:
    """A broken count (negative, fractional, absurd) reads as 0; the schema reports it."""
    if type(value) is int:  # the common case first: four of these per call
        return value if 0 <= value <= MAX_COUNT else 0
    count = _integer(value)
    return count if count is not None and count >= 0 else 0


def _usage(value: Any) -> Usage | None:
    if not isinstance(value, dict):
        return None
    return Usage(
        input_tokens=_token_count(value.get("input_tokens")),
        output_tokens=_token_count(value.get("output_tokens")),
        cached_input_tokens=_token_count(value.get("cached_input_tokens")),
        cache_write_tokens=_token_count(value.get("cache_write_tokens")),
        cache_write_1h_tokens=_token_count(value.get("cache_write_1h_tokens")),
    )


def _event(index: int, raw: dict[str, Any]) -> Event:
    kind = raw.get("type")
    at = raw.get("at") if type(raw.get("at")) is str else None
    if kind == "message":  # the most common kind first
        text = raw.get("text")
        return Message(
            index=index,
            # (As written, a word the schema refuses too: the schema has reported it.)
            role=cast("MessageRole | None", _text(raw.get("role"))),
            text=text if isinstance(text, str) else "",
            at=at,
        )
    if kind == "llm_call":
        attempt = _integer(raw.get("attempt"))
        return LlmCall(
            index=index,
            stage=_text(raw.get("stage")),
            prompt=_text(raw.get("prompt")),
            prompt_version=_text(raw.get("prompt_version")),
            model=_text(raw.get("model")) or "",
            requested_model=_text(raw.get("requested_model")),
            attempt=attempt if attempt is not None and attempt >= 1 else 1,
            status=_text(raw.get("status")) or "ok",
            fallback=raw.get("fallback") is True,
            vars=_mapping(raw.get("vars")),
            usage=_usage(raw.get("usage")),
            at=at,
        )
    if kind == "retrieval":
        return Retrieval(
            index=index,
            stage=_text(raw.get("stage")),
            query=_text(raw.get("query")),
            context_tokens=_token_count(raw.get("context_tokens")),
            at=at,
        )
    if kind == "tool_call":
        return ToolCall(
            index=index,
            stage=_text(raw.get("stage")),
            name=_text(raw.get("name")) or "",
            args=raw.get("args"),
            status=_text(raw.get("status")) or "ok",
            at=at,
        )
    if kind == "escalation":
        minutes = _number(raw.get("handle_minutes"))
        return Escalation(
            index=index,
            reason=_text(raw.get("reason")),
            handle_minutes=minutes if minutes is not None and minutes >= 0 else Decimal(0),
            at=at,
        )
    return OtherEvent(index=index, type=str(kind), at=at)


def conversation_from_document(document: Document) -> Conversation | None:
    """The conversation in a fixture document, or None when it is not one at all."""
    data = document.data
    if not isinstance(data, dict):
        return None
    outcome = _mapping(data.get("outcome"))
    automation = _text(data.get("automation"))
    events = tuple(
        _event(index, raw)
        for index, raw in enumerate(_list(data.get("events")))
        if isinstance(raw, dict)
    )
    return Conversation(
        document=document,
        id=_text(data.get("id")) or f"{document.path}:{document.start_line}",
        intent=_text(data.get("intent")) or DEFAULT_INTENT,
        queue=_text(data.get("queue")) or "default",
        project=_text(data.get("project")),
        automation=automation if automation in AUTOMATION_MODES else "full",
        vars=_mapping(data.get("vars")),
        outcome=Outcome(
            # (As written, a word the schema refuses too: the schema has reported it.)
            status=cast("OutcomeStatus", _text(outcome.get("status")) or "open"),
            resolved_by=cast("Resolver | None", _text(outcome.get("resolved_by"))),
            reopened=outcome.get("reopened") is True,
            confirmed=outcome.get("confirmed") if type(outcome.get("confirmed")) is bool else None,
            csat=csat
            if (csat := _integer(outcome.get("csat"))) is not None and 1 <= csat <= 5
            else None,
            reopened_at=_text(outcome.get("reopened_at")),
        ),
        events=events,
        llm_calls=tuple(event for event in events if type(event) is LlmCall),
        unknown_events=tuple(event for event in events if type(event) is OtherEvent),
        started_at=_text(data.get("started_at")),
    )


# --- the strict, fast reading of a fixture line ---------------------------------------


class _EscalationRecord(msgspec.Struct, frozen=True, tag="escalation", tag_field="type"):
    # Read as written and checked by hand: msgspec would also take "5" for a Decimal.
    reason: str | None = None
    handle_minutes: Any = 0
    at: str | None = None


class _ConversationRecord(msgspec.Struct, frozen=True):
    id: str | int
    intent: Name
    outcome: Outcome
    events: list[Message | LlmCall | Retrieval | ToolCall | _EscalationRecord]
    queue: Name = "default"
    project: Name | None = None
    automation: AutomationMode = "full"
    started_at: str | None = None
    vars: dict[str, Any] = {}


# Where a null value can stand in JSON: after a colon, a comma or an opening bracket. (The
# word in a message, "null and void", is not one, unless it follows a comma.) Looked for
# only in lines with the word, which the regex engine finds sooner than `in` does.
_NULL_VALUE = re.compile(r"[:,\[]\s*null")
_NULL = re.compile("null")

# Unknown keys are ignored, as the schema allows; numbers with a fraction become Decimal
# from their text, as `parse_json_line` makes them.
_FIXTURE_DECODER = msgspec.json.Decoder(_ConversationRecord, float_hook=json_decimal)


def conversation_from_json_line(path: str, text: str, line: int) -> Conversation | None:
    """The conversation on a fixture line when the line certainly matches the fixture
    schema, read in one pass in C: the same object `conversation_from_document` makes of
    it. None when only the full reading can tell (JSON errors, schema problems, unknown
    event types): then `json_document`, the schema and the lenient builder take over.
    """
    # No key of the schema takes null, but msgspec reads null into an `X | None` field.
    if _NULL.search(text) is not None and _NULL_VALUE.search(text) is not None:
        return None
    try:
        record = _FIXTURE_DECODER.decode(text)
    except (msgspec.MsgspecError, ValueError, RecursionError):
        return None
    if may_nest_too_deep(text):  # (the full reading refuses what the rules cannot walk)
        return None
    # The decoded list becomes the events: an escalation is replaced where it stands.
    events: list[Any] = record.events
    llm_calls: list[LlmCall] = []
    set_index = msgspec.structs.force_setattr  # (looked up once: a hundred events a line)
    for index, event in enumerate(events):
        kind = type(event)
        if kind is _EscalationRecord:
            minutes = event.handle_minutes
            if type(minutes) not in (int, Decimal) or not 0 <= minutes <= MAX_AMOUNT:
                return None
            events[index] = Escalation(
                index=index, reason=event.reason, handle_minutes=Decimal(minutes), at=event.at
            )
            continue
        set_index(event, "index", index)
        if kind is LlmCall:
            llm_calls.append(event)
    identifier = record.id if type(record.id) is str else str(record.id)
    return Conversation(
        document=Document.of_json_line(path, text, line),
        id=identifier or f"{path}:{line}",
        intent=record.intent,
        queue=record.queue,
        project=record.project,
        automation=record.automation,
        vars=record.vars,
        outcome=record.outcome,
        events=tuple(events),
        llm_calls=tuple(llm_calls),
        unknown_events=(),  # (the strict reader takes none)
        started_at=record.started_at,
    )
