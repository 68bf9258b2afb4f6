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
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from cprlint.deltas import TokenDeltas
from cprlint.findings import Location, Problem, Scope
from cprlint.model import Conversation, Policy
from cprlint.money import billionths, compared_amounts, json_number
from cprlint.pricing import Catalog
from cprlint.project import Project
from cprlint.projection import Figures
from cprlint.replay import ConversationResult, Replayer

if TYPE_CHECKING:
    from cprlint.bootstrap import ResampledSums

TOKEN_CREEP = "CPR701"
COST_CREEP = "CPR702"
DIMENSIONS = ("intents", "queues", "automation")
SUMMARY = ("summary", "")  # the figure of every conversation
_ZERO = Decimal(0)


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


# A prompt's use in one conversation's replay: calls, input tokens, the version of its first call.
PromptUsage = tuple[int, int, str | None]
NOT_USED: PromptUsage = (0, 0, None)


@dataclass
class CellTotals:
    """The exact sums of a cell: the conversations alike in intent, queue and mode."""

    conversations: int = 0
    resolved_base: int = 0
    resolved_head: int = 0
    # Variant -> sum of costs: base, prompt_text (the head's prompts under the base
    # policy), routing (head policy at base prices) and head.
    costs: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(VARIANTS, _ZERO))

    def merge(self, other: CellTotals) -> None:
        self.conversations += other.conversations
        self.resolved_base += other.resolved_base
        self.resolved_head += other.resolved_head
        for variant, amount in other.costs.items():
            self.costs[variant] += amount


@dataclass
class PromptPairTotals:
    """A prompt's calls and input tokens, base and head, over the conversations that used it."""

    conversations: int = 0
    base_calls: int = 0
    base_tokens: int = 0
    head_calls: int = 0
    head_tokens: int = 0
    base_versions: Counter[str] = field(default_factory=Counter)
    head_versions: Counter[str] = field(default_factory=Counter)

    def merge(self, other: PromptPairTotals) -> None:
        self.conversations += other.conversations
        self.base_calls += other.base_calls
        self.base_tokens += other.base_tokens
        self.head_calls += other.head_calls
        self.head_tokens += other.head_tokens
        self.base_versions.update(other.base_versions)
        self.head_versions.update(other.head_versions)


# The conversations alike in what they are compared by: the policy that governs them
# (its name; "" for none), intent, queue and automation mode.
Cell = tuple[str, str, str, str]


def policy_figure(policy: str, figure: tuple[str, ...]) -> tuple[str, ...]:
    """A figure of one policy's conversations only: ("policies", "shop", "intents", "x")."""
    return ("policies", policy, *figure)


