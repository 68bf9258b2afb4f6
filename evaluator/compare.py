"""Head against base: token creep and cost creep, with paired-bootstrap intervals.

Both trees replay the same fixture conversations (the head's), so every conversation
is a pair. Two more replays split a change into what each part of the pull request
did: the head's prompts under the base policy (prompt text), then the head's prompts
and policy at the base's prices (routing and model), then everything (prices).

The 95% interval of each change comes from a paired bootstrap over conversations with a
fixed seed: the same inputs give the same interval.
"""

from __future__ import annotations

import dataclasses
from array import array
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from cprlint.deltas import TokenDeltas
from cprlint.findings import Location, Problem, Scope
from cprlint.model import Conversation, CreepLimits, Policy
from cprlint.money import format_cost, json_number
from cprlint.pricing import Catalog
from cprlint.project import Project
from cprlint.replay import ConversationResult, Replayer

if TYPE_CHECKING:
    import numpy as np

TOKEN_CREEP = "CPR701"
COST_CREEP = "CPR702"
DIMENSIONS = ("intents", "queues", "automation")


def _policy_key(policy: Policy) -> str | None:
    return policy.project


def with_prices_of(head: Project, base: Project) -> list[Policy]:
    """The head's policies, each priced as the base's policy for the same project."""
    base_pricing = {_policy_key(policy): policy.pricing for policy in base.policies}
    return [
        dataclasses.replace(policy, pricing=base_pricing.get(_policy_key(policy), policy.pricing))
        for policy in head.policies
    ]


VARIANTS = ("base", "prompt_text", "routing", "head")


def _ints() -> array[int]:
    return array("q")


@dataclass
class PromptSamples:
    """Per conversation that used the prompt: its calls and input tokens, base and head."""

    conversations: array[int] = field(default_factory=_ints)  # rows of PairedSamples
    base_calls: array[int] = field(default_factory=_ints)
    base_tokens: array[int] = field(default_factory=_ints)
    head_calls: array[int] = field(default_factory=_ints)
    head_tokens: array[int] = field(default_factory=_ints)
    base_versions: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    head_versions: dict[str, int] = field(default_factory=lambda: defaultdict(int))


