"""The scorecard: one row per group and period, with its budget and quality limits.

Rows hold the exact sums the engine returned (counts, and money as Decimal); every
rate and ratio is derived here, in one place, so that every output format shows the
same numbers. The change against the previous period (week over week, by default)
is worked out when the rows are put together. Rows add up (`combined`): the total of a
period over all groups, and a chart's "other" line, are sums of rows, and their ratios
are ratios of those sums (the cost per resolution of two groups is their spend over
their resolutions, never the mean of their two costs per resolution).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import Enum
from functools import cached_property
from typing import Any

from cprlint.model import Budget
from cprlint.money import json_number


def _ratio(numerator: Decimal | int, denominator: int) -> Decimal | None:
    return Decimal(numerator) / denominator if denominator else None


def _change(now: Decimal | None, before: Decimal | None) -> Decimal | None:
    """Relative change, now vs before (0.25 is +25%); None when either is unknown or
    before is zero."""
    if now is None or before is None or before == 0:
        return None
    return (now - before) / before


def _points(now: Decimal | None, before: Decimal | None) -> Decimal | None:
    """Change of a rate in points, now minus before; None when either is unknown."""
    return None if now is None or before is None else now - before


class Breach(Enum):
    BUDGET = "budget"
    NO_RESOLUTION = "no_resolution"  # a budget, but nothing resolved to divide by
    RESOLUTION_RATE = "resolution_rate"
    ESCALATION_RATE = "escalation_rate"


@dataclass(frozen=True)
class Limits:
    """What one group is held to, from the policy that governs all of its tickets."""

    policy: str | None = None
    budget: Budget | None = None
    min_resolution_rate: Decimal | None = None
    max_escalation_rate: Decimal | None = None


@dataclass(frozen=True)
class Row:
    group: str
    period: dt.date
    tickets: int
    resolved: int
    escalated: int
    auto_resolved: int
    retries: int
    llm_calls: int
    ai_cost: Decimal
    human_cost: Decimal
    # LLM spend per model tier ("" for models in no tier), in the policy's tier order.
    tier_spend: tuple[tuple[str, Decimal], ...]
    # The tickets' share of their policies' fixed monthly overhead (`pricing.overhead`,
    # spread over each calendar month's tickets in the logs): fully loaded only.
    overhead: Decimal = Decimal(0)
    # Tickets judged without a time a clause of the resolution rule needed (CPR410).
    untimed: int = 0
    limits: Limits = field(default_factory=Limits)
    previous: Row | None = None  # the same group's row for the period before, if any

    @property
    def cost_per_ticket(self) -> Decimal | None:
        return _ratio(self.ai_cost, self.tickets)

    @property
    def cost_per_resolution(self) -> Decimal | None:
        return _ratio(self.ai_cost, self.resolved)

    @property
    def fully_loaded_cost_per_resolution(self) -> Decimal | None:
        """AI cost, human cost and overhead over the resolutions (as `check`'s)."""
        return _ratio(self.ai_cost + self.human_cost + self.overhead, self.resolved)

    @property
    def resolution_rate(self) -> Decimal | None:
        return _ratio(self.resolved, self.tickets)

    @property
    def auto_resolution_rate(self) -> Decimal | None:
        """Tickets resolved by the AI alone (`resolved_by: ai`, automation `full`)."""
        return _ratio(self.auto_resolved, self.tickets)

    @property
    def escalation_rate(self) -> Decimal | None:
        return _ratio(self.escalated, self.tickets)

    @property
    def retries_per_ticket(self) -> Decimal | None:
        return _ratio(self.retries, self.tickets)

    @property
    def tier_shares(self) -> tuple[tuple[str, Decimal], ...]:
        """Each tier's part of the LLM spend (tool calls and retrievals are in no tier)."""
        llm_spend = sum((amount for _, amount in self.tier_spend), Decimal(0))
        if not llm_spend:
            return ()
        return tuple((tier, amount / llm_spend) for tier, amount in self.tier_spend if amount)

    @property
    def budgeted_cost(self) -> Decimal | None:
        """The cost per resolution the budget is about (fully loaded if it says so)."""
        budget = self.limits.budget
        if budget is not None and budget.fully_loaded:
            return self.fully_loaded_cost_per_resolution
        return self.cost_per_resolution

    @property
    def breached(self) -> tuple[Breach, ...]:
        """The limits this row breaks; budgets are inclusive (SPEC §2.1)."""
        found = []
        budget = self.limits.budget
        if budget is not None:
            cost = self.budgeted_cost
            if cost is None:
                found.append(Breach.NO_RESOLUTION)
            elif cost > budget.cost_per_resolution:
                found.append(Breach.BUDGET)
        floor = self.limits.min_resolution_rate
        rate = self.resolution_rate
        if floor is not None and rate is not None and rate < floor:
            found.append(Breach.RESOLUTION_RATE)
        ceiling = self.limits.max_escalation_rate
        rate = self.escalation_rate
        if ceiling is not None and rate is not None and rate > ceiling:
            found.append(Breach.ESCALATION_RATE)
        return tuple(found)

    @property
    def breaches(self) -> tuple[str, ...]:
        """The breaches in words."""
        fully_loaded = self.limits.budget is not None and self.limits.budget.fully_loaded
        cost = "fully loaded cost per resolution" if fully_loaded else "cost per resolution"
        words = {
            Breach.BUDGET: f"{cost} over budget",
            Breach.NO_RESOLUTION: f"no resolved ticket, so no {cost} to hold to the budget",
            Breach.RESOLUTION_RATE: "resolution rate under the minimum",
            Breach.ESCALATION_RATE: "escalation rate over the maximum",
        }
        return tuple(words[breach] for breach in self.breached)

    # --- against the period before -------------------------------------------------

    @property
    def cost_per_resolution_change(self) -> Decimal | None:
        before = self.previous.cost_per_resolution if self.previous else None
        return _change(self.cost_per_resolution, before)

    @property
    def cost_per_ticket_change(self) -> Decimal | None:
        before = self.previous.cost_per_ticket if self.previous else None
        return _change(self.cost_per_ticket, before)

    @property
    def auto_resolution_rate_change(self) -> Decimal | None:
        """In points (0.05 is five points up), not relative."""
        before = self.previous.auto_resolution_rate if self.previous else None
        return _points(self.auto_resolution_rate, before)

    @property
    def escalation_rate_change(self) -> Decimal | None:
        """In points, as the auto-resolution rate's."""
        before = self.previous.escalation_rate if self.previous else None
        return _points(self.escalation_rate, before)


def combined(rows: Sequence[Row], *, group: str, period: dt.date) -> Row:
    """`rows` added up into one row of `group` and `period`: counts and money summed,
    LLM spend summed tier by tier; held to no limits (no one budget speaks for a sum of
    groups), with no previous row."""
    tier_spend: dict[str, Decimal] = {}
    for row in rows:
        for tier, amount in row.tier_spend:
            tier_spend[tier] = tier_spend.get(tier, Decimal(0)) + amount
    return Row(
        group=group,
        period=period,
        tickets=sum(row.tickets for row in rows),
        resolved=sum(row.resolved for row in rows),
        escalated=sum(row.escalated for row in rows),
        auto_resolved=sum(row.auto_resolved for row in rows),
        retries=sum(row.retries for row in rows),
        llm_calls=sum(row.llm_calls for row in rows),
        ai_cost=sum((row.ai_cost for row in rows), Decimal(0)),
        human_cost=sum((row.human_cost for row in rows), Decimal(0)),
        tier_spend=tuple(tier_spend.items()),
        overhead=sum((row.overhead for row in rows), Decimal(0)),
        untimed=sum(row.untimed for row in rows),
    )


@dataclass(frozen=True)
class Unpriced:
    policy: str
    model: str
    calls: int


@dataclass(frozen=True)
class MalformedLine:
    """A line of a JSON Lines log that was left out: where it is and what is wrong."""

    path: str
    line: int
    column: int | None
    message: str

    def __str__(self) -> str:
        column = f":{self.column}" if self.column is not None else ""
        return f"{self.path}:{self.line}{column}: {self.message}"


# How many malformed lines a scorecard names; the rest are counted.
MAX_NAMED_MALFORMED = 20


@dataclass(frozen=True)
class Malformed:
    """The malformed lines of a run's logs: how many, and the first MAX_NAMED_MALFORMED."""

    count: int = 0
    first: tuple[MalformedLine, ...] = ()


@dataclass(frozen=True)
class Scorecard:
    dimension: str
    period: str
    since: dt.date | None
    until: dt.date | None
    engine: str
    currency: str
    logs: tuple[str, ...]
    rows: tuple[Row, ...]
    tiers: tuple[str, ...]
    undated_tickets: int = 0
    unpriced: tuple[Unpriced, ...] = ()
    prices_as_of: str | None = None
    catalog_version: str | None = None
    # Lines of the JSON Lines logs left out as malformed: how many, and the first few.
    malformed: Malformed = Malformed()

    @cached_property
    def by_group(self) -> dict[str, tuple[Row, ...]]:
        """Each group's rows, in order; the groups in the order they first come."""
        rows: dict[str, list[Row]] = {}
        for row in self.rows:
            rows.setdefault(row.group, []).append(row)
        return {group: tuple(found) for group, found in rows.items()}

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(self.by_group)

    @property
    def periods(self) -> tuple[dt.date, ...]:
        return tuple(sorted({row.period for row in self.rows}))

    @property
    def breaches(self) -> int:
        return sum(1 for row in self.rows if row.breaches)

    @property
    def untimed_tickets(self) -> int:
        """Tickets (in a period) judged without a time the resolution rule needed."""
        return sum(row.untimed for row in self.rows)

    @property
    def overhead(self) -> Decimal:
        return sum((row.overhead for row in self.rows), Decimal(0))

    @cached_property
    def totals(self) -> tuple[Row, ...]:
        """One row per period: every group's tickets and spend added up (group "")."""
        by_period: dict[dt.date, list[Row]] = {}
        for row in self.rows:
            by_period.setdefault(row.period, []).append(row)
        sums = [
            combined(by_period[period], group="", period=period) for period in sorted(by_period)
        ]
        return tuple(link_previous(sums, self.period))

    def days(self, period: dt.date) -> tuple[dt.date, dt.date]:
        """The first and last day of `period` whose tickets are counted: the whole period,
        unless --since or --until cut it."""
        first, last = period, last_day(period, self.period)
        if self.since is not None and self.since > first:
            first = self.since
        if self.until is not None and self.until < last:
            last = self.until
        return first, last

    def is_whole(self, period: dt.date) -> bool:
        return self.days(period) == (period, last_day(period, self.period))

    @property
    def span(self) -> tuple[dt.date, dt.date] | None:
        """The first and last day the scorecard counts tickets of (None without rows)."""
        periods = self.periods
        if not periods:
            return None
        return self.days(periods[0])[0], self.days(periods[-1])[1]

    def to_json(self) -> dict[str, Any]:
        span = self.span
        return {
            "scorecard": {
                "by": self.dimension,
                "period": self.period,
                "since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None,
                "first_day": span[0].isoformat() if span else None,
                "last_day": span[1].isoformat() if span else None,
                "engine": self.engine,
                "currency": self.currency,
                "prices_as_of": self.prices_as_of,
                "catalog_version": self.catalog_version,
                "logs": list(self.logs),
            },
            "rows": [row_json(row, self) for row in self.rows],
            "totals": [_figures_json(row, self) for row in self.totals],
            "undated_tickets": self.undated_tickets,
            "untimed_tickets": self.untimed_tickets,
            "unpriced": [
                {"policy": item.policy or None, "model": item.model, "calls": item.calls}
                for item in self.unpriced
            ],
            "malformed_lines": {
                "count": self.malformed.count,
                "first": [
                    {
                        "path": item.path,
                        "line": item.line,
                        "column": item.column,
                        "message": item.message,
                    }
                    for item in self.malformed.first
                ],
            },
        }


def _number(value: Decimal | None) -> float | int | None:
    return None if value is None else json_number(value)


def _figures_json(row: Row, card: Scorecard) -> dict[str, Any]:
    """What a group's row and a total row (a period's total over all groups) both say:
    its period, sums and ratios."""
    first, last = card.days(row.period)
    return {
        "period": row.period.isoformat(),
        "first_day": first.isoformat(),
        "last_day": last.isoformat(),
        "tickets": row.tickets,
        "resolved": row.resolved,
        "untimed": row.untimed,
        "escalated": row.escalated,
        "auto_resolved": row.auto_resolved,
        "retries": row.retries,
        "llm_calls": row.llm_calls,
        "ai_cost": json_number(row.ai_cost),
        "human_cost": json_number(row.human_cost),
        "overhead": json_number(row.overhead),
        "cost_per_ticket": _number(row.cost_per_ticket),
        "cost_per_resolution": _number(row.cost_per_resolution),
        "fully_loaded_cost_per_resolution": _number(row.fully_loaded_cost_per_resolution),
        "resolution_rate": _number(row.resolution_rate),
        "auto_resolution_rate": _number(row.auto_resolution_rate),
        "escalation_rate": _number(row.escalation_rate),
        "retries_per_ticket": _number(row.retries_per_ticket),
        "spend_share_by_tier": {tier or "untiered": json_number(s) for tier, s in row.tier_shares},
        "change": {
            "cost_per_resolution": _number(row.cost_per_resolution_change),
            "cost_per_ticket": _number(row.cost_per_ticket_change),
            "auto_resolution_rate": _number(row.auto_resolution_rate_change),
            "escalation_rate": _number(row.escalation_rate_change),
        },
    }


def row_json(row: Row, card: Scorecard) -> dict[str, Any]:
    budget = row.limits.budget
    return {
        "group": row.group,
        **_figures_json(row, card),
        "policy": row.limits.policy,
        "budget": None
        if budget is None
        else {
            "cost_per_resolution": json_number(budget.cost_per_resolution),
            "fully_loaded": budget.fully_loaded,
        },
        "min_resolution_rate": _number(row.limits.min_resolution_rate),
        "max_escalation_rate": _number(row.limits.max_escalation_rate),
        "breaches": list(row.breaches),
    }


def next_period(period: dt.date, unit: str) -> dt.date:
    if unit == "day":
        return period + dt.timedelta(days=1)
    if unit == "week":
        return period + dt.timedelta(days=7)
    if period.month == 12:
        return period.replace(year=period.year + 1, month=1)
    return period.replace(month=period.month + 1)


def last_day(period: dt.date, unit: str) -> dt.date:
    """The last day of the period that starts on `period`."""
    return next_period(period, unit) - dt.timedelta(days=1)


def previous_period(period: dt.date, unit: str) -> dt.date:
    if unit == "day":
        return period - dt.timedelta(days=1)
    if unit == "week":
        return period - dt.timedelta(days=7)
    if period.month == 1:
        return period.replace(year=period.year - 1, month=12)
    return period.replace(month=period.month - 1)


def link_previous(rows: Sequence[Row], unit: str) -> list[Row]:
    """The rows, each knowing the same group's row of the period before."""
    by_key: Mapping[tuple[str, dt.date], Row] = {(row.group, row.period): row for row in rows}
    linked = []
    for row in rows:
        before = by_key.get((row.group, previous_period(row.period, unit)))
        linked.append(replace(row, previous=before))
    return linked