@dataclass
class PairedSamples:
    """Every figure a comparison needs, as sums over the paired conversations: exact sums
    for the point estimates, resampled ones (`cprlint.bootstrap`) for the intervals.

    Nothing is kept per conversation, so memory does not grow with the fixture set, and
    the samples of consecutive stretches of the stream merge into those of the whole.
    With `per_policy` (a project of several policies, each judging its own
    conversations), every figure is also resampled per policy.
    """

    per_policy: bool = False
    # Cell -> its exact sums; a scope's are those of its cells (`cell_totals_of`).
    cells: dict[Cell, CellTotals] = field(default_factory=dict)
    # (policy, prompt) -> the prompt's calls in that policy's conversations.
    prompts: dict[tuple[str, str], PromptPairTotals] = field(default_factory=dict)
    # The groups of figures of `resampled`: a cell's scopes (the summary, its intent, queue
    # and mode) add the same values, so they are one group; a prompt is a group alone.
    _scope_groups: dict[Cell, int] = field(default_factory=dict)
    _prompt_groups: dict[tuple[str, str], int] = field(default_factory=dict)
    # Imported on first use: numpy takes a tenth of a second to load, and a check
    # without a comparison never needs it.
    _resampled: ResampledSums | None = None

    @property
    def resampled(self) -> ResampledSums:
        if self._resampled is None:
            from cprlint.bootstrap import ResampledSums

            self._resampled = ResampledSums()
        return self._resampled

    def add(
        self,
        conversation_id: str,
        cell: Cell,
        resolved: tuple[bool, bool],
        costs: Mapping[str, Decimal],
        prompts: Mapping[str, tuple[PromptUsage, PromptUsage]],
    ) -> None:
        """One conversation: its cell, whether base and head resolved it, its cost under
        each variant, and per prompt it used its (base, head) usage."""
        totals = self.cells.get(cell)
        if totals is None:
            totals = self.cells[cell] = CellTotals()
        resolved_base, resolved_head = resolved
        totals.conversations += 1
        totals.resolved_base += resolved_base
        totals.resolved_head += resolved_head
        summed_costs = totals.costs
        for variant, cost in costs.items():
            summed_costs[variant] += cost
        resampled = self.resampled
        scope_group = self._scope_groups.get(cell)
        if scope_group is None:
            scope_group = self._scope_groups[cell] = resampled.group(self._scope_figures(cell))
        # The conversation's entries for `resampled`, laid end to end: its scopes' first.
        entries = [
            scope_group,
            billionths(costs["base"]),
            resolved_base,
            billionths(costs["head"]),
            resolved_head,
        ]
        policy = cell[0]
        prompt_totals, prompt_groups = self.prompts, self._prompt_groups
        for prompt, (base, head) in prompts.items():
            key = (policy, prompt)
            entry = prompt_totals.get(key)
            if entry is None:
                entry = prompt_totals[key] = PromptPairTotals()
            prompt_group = prompt_groups.get(key)
            if prompt_group is None:
                figures: tuple[tuple[str, ...], ...] = (("prompts", prompt),)
                if self.per_policy:
                    figures += (policy_figure(policy, ("prompts", prompt)),)
                prompt_group = prompt_groups[key] = resampled.group(figures)
            base_calls, base_tokens, base_version = base
            head_calls, head_tokens, head_version = head
            entry.conversations += 1
            entry.base_calls += base_calls
            entry.base_tokens += base_tokens
            entry.head_calls += head_calls
            entry.head_tokens += head_tokens
            if base_version:
                entry.base_versions[base_version] += base_calls
            if head_version:
                entry.head_versions[head_version] += head_calls
            entries += (prompt_group, base_tokens, base_calls, head_tokens, head_calls)
        resampled.add_laid_out(conversation_id, len(prompts) + 1, entries)

    def _scope_figures(self, cell: Cell) -> tuple[tuple[str, ...], ...]:
        policy, intent, queue, automation = cell
        figures: tuple[tuple[str, ...], ...] = (
            SUMMARY,
            ("intents", intent),
            ("queues", queue),
            ("automation", automation),
        )
        if self.per_policy:
            figures += tuple(policy_figure(policy, figure) for figure in figures)
        return figures

    def cell_totals_of(self, dimension: str, name: str, policy: str | None = None) -> CellTotals:
        """The exact sums over a scope (`("summary", "")` is everyone), of one policy's
        conversations or of all."""
        position = DIMENSIONS.index(dimension) + 1 if dimension != "summary" else None
        totals = CellTotals()
        for cell, cell_totals in sorted(self.cells.items()):
            if policy is not None and cell[0] != policy:
                continue
            if position is None or cell[position] == name:
                totals.merge(cell_totals)
        return totals

    def group_names(self, dimension: str, policy: str | None = None) -> list[str]:
        position = DIMENSIONS.index(dimension) + 1
        return sorted(
            {cell[position] for cell in self.cells if policy is None or cell[0] == policy}
        )

    def policy_names(self) -> list[str]:
        return sorted({cell[0] for cell in self.cells})

    def prompt_totals(self, prompt: str, policy: str | None = None) -> PromptPairTotals:
        totals = PromptPairTotals()
        for (owner, name), entry in sorted(self.prompts.items()):
            if name == prompt and (policy is None or owner == policy):
                totals.merge(entry)
        return totals

    def prompt_names(self, policy: str | None = None) -> list[str]:
        return sorted({name for owner, name in self.prompts if policy is None or owner == policy})

    def figures_by_intent(self, policy: str) -> tuple[dict[str, Figures], dict[str, Figures]]:
        """A policy's conversations by intent as the base replayed them, and the head."""
        base: dict[str, Figures] = {}
        head: dict[str, Figures] = {}
        for (owner, intent, _, _), totals in sorted(self.cells.items()):
            if owner != policy:
                continue
            conversations = totals.conversations
            base[intent] = base.get(intent, Figures()) + Figures(
                conversations, totals.resolved_base, totals.costs["base"]
            )
            head[intent] = head.get(intent, Figures()) + Figures(
                conversations, totals.resolved_head, totals.costs["head"]
            )
        return base, head

    def merge(self, later: PairedSamples) -> None:
        """Add the samples of the conversations that came after these."""
        for cell, theirs in later.cells.items():
            self.cells.setdefault(cell, CellTotals()).merge(theirs)
        for key, their_prompt in later.prompts.items():
            self.prompts.setdefault(key, PromptPairTotals()).merge(their_prompt)
        if later._resampled is not None:
            self.resampled.merge(later._resampled)

    def flush(self) -> None:
        """Sum what is gathered for resampling (before the samples are sent elsewhere)."""
        if self._resampled is not None:
            self._resampled.flush()