@dataclass
class PairedSamples:
    """One row per conversation, in compact columns: a few dozen bytes a conversation.

    The bootstrap needs each conversation's cost as a float; the point estimates are
    exact Decimal sums, kept per group as rows are added.
    """

    # Dimension -> group name -> its code in `codes`, in order of first appearance.
    labels: dict[str, dict[str, int]] = field(
        default_factory=lambda: {name: {} for name in DIMENSIONS}
    )
    codes: dict[str, array[int]] = field(
        default_factory=lambda: {name: array("I") for name in DIMENSIONS}
    )
    resolved_base: bytearray = field(default_factory=bytearray)
    resolved_head: bytearray = field(default_factory=bytearray)
    # Variant -> cost per conversation: base, prompt_text (the head's prompts under the
    # base policy), routing (head policy at base prices) and head.
    costs: dict[str, array[float]] = field(
        default_factory=lambda: {name: array("d") for name in VARIANTS}
    )
    # Cell (intent, queue, automation mode) -> variant -> exact sum of costs; a scope's
    # sums are those of its cells (`cost_sums_of`).
    cell_costs: dict[tuple[str, ...], dict[str, Decimal]] = field(default_factory=dict)
    prompts: dict[str, PromptSamples] = field(default_factory=lambda: defaultdict(PromptSamples))

    def __len__(self) -> int:
        return len(self.resolved_head)

    def add_row(
        self, groups: Mapping[str, str], resolved: tuple[bool, bool], costs: Mapping[str, Decimal]
    ) -> int:
        """Append one conversation; returns its row."""
        row = len(self)
        for dimension, name in groups.items():
            labels = self.labels[dimension]
            self.codes[dimension].append(labels.setdefault(name, len(labels)))
        self.resolved_base.append(resolved[0])
        self.resolved_head.append(resolved[1])
        for variant, cost in costs.items():
            self.costs[variant].append(float(cost))
        cell = tuple(groups[dimension] for dimension in DIMENSIONS)
        sums = self.cell_costs.get(cell)
        if sums is None:
            sums = self.cell_costs[cell] = dict.fromkeys(VARIANTS, Decimal(0))
        for variant, cost in costs.items():
            sums[variant] += cost
        return row

    def cost_sums_of(self, dimension: str, name: str) -> dict[str, Decimal]:
        """Variant -> exact sum of costs over a scope: `("summary", "")` is everyone."""
        position = DIMENSIONS.index(dimension) if dimension != "summary" else None
        sums = dict.fromkeys(VARIANTS, Decimal(0))
        for cell, cell_sums in sorted(self.cell_costs.items()):
            if position is None or cell[position] == name:
                for variant, amount in cell_sums.items():
                    sums[variant] += amount
        return sums

    def group_names(self, dimension: str) -> list[str]:
        return sorted(self.labels[dimension])

    def extend(self, later: PairedSamples) -> None:
        """Append the rows of the conversations that came after these."""
        offset = len(self)
        for dimension, later_labels in later.labels.items():
            labels = self.labels[dimension]
            recode = {
                code: labels.setdefault(name, len(labels)) for name, code in later_labels.items()
            }
            self.codes[dimension].extend(recode[code] for code in later.codes[dimension])
        self.resolved_base.extend(later.resolved_base)
        self.resolved_head.extend(later.resolved_head)
        for variant, costs in later.costs.items():
            self.costs[variant].extend(costs)
        for key, later_sums in later.cell_costs.items():
            sums = self.cell_costs.setdefault(key, dict.fromkeys(VARIANTS, Decimal(0)))
            for variant, amount in later_sums.items():
                sums[variant] += amount
        for prompt, theirs in later.prompts.items():
            mine = self.prompts[prompt]
            mine.conversations.extend(index + offset for index in theirs.conversations)
            mine.base_calls.extend(theirs.base_calls)
            mine.base_tokens.extend(theirs.base_tokens)
            mine.head_calls.extend(theirs.head_calls)
            mine.head_tokens.extend(theirs.head_tokens)
            for version, calls in theirs.base_versions.items():
                mine.base_versions[version] += calls
            for version, calls in theirs.head_versions.items():
                mine.head_versions[version] += calls


def _prompt_usage(result: ConversationResult) -> dict[str, list[Any]]:
    """Prompt -> [calls, input tokens, version of its first call]."""
    usage: dict[str, list[Any]] = {}
    for call in result.calls:
        if call.prompt is None:
            continue
        entry = usage.get(call.prompt)
        if entry is None:
            usage[call.prompt] = [1, call.usage.input_tokens, call.version]
        else:
            entry[0] += 1
            entry[1] += call.usage.input_tokens
    return usage


