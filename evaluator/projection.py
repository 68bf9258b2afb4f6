"""The monthly projection of a policy's `traffic`, like a usage file beside a price list.

A replay gives, per intent, the mean AI cost of a conversation and the share of them
resolved; the policy's `traffic` says how many tickets come a month and what share of
them each intent is. So, over the intents of the mix:

    projected spend       = Σ monthly tickets * share * mean AI cost per conversation
    projected resolutions = Σ monthly tickets * share * resolution rate
    weighted CPR          = projected spend / projected resolutions

(Not Σ share * CPR: that weighs each intent's cost per resolution by its tickets instead
of its resolutions, and is undefined as soon as one intent resolves nothing.) Without a
mix, every replayed conversation stands for the month's tickets. The mix may name
`default`: the conversations of intents the policy does not list (and the mix does not
name), which its `default` intent governs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cprlint.aggregates import ScopeTotals
from cprlint.model import DEFAULT_INTENT, Policy
from cprlint.money import json_number


@dataclass(frozen=True)
class Figures:
    """What the projection needs of a group of replayed conversations."""

    conversations: int = 0
    resolved: int = 0
    ai_cost: Decimal = Decimal(0)

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            self.conversations + other.conversations,
            self.resolved + other.resolved,
            self.ai_cost + other.ai_cost,
        )


@dataclass(frozen=True)
class Projection:
    monthly_tickets: int | None
    # The share of the mix whose intents have conversations to project from (1 without a
    # mix); the figures below cover that share only.
    mix_covered: Decimal
    cost_per_ticket: Decimal
    resolutions_per_ticket: Decimal
    intents_without_data: tuple[str, ...]

    @property
    def monthly_ai_cost(self) -> Decimal | None:
        return None if self.monthly_tickets is None else self.monthly_tickets * self.cost_per_ticket

    @property
    def monthly_resolutions(self) -> Decimal | None:
        if self.monthly_tickets is None:
            return None
        return self.monthly_tickets * self.resolutions_per_ticket

    @property
    def weighted_cost_per_resolution(self) -> Decimal | None:
        """Projected spend over projected resolutions: None when nothing resolves."""
        if not self.resolutions_per_ticket:
            return None
        return self.cost_per_ticket / self.resolutions_per_ticket

    def to_json(self) -> dict[str, Any]:
        def number(value: Decimal | None) -> float | int | None:
            return None if value is None else json_number(value)

        return {
            "monthly_tickets": self.monthly_tickets,
            "mix_covered": json_number(self.mix_covered),
            "cost_per_ticket": json_number(self.cost_per_ticket),
            "resolutions_per_ticket": json_number(self.resolutions_per_ticket),
            "projected_monthly_ai_cost": number(self.monthly_ai_cost),
            "projected_monthly_resolutions": number(self.monthly_resolutions),
            "weighted_cost_per_resolution": number(self.weighted_cost_per_resolution),
            "intents_without_data": list(self.intents_without_data),
        }


def figures_by_intent(totals: ScopeTotals) -> dict[str, Figures]:
    """The figures of a policy's replayed conversations, by intent."""
    return {
        name: Figures(intent.conversations, intent.resolved, intent.ai_cost)
        for name, intent in totals.intents.items()
    }


def project_traffic(policy: Policy, intents: Mapping[str, Figures]) -> Projection | None:
    """The policy's traffic applied to the figures of its conversations, by intent;
    None when the policy declares no traffic."""
    traffic = policy.traffic
    if not traffic.mix and traffic.monthly_tickets is None:
        return None
    mix = traffic.mix or {"": Decimal(1)}  # ("": everyone)
    cost_per_ticket = resolutions_per_ticket = covered = Decimal(0)
    without_data = []
    for intent, share in sorted(mix.items()):
        figures = _figures_of(intent, policy, intents, mix)
        if not figures.conversations:
            without_data.append(intent)
            continue
        cost_per_ticket += share * figures.ai_cost / figures.conversations
        resolutions_per_ticket += share * Decimal(figures.resolved) / figures.conversations
        covered += share
    return Projection(
        monthly_tickets=traffic.monthly_tickets,
        mix_covered=covered,
        cost_per_ticket=cost_per_ticket,
        resolutions_per_ticket=resolutions_per_ticket,
        intents_without_data=tuple(without_data),
    )


def _figures_of(
    mix_intent: str, policy: Policy, intents: Mapping[str, Figures], mix: Mapping[str, Decimal]
) -> Figures:
    if mix_intent == "":
        return sum(intents.values(), Figures())
    if mix_intent != DEFAULT_INTENT:
        return intents.get(mix_intent, Figures())
    return sum(
        (
            figures
            for intent, figures in sorted(intents.items())
            if intent == DEFAULT_INTENT or (intent not in policy.intents and intent not in mix)
        ),
        Figures(),
    )


@dataclass(frozen=True)
class MonthlySpend:
    """The projected monthly AI spend of the same conversations, base and head."""

    base: Decimal | None
    head: Decimal
    base_tickets: int | None
    head_tickets: int | None

    def __add__(self, other: MonthlySpend) -> MonthlySpend:
        def either(mine: Any, theirs: Any) -> Any:
            return None if mine is None or theirs is None else mine + theirs

        return MonthlySpend(
            either(self.base, other.base),
            self.head + other.head,
            either(self.base_tickets, other.base_tickets),
            either(self.head_tickets, other.head_tickets),
        )

    def to_json(self) -> dict[str, Any]:
        delta = None if self.base is None else self.head - self.base
        pct = None if not self.base else (self.head / self.base - 1) * 100
        return {
            "base": None if self.base is None else json_number(self.base),
            "head": json_number(self.head),
            "delta": None if delta is None else json_number(delta),
            "delta_pct": None if pct is None else json_number(pct),
            "base_monthly_tickets": self.base_tickets,
            "head_monthly_tickets": self.head_tickets,
        }


def monthly_spend(base: Projection | None, head: Projection | None) -> MonthlySpend | None:
    """Base → head, when the head projects a monthly spend at all."""
    if head is None or head.monthly_ai_cost is None:
        return None
    return MonthlySpend(
        base=None if base is None else base.monthly_ai_cost,
        head=head.monthly_ai_cost,
        base_tickets=None if base is None else base.monthly_tickets,
        head_tickets=head.monthly_tickets,
    )