def prompt_usage(result: ConversationResult) -> dict[str, PromptUsage]:
    """Prompt -> its use in this replay."""
    usage: dict[str, PromptUsage] = {}
    for call in result.calls:
        prompt = call.prompt
        if prompt is not None:
            used = usage.get(prompt)
            if used is None:
                usage[prompt] = (1, call.usage.input_tokens, call.version)
            else:
                usage[prompt] = (used[0] + 1, used[1] + call.usage.input_tokens, used[2])
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
        # Several policies judge their own conversations: every figure per policy too.
        self.per_policy = len(head.policies) > 1
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
        base_usage, head_usage = prompt_usage(base), prompt_usage(head)
        if base_usage.keys() == head_usage.keys():  # (the same prompts, as is usual)
            prompts = {prompt: (used, head_usage[prompt]) for prompt, used in base_usage.items()}
        else:
            prompts = {
                prompt: (base_usage.get(prompt, NOT_USED), head_usage.get(prompt, NOT_USED))
                for prompt in base_usage.keys() | head_usage.keys()
            }
        samples.add(
            conversation.id,
            (head.policy or "", head.intent, head.queue, head.automation),
            (base.resolved, head.resolved),
            {
                "base": base.ai_cost,
                "prompt_text": prompt_text.ai_cost,
                "routing": routing.ai_cost,
                "head": head.ai_cost,
            },
            prompts,
        )


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
    # Of a scope's cost per resolution: the conversations counted as resolved under the
    # base's rule and the head's (the same conversations, so they differ only when the
    # resolution rule does).
    resolved: tuple[int, int] | None = None

    @property
    def delta(self) -> Decimal | None:
        return None if self.base is None or self.head is None else self.head - self.base

    @property
    def delta_pct(self) -> Decimal | None:
        return _pct(self.base, self.head)

    @property
    def degenerate(self) -> bool:
        """Every resample gave the same change: every conversation changed alike (as a
        prompt edit with no variable nearby does), so the change is certain."""
        return self.ci95 is not None and self.ci95[0] == self.ci95[1]

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
    # With several policies: the same comparison over each policy's conversations.
    policies: dict[str, Comparison] = field(default_factory=dict)

    def changes(self) -> Iterator[Change]:
        yield self.summary
        for dimension in DIMENSIONS:
            yield from self.scopes[dimension].values()
        yield from self.prompts.values()

    def drop_small_intervals(self, min_conversations: int) -> None:
        """No interval for a figure of fewer conversations than `min_conversations`
        (`creep.min_conversations`), unless every conversation changed alike."""
        for change in self.changes():
            if change.conversations < min_conversations and not change.degenerate:
                change.ci95 = None

    def to_json(self) -> dict[str, Any]:
        result = {
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
        if self.policies:
            result["policies"] = {
                name: {key: value for key, value in comparison.to_json().items() if key != "base"}
                for name, comparison in sorted(self.policies.items())
            }
        return result


def compare(samples: PairedSamples, base_label: str) -> Comparison:
    """Every figure base against head, over all conversations and, with `per_policy`,
    over each policy's."""
    comparison = _compare(samples, base_label, None)
    if samples.per_policy:
        comparison.policies = {
            policy: _compare(samples, base_label, policy)
            for policy in samples.policy_names()
            if policy  # (conversations no policy governs have no limits to be judged by)
        }
    return comparison


def _compare(samples: PairedSamples, base_label: str, policy: str | None) -> Comparison:
    resampled = samples.resampled

    def figure_of(figure: tuple[str, ...]) -> tuple[str, ...]:
        return figure if policy is None else policy_figure(policy, figure)

    def scope_change(dimension: str, name: str) -> Change:
        totals = samples.cell_totals_of(dimension, name, policy)
        costs = totals.costs
        # The prompt-text variant runs the base policy (its resolution rule); the others the head's.
        cpr = {
            "base": _ratio(costs["base"], totals.resolved_base),
            "prompt_text": _ratio(costs["prompt_text"], totals.resolved_base),
            "routing": _ratio(costs["routing"], totals.resolved_head),
            "head": _ratio(costs["head"], totals.resolved_head),
        }
        contributions = {
            "prompt_text": _difference(cpr["base"], cpr["prompt_text"]),
            "routing": _difference(cpr["prompt_text"], cpr["routing"]),
            "prices": _difference(cpr["routing"], cpr["head"]),
        }
        figure = SUMMARY if dimension == "summary" else (dimension, name)
        return Change(
            cpr["base"],
            cpr["head"],
            resampled.interval(figure_of(figure)),
            totals.conversations,
            contributions,
            resolved=(totals.resolved_base, totals.resolved_head),
        )

    def prompt_change(prompt: str) -> Change:
        entry = samples.prompt_totals(prompt, policy)
        return Change(
            _ratio(Decimal(entry.base_tokens), entry.base_calls),
            _ratio(Decimal(entry.head_tokens), entry.head_calls),
            resampled.interval(figure_of(("prompts", prompt))),
            entry.conversations,
            base_version=_main(entry.base_versions),
            head_version=_main(entry.head_versions),
        )

    summary = scope_change("summary", "")
    scopes = {
        dimension: {
            name: scope_change(dimension, name) for name in samples.group_names(dimension, policy)
        }
        for dimension in DIMENSIONS
    }
    prompts = {prompt: prompt_change(prompt) for prompt in samples.prompt_names(policy)}
    return Comparison(base_label, summary, scopes, prompts)


def _difference(before: Decimal | None, after: Decimal | None) -> Decimal | None:
    return None if before is None or after is None else after - before


def _main(versions: Mapping[str, int]) -> str | None:
    return max(sorted(versions), key=lambda version: versions[version]) if versions else None


# --- creep findings -----------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """How sure a creep over its threshold is, and the words that say why."""

    certain: bool
    words: str


def creep_evidence(change: Change, limit: Decimal, min_conversations: int) -> Evidence:
    """A creep is certain (an error) when its whole 95% interval lies over the threshold,
    or when every conversation changed alike (a degenerate interval), whatever the sample
    size; otherwise, with only the point estimate over, it is a warning. Under
    `min_conversations` no interval is computed at all."""
    ci = change.ci95
    interval = "" if ci is None else f"95% CI {ci[0]:+.1f}% … {ci[1]:+.1f}%"
    if ci is not None and change.degenerate:
        return Evidence(True, f"every conversation changed alike ({interval})")
    if change.conversations < min_conversations:
        return Evidence(
            False,
            f"{change.conversations} conversation{'s' if change.conversations != 1 else ''}, "
            f"under `creep.min_conversations` "
            f"({min_conversations}): no interval, so a warning",
        )
    if ci is None:
        return Evidence(False, "no 95% interval could be computed, so a warning")
    if Decimal(str(ci[0])) > limit:
        return Evidence(True, f"{interval}, entirely over {limit}%")
    return Evidence(False, f"{interval}, not entirely over {limit}%, so a warning")


def _words(change: Change, what: str, unit: str, currency: str | None = None) -> str:
    pct = change.delta_pct
    assert pct is not None  # only changes with a percentage are over a threshold
    assert change.base is not None
    assert change.head is not None
    if currency is None:
        values = f"{change.base:,.1f} → {change.head:,.1f}"
    else:
        values = " → ".join(compared_amounts((change.base, change.head), currency))
    return f"{what} {unit} rose {pct:+.1f}% vs base ({values})"


def _fewer_resolved(change: Change) -> str:
    """What a cost per resolution's rise owes to a resolution rule that counts fewer of
    the same conversations: a reviewer must not read fewer resolutions as more spend."""
    if change.resolved is None or change.resolved[1] >= change.resolved[0]:
        return ""
    base_resolved, head_resolved = change.resolved
    return (
        f". {base_resolved:,} → {head_resolved:,} of its conversations count as resolved "
        "under the changed `resolution` rule: part of the rise is fewer resolutions, not "
        "more spend"
    )


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


def creep_problems(comparison: Comparison, head: Project) -> list[tuple[Problem, bool]]:
    """(problem, is_uncertain) for every figure over its creep threshold, judged by the
    policy that governs its conversations: with several policies, each its own."""
    if comparison.policies:
        found = []
        for name, policy_comparison in sorted(comparison.policies.items()):
            policy = next((policy for policy in head.policies if policy.name == name), None)
            if policy is not None:
                found += _creep_problems(policy_comparison, policy, head, f"policy `{name}`: ")
        return found
    policy = governing_policy(head)
    return [] if policy is None else _creep_problems(comparison, policy, head, "")


def governing_policy(project: Project) -> Policy | None:
    """The policy whose limits judge figures over every conversation: the one without a
    project (or the first, when each policy names its project)."""
    return project.policy_for(None) or (project.policies[0] if project.policies else None)


def _creep_problems(
    comparison: Comparison, policy: Policy, head: Project, prefix: str
) -> list[tuple[Problem, bool]]:
    found: list[tuple[Problem, bool]] = []
    limits = policy.creep

    def judge(
        change: Change,
        limit: Decimal | None,
        setting: str,
        message: str,
        location: Location,
        scope: Scope,
        code: str,
    ) -> None:
        pct = change.delta_pct
        if limit is None or pct is None or pct <= limit:
            return
        evidence = creep_evidence(change, limit, limits.min_conversations)
        text = f"{prefix}{message}, over `creep.{setting}` ({limit}%): {evidence.words}"
        text += _fewer_resolved(change)
        found.append((Problem(text, location, scope, code=code), not evidence.certain))

    for prompt_id, change in sorted(comparison.prompts.items()):
        version = (
            head.prompts[prompt_id].versions.get(change.head_version or "")
            if prompt_id in head.prompts
            else None
        )
        location = (
            Location(version.path, 1) if version else policy.locate("creep", "max_tokens_pct")
        )
        if change.delta_pct is not None and limits.max_tokens_pct is not None:
            judge(
                change,
                limits.max_tokens_pct,
                "max_tokens_pct",
                _words(change, f"prompt `{prompt_id}`", "mean input tokens per call"),
                location,
                Scope(prompt=prompt_id),
                TOKEN_CREEP,
            )
    for dimension, name, change in scoped_figures(comparison.summary, comparison.scopes):
        if change.delta_pct is None or limits.max_cost_pct is None:
            continue
        what, location, scope = scope_place(policy, dimension, name, "max_cost_pct")
        judge(
            change,
            limits.max_cost_pct,
            "max_cost_pct",
            _words(change, what, "cost per resolution", policy.currency),
            location,
            scope,
            COST_CREEP,
        )
    return found