class PairedReplay:
    """Replays each head conversation under the base and the two in-between trees."""

    def __init__(
        self,
        head: Project,
        base: Project,
        *,
        catalog: Catalog | None,
        head_overrides: Mapping[str, str] | None = None,
        base_overrides: Mapping[str, str] | None = None,
        deltas: TokenDeltas | None = None,
        share_head: bool = True,
    ) -> None:
        self.base = Replayer(base, catalog=catalog, prompt_overrides=base_overrides, deltas=deltas)
        # An in-between tree equal to one of the ends replays nothing new: a pull request
        # that leaves prompts (or prices) alone skips that replay, and one that changes
        # only prompts (the common case) has "base policies, head prompts" = the head,
        # whose replay `add` is given. `share_head=False` replays it anyway: the plain
        # path the exactness test holds this shortcut to.
        same_prompts = head.prompts == base.prompts and dict(head_overrides or {}) == dict(
            base_overrides or {}
        )
        self.prompt_text: Replayer | None = None
        self.prompt_text_is_head = (
            share_head and not same_prompts and head.policies == base.policies
        )
        if not same_prompts and not self.prompt_text_is_head:
            prompts_only = dataclasses.replace(base, prompts=head.prompts)
            self.prompt_text = Replayer(
                prompts_only, catalog=catalog, prompt_overrides=head_overrides, deltas=deltas
            )
        at_base_prices = with_prices_of(head, base)
        self.routing: Replayer | None = None
        if [policy.pricing for policy in at_base_prices] != [
            policy.pricing for policy in head.policies
        ]:
            self.routing = Replayer(
                dataclasses.replace(head, policies=at_base_prices),
                catalog=catalog,
                prompt_overrides=head_overrides,
                deltas=deltas,
            )

    def add(
        self, samples: PairedSamples, conversation: Conversation, head: ConversationResult
    ) -> None:
        """Replay `conversation` under the base and in between; add its row to `samples`."""
        base = self.base.replay(conversation, judge=False)
        if self.prompt_text_is_head:
            prompt_text = head
        elif self.prompt_text is not None:
            prompt_text = self.prompt_text.replay(conversation, judge=False)
        else:
            prompt_text = base
        routing = self.routing.replay(conversation, judge=False) if self.routing else head
        index = samples.add_row(
            {"intents": head.intent, "queues": head.queue, "automation": head.automation},
            (base.resolved, head.resolved),
            {
                "base": base.ai_cost,
                "prompt_text": prompt_text.ai_cost,
                "routing": routing.ai_cost,
                "head": head.ai_cost,
            },
        )
        base_usage, head_usage = _prompt_usage(base), _prompt_usage(head)
        for prompt in sorted(base_usage.keys() | head_usage.keys()):
            entry = samples.prompts[prompt]
            base_calls, base_tokens, base_version = base_usage.get(prompt, (0, 0, None))
            head_calls, head_tokens, head_version = head_usage.get(prompt, (0, 0, None))
            entry.conversations.append(index)
            entry.base_calls.append(base_calls)
            entry.base_tokens.append(base_tokens)
            entry.head_calls.append(head_calls)
            entry.head_tokens.append(head_tokens)
            if base_version:
                entry.base_versions[base_version] += base_calls
            if head_version:
                entry.head_versions[head_version] += head_calls


# --- the comparison -----------------------------------------------------------------------


def _ratio(numerator: Decimal, denominator: Decimal | int) -> Decimal | None:
    return numerator / denominator if denominator else None


def _pct(base: Decimal | None, head: Decimal | None) -> Decimal | None:
    if base is None or head is None or base == 0:
        return None
    return (head / base - 1) * 100


@dataclass
class Change:
    """One compared figure: cost per resolution of a scope, or mean tokens of a prompt."""

    base: Decimal | None
    head: Decimal | None
    ci95: list[float] | None
    conversations: int
    contributions: dict[str, Decimal | None] = field(default_factory=dict)
    base_version: str | None = None
    head_version: str | None = None

    @property
    def delta(self) -> Decimal | None:
        return None if self.base is None or self.head is None else self.head - self.base

    @property
    def delta_pct(self) -> Decimal | None:
        return _pct(self.base, self.head)

    def to_json(self) -> dict[str, Any]:
        def number(value: Decimal | None) -> float | int | None:
            return None if value is None else json_number(value)

        result: dict[str, Any] = {}
        if self.base_version is not None or self.head_version is not None:
            result["base_version"] = self.base_version
            result["head_version"] = self.head_version
        result.update(
            base=number(self.base),
            head=number(self.head),
            delta=number(self.delta),
            delta_pct=number(self.delta_pct),
            ci95=self.ci95,
            conversations=self.conversations,
        )
        if self.contributions:
            result["contributions"] = {
                key: number(value) for key, value in self.contributions.items()
            }
        return result


