"""Mergeable totals over replayed conversations (SPEC §3.6).

Every aggregate is a sum: totals of shards add up to the totals of the whole, so the same
code serves one process, a process pool or a cluster engine. Rates and cost per
resolution are derived only when read.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cprlint.money import json_number
from cprlint.replay import ConversationResult


@dataclass
class Totals:
    conversations: int = 0
    resolved: int = 0
    escalated: int = 0
    llm_calls: int = 0
    retries: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    ai_cost: Decimal = Decimal(0)
    human_cost: Decimal = Decimal(0)
    # The policy's fixed monthly overhead, a share per ticket (`pricing.overhead`).
    overhead_cost: Decimal = Decimal(0)
    # Resolved under the rule of the vendor the policy compares with (`compare_with`).
    compared_resolved: int = 0

    def add(self, result: ConversationResult) -> None:
        self.conversations += 1
        self.resolved += result.resolved
        self.escalated += result.escalated
        self.llm_calls += len(result.calls)
        self.retries += result.retries
        self.input_tokens += result.input_tokens
        self.output_tokens += result.output_tokens
        self.ai_cost += result.ai_cost
        self.human_cost += result.human_cost
        self.overhead_cost += result.overhead_cost
        self.compared_resolved += result.compared_resolved

    def merge(self, other: Totals) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def resolution_rate(self) -> Decimal:
        return Decimal(self.resolved) / self.conversations if self.conversations else Decimal(0)

    @property
    def escalation_rate(self) -> Decimal:
        return Decimal(self.escalated) / self.conversations if self.conversations else Decimal(0)

    @property
    def cost_per_resolution(self) -> Decimal | None:
        """AI cost of all conversations over the resolved ones; None with none resolved."""
        return self.ai_cost / self.resolved if self.resolved else None

    @property
    def fully_loaded_cost_per_resolution(self) -> Decimal | None:
        """AI, human and overhead cost over the resolved conversations."""
        if not self.resolved:
            return None
        return (self.ai_cost + self.human_cost + self.overhead_cost) / self.resolved

    def cost_per_resolution_for(self, *, fully_loaded: bool) -> Decimal | None:
        return self.fully_loaded_cost_per_resolution if fully_loaded else self.cost_per_resolution

    def to_json(self) -> dict[str, Any]:
        cpr, loaded = self.cost_per_resolution, self.fully_loaded_cost_per_resolution
        return {
            "conversations": self.conversations,
            "resolved": self.resolved,
            "escalated": self.escalated,
            "resolution_rate": json_number(self.resolution_rate),
            "escalation_rate": json_number(self.escalation_rate),
            "llm_calls": self.llm_calls,
            "retries": self.retries,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "ai_cost": json_number(self.ai_cost),
            "human_cost": json_number(self.human_cost),
            "overhead_cost": json_number(self.overhead_cost),
            "cost_per_resolution": None if cpr is None else json_number(cpr),
            "fully_loaded_cost_per_resolution": None if loaded is None else json_number(loaded),
        }


@dataclass
class PromptTotals:
    llm_calls: int = 0
    input_tokens: int = 0
    versions: Counter[str] = field(default_factory=Counter)

    def merge(self, other: PromptTotals) -> None:
        self.llm_calls += other.llm_calls
        self.input_tokens += other.input_tokens
        self.versions.update(other.versions)

    @property
    def mean_input_tokens(self) -> Decimal:
        return Decimal(self.input_tokens) / self.llm_calls if self.llm_calls else Decimal(0)


@dataclass
class ModelTotals:
    calls: int = 0
    rerouted_calls: int = 0
    estimated_calls: int = 0
    cost: Decimal = Decimal(0)

    def merge(self, other: ModelTotals) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _merge_maps(mine: dict[Any, Any], theirs: dict[Any, Any], factory: type) -> None:
    for key, value in theirs.items():
        if key not in mine:
            mine[key] = factory()
        mine[key].merge(value)


# One cell of a population: (intent, queue, automation mode, project or "(none)").
Cell = tuple[str, str, str, str]


@dataclass
class _Rollup:
    summary: Totals
    intents: dict[str, Totals]
    queues: dict[str, Totals]
    automation: dict[str, Totals]
    projects: dict[str, Totals]


@dataclass
class ScopeTotals:
    """Totals of one population (everything, or one policy's), split by each dimension.

    Kept as one `Totals` per cell (intent, queue, automation mode, project): a
    conversation adds to a single cell, and the totals by dimension are sums of cells,
    made when first read. A few hundred cells, whatever the number of conversations.
    """

    cells: dict[Cell, Totals] = field(default_factory=lambda: defaultdict(Totals))
    _rollup: _Rollup | None = field(default=None, repr=False, compare=False)

    def add(self, result: ConversationResult) -> None:
        cell = (result.intent, result.queue, result.automation, result.project or "(none)")
        self.cells[cell].add(result)
        self._rollup = None

    def merge(self, other: ScopeTotals) -> None:
        _merge_maps(self.cells, other.cells, Totals)
        self._rollup = None

    @property
    def summary(self) -> Totals:
        return self._rolled_up().summary

    @property
    def intents(self) -> dict[str, Totals]:
        return self._rolled_up().intents

    @property
    def queues(self) -> dict[str, Totals]:
        return self._rolled_up().queues

    @property
    def automation(self) -> dict[str, Totals]:
        return self._rolled_up().automation

    @property
    def projects(self) -> dict[str, Totals]:
        return self._rolled_up().projects

    def _rolled_up(self) -> _Rollup:
        if self._rollup is None:
            rollup = _Rollup(
                Totals(),
                defaultdict(Totals),
                defaultdict(Totals),
                defaultdict(Totals),
                defaultdict(Totals),
            )
            for (intent, queue, automation, project), totals in sorted(self.cells.items()):
                rollup.summary.merge(totals)
                rollup.intents[intent].merge(totals)
                rollup.queues[queue].merge(totals)
                rollup.automation[automation].merge(totals)
                rollup.projects[project].merge(totals)
            self._rollup = rollup
        return self._rollup


@dataclass
class Aggregates:
    # Policy name ("" for conversations no policy governs) -> that policy's population;
    # budgets and quality limits are judged per policy, and everything is their sum.
    by_policy: dict[str, ScopeTotals] = field(default_factory=lambda: defaultdict(ScopeTotals))
    prompts: dict[str, PromptTotals] = field(default_factory=lambda: defaultdict(PromptTotals))
    models: dict[str, ModelTotals] = field(default_factory=lambda: defaultdict(ModelTotals))
    _overall: ScopeTotals | None = field(default=None, repr=False, compare=False)

    @property
    def overall(self) -> ScopeTotals:
        """Every conversation: the policies' populations merged, when first read (a
        conversation is added to its policy's cells only, not twice)."""
        if self._overall is None:
            overall = ScopeTotals()
            for name in sorted(self.by_policy):
                overall.merge(self.by_policy[name])
            self._overall = overall
        return self._overall

    def add(self, result: ConversationResult) -> None:
        self.by_policy[result.policy or ""].add(result)
        self._overall = None
        models, prompts = self.models, self.prompts
        for call in result.calls:
            model = models[call.model]
            model.calls += 1
            model.cost += call.cost
            # (Tested first: adding a False is an update of a field for nothing.)
            if call.rerouted:
                model.rerouted_calls += 1
            if call.estimated_tokens:
                model.estimated_calls += 1
            if call.prompt is not None:
                prompt = prompts[call.prompt]
                prompt.llm_calls += 1
                prompt.input_tokens += call.usage.input_tokens
                prompt.versions[call.version or "?"] += 1

    def merge(self, other: Aggregates) -> None:
        _merge_maps(self.by_policy, other.by_policy, ScopeTotals)
        _merge_maps(self.prompts, other.prompts, PromptTotals)
        _merge_maps(self.models, other.models, ModelTotals)
        self._overall = None