@dataclass
class Comparison:
    base_label: str
    summary: Change
    scopes: dict[str, dict[str, Change]]
    prompts: dict[str, Change]

    def to_json(self) -> dict[str, Any]:
        return {
            "base": self.base_label,
            "summary": self.summary.to_json(),
            **{
                dimension: {
                    name: change.to_json()
                    for name, change in sorted(self.scopes[dimension].items())
                }
                for dimension in DIMENSIONS
            },
            "prompts": {name: change.to_json() for name, change in sorted(self.prompts.items())},
        }


def compare(samples: PairedSamples, base_label: str) -> Comparison:
    # Imported here: numpy takes a tenth of a second to load, and a check without a
    # comparison never needs it.
    import numpy as np
    from cprlint.bootstrap import Bootstrap

    resolved_base = np.frombuffer(samples.resolved_base, dtype=np.uint8).astype(np.float64)
    resolved_head = np.frombuffer(samples.resolved_head, dtype=np.uint8).astype(np.float64)
    cost_float = {
        name: np.frombuffer(costs, dtype=np.float64) for name, costs in samples.costs.items()
    }
    bootstrap = Bootstrap(
        np.vstack([cost_float["base"], resolved_base, cost_float["head"], resolved_head])
    )
    pending: list[tuple[Change, int]] = []

    def scope_change(key: tuple[str, str], rows: np.ndarray, handle: int) -> Change:
        sums = samples.cost_sums_of(*key)
        resolved = {"base": int(resolved_base[rows].sum()), "head": int(resolved_head[rows].sum())}
        # The prompt-text variant runs the base policy (its resolution rule); the others the head's.
        cpr = {
            "base": _ratio(sums["base"], resolved["base"]),
            "prompt_text": _ratio(sums["prompt_text"], resolved["base"]),
            "routing": _ratio(sums["routing"], resolved["head"]),
            "head": _ratio(sums["head"], resolved["head"]),
        }
        contributions = {
            "prompt_text": _difference(cpr["base"], cpr["prompt_text"]),
            "routing": _difference(cpr["prompt_text"], cpr["routing"]),
            "prices": _difference(cpr["routing"], cpr["head"]),
        }
        change = Change(cpr["base"], cpr["head"], None, len(rows), contributions)
        pending.append((change, handle))
        return change

    everyone = np.arange(len(samples))
    (summary_handle,) = bootstrap.register_grouping(np.zeros(len(samples), dtype=np.intp), 1)
    summary = scope_change(("summary", ""), everyone, summary_handle)
    scopes: dict[str, dict[str, Change]] = {}
    for dimension in DIMENSIONS:
        labels = samples.labels[dimension]
        codes = np.frombuffer(samples.codes[dimension], dtype=np.uint32).astype(np.intp)
        handles = bootstrap.register_grouping(codes, len(labels))
        scopes[dimension] = {
            name: scope_change(
                (dimension, name), np.flatnonzero(codes == labels[name]), handles[labels[name]]
            )
            for name in samples.group_names(dimension)
        }

    prompts: dict[str, Change] = {}
    for prompt in sorted(samples.prompts):
        entry = samples.prompts[prompt]
        change = Change(
            _ratio(Decimal(sum(entry.base_tokens)), sum(entry.base_calls)),
            _ratio(Decimal(sum(entry.head_tokens)), sum(entry.head_calls)),
            None,
            len(entry.conversations),
            base_version=_main(entry.base_versions),
            head_version=_main(entry.head_versions),
        )
        handle = bootstrap.register(
            np.frombuffer(entry.conversations, dtype=np.int64),
            np.frombuffer(entry.base_tokens, dtype=np.int64).astype(np.float64),
            np.frombuffer(entry.base_calls, dtype=np.int64).astype(np.float64),
            np.frombuffer(entry.head_tokens, dtype=np.int64).astype(np.float64),
            np.frombuffer(entry.head_calls, dtype=np.int64).astype(np.float64),
        )
        pending.append((change, handle))
        prompts[prompt] = change

    intervals = bootstrap.intervals()
    for change, handle in pending:
        change.ci95 = intervals[handle]
    return Comparison(base_label, summary, scopes, prompts)


def _difference(before: Decimal | None, after: Decimal | None) -> Decimal | None:
    return None if before is None or after is None else after - before


def _main(versions: Mapping[str, int]) -> str | None:
    return max(sorted(versions), key=lambda version: versions[version]) if versions else None


# --- creep findings -----------------------------------------------------------------------


def _over(change: Change, limit: Decimal | None) -> bool:
    pct = change.delta_pct
    return limit is not None and pct is not None and pct > limit


def _words(change: Change, what: str, unit: str, currency: str | None = None) -> str:
    pct = change.delta_pct
    assert pct is not None  # only changes with a percentage are over a threshold
    assert change.base is not None
    assert change.head is not None
    interval = ""
    if change.ci95 is not None:
        interval = f", 95% CI {change.ci95[0]:+.1f}% to {change.ci95[1]:+.1f}%"
    if currency is None:
        values = f"{change.base:,.1f} → {change.head:,.1f}"
    else:
        values = f"{format_cost(change.base, currency)} → {format_cost(change.head, currency)}"
    return f"{what} {unit} rose {pct:+.1f}% vs base ({values}{interval})"


def scope_place(
    policy: Policy, dimension: str | None, name: str, limit_key: str
) -> tuple[str, Location, Scope]:
    """How a creep finding names a scope, the policy line it points at, and its scope.

    An intent points at its entry (or `default`'s), a queue at its budget when it has one;
    the rest at the creep threshold that was crossed.
    """
    threshold = policy.locate("creep", limit_key)
    if dimension is None:
        return "overall", threshold, Scope()
    if dimension == "intents":
        key = name if name in policy.intents else "default"
        return f"intent `{name}`", policy.locate("intents", key), Scope(intent=name)
    if dimension == "queues":
        location = (
            policy.locate("budgets", "queues", name) if name in policy.budgets.queues else threshold
        )
        return f"queue `{name}`", location, Scope(queue=name)
    return f"automation `{name}`", threshold, Scope()


def scoped_figures(
    summary: Any, scopes: Mapping[str, Mapping[str, Any]]
) -> Iterator[tuple[str | None, str, Any]]:
    """(dimension, name, figure): overall first, then every intent, queue, automation mode."""
    yield None, "", summary
    for dimension in DIMENSIONS:
        for name, figure in sorted(scopes[dimension].items()):
            yield dimension, name, figure


def creep_problems(
    comparison: Comparison, head: Project, limits: CreepLimits, policy: Policy
) -> list[tuple[Problem, bool]]:
    """(problem, is_small_sample) for every figure over its creep threshold."""
    found: list[tuple[Problem, bool]] = []
    small = limits.min_conversations

    def add(change: Change, message: str, location: Location, scope: Scope, code: str) -> None:
        found.append((Problem(message, location, scope, code=code), change.conversations < small))

    for prompt_id, change in sorted(comparison.prompts.items()):
        if _over(change, limits.max_tokens_pct):
            version = (
                head.prompts[prompt_id].versions.get(change.head_version or "")
                if prompt_id in head.prompts
                else None
            )
            location = (
                Location(version.path, 1) if version else policy.locate("creep", "max_tokens_pct")
            )
            message = _words(change, f"prompt `{prompt_id}`", "mean input tokens per call")
            add(
                change,
                f"{message}; over `creep.max_tokens_pct` ({limits.max_tokens_pct}%)",
                location,
                Scope(prompt=prompt_id),
                TOKEN_CREEP,
            )
    cost_limit = limits.max_cost_pct
    suffix = f"; over `creep.max_cost_pct` ({cost_limit}%)"
    for dimension, name, change in scoped_figures(comparison.summary, comparison.scopes):
        if _over(change, cost_limit):
            what, location, scope = scope_place(policy, dimension, name, "max_cost_pct")
            message = _words(change, what, "cost per resolution", policy.currency) + suffix
            add(change, message, location, scope, COST_CREEP)
    return found
