"""Putting a scorecard together: reference tables in, the definition run, rows out.

    logs + policies -> engine: events, reference tables -> models used -> prices
    -> the scorecard query -> rows merged per group and period -> limits, previous

The engine does the heavy part (every event); what happens here is on a few hundred
rows at most.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from cprlint.model import Policy
from cprlint.pricing import Catalog
from cprlint.scorecard.card import (
    Limits,
    Row,
    Scorecard,
    Unpriced,
    combined,
    link_previous,
)
from cprlint.scorecard.definition import SCORECARD_COLUMNS, models_sql, scorecard_sql
from cprlint.scorecard.engines import Engine
from cprlint.scorecard.sources import LogFiles
from cprlint.scorecard.tables import (
    UNITS_PER_CURRENCY,
    default_policy_key,
    monthly_overhead_units,
    policy_keys,
    policy_tables,
    price_table,
)

# Steps of a run, for a progress display: (step, fraction done of that step).
StepProgress = Callable[[str, float], None]


def build_scorecard(
    logs: LogFiles,
    policies: Sequence[Policy],
    engine: Engine,
    *,
    engine_name: str,
    dimension: str = "project",
    period: str = "week",
    since: dt.date | None = None,
    until: dt.date | None = None,
    catalog: Catalog | None = None,
    progress: StepProgress | None = None,
    strict: bool = False,
) -> Scorecard:
    """The scorecard of `logs` under `policies`, computed on `engine`. A malformed line
    of a JSON Lines log is left out, counted and located (`strict`: stops the run)."""
    keys = policy_keys(policies)
    default = default_policy_key(keys)
    for table in policy_tables(keys):
        engine.register(table)

    def step(name: str) -> Callable[[float], None] | None:
        return None if progress is None else (lambda done: progress(name, done))

    malformed = engine.load(logs, step("reading logs"), strict=strict)
    used = engine.rows(models_sql(engine.dialect, default_policy=default))
    prices, cards = price_table(((p or "", m or "") for p, m, _ in used), keys, catalog)
    engine.register(prices)
    tiers = _tier_order(keys, {row[2] for row in prices.rows})
    raw_rows = engine.rows(
        scorecard_sql(
            engine.dialect,
            dimension=dimension,
            period=period,
            default_policy=default,
            tiers=tiers,
            since=since,
            until=until,
        ),
        step("computing the scorecard"),
    )
    rows, undated = _merge(raw_rows, tiers, monthly_overhead_units(keys))
    limited = [_with_limits(row, policies_of, keys, dimension) for row, policies_of in rows]
    calls = {(p or "", m or ""): n for p, m, n in used}
    return Scorecard(
        dimension=dimension,
        period=period,
        since=since,
        until=until,
        engine=engine_name,
        currency=next((p.currency for p in policies), "USD"),
        logs=tuple(str(path) for path in logs.all),
        rows=tuple(link_previous(limited, period)),
        tiers=tuple(tiers),
        undated_tickets=undated,
        unpriced=tuple(
            Unpriced(policy, model, int(calls[(policy, model)]))
            for (policy, model), card in sorted(cards.items())
            if card is None
        ),
        prices_as_of=_prices_as_of(policies, catalog),
        catalog_version=catalog.version if catalog else None,
        malformed=malformed,
    )


def _prices_as_of(policies: Sequence[Policy], catalog: Catalog | None) -> str | None:
    """The date(s) catalog prices were taken at: each policy's `pricing.as_of`, else the
    catalog's own date."""
    fallback = catalog.date if catalog else None
    dates = {policy.pricing.as_of or fallback for policy in policies} or {fallback}
    known = sorted(date.isoformat() for date in dates if date is not None)
    return ", ".join(known) or None


def _tier_order(keys: Mapping[str, Policy | None], used: set[str]) -> list[str]:
    """The tiers the priced models fall in, cheapest first as the policies list them;
    "" (a model in no tier) last."""
    order: dict[str, None] = {}
    for policy in keys.values():
        for tier in policy.tiers if policy else ():
            if tier in used:
                order.setdefault(tier)
    if "" in used:
        order.setdefault("")
    return list(order)


def _money(units: Any) -> Decimal:
    return (Decimal(units) if units is not None else Decimal(0)) / UNITS_PER_CURRENCY


def _overhead(monthly_units: int, tickets: int, month_tickets: int | None) -> Decimal:
    """The part of a month's overhead (`monthly_units`) that `tickets` of the month's
    `month_tickets` in the logs carry: an equal share each. Worked out here, from the
    engine's counts, in one exact division (integers until then), so that every engine
    gives the same amount."""
    if not monthly_units or not month_tickets:
        return Decimal(0)
    return Decimal(monthly_units * tickets) / (month_tickets * UNITS_PER_CURRENCY)


def _merge(
    raw_rows: Sequence[tuple[Any, ...]],
    tiers: Sequence[str],
    overhead_units: Mapping[str, int],
) -> tuple[list[tuple[Row, set[str]]], int]:
    """One row per (group, period) from the engine's rows per (group, period, policy,
    calendar month), with the policies each covers; and the number of tickets without a
    date. A row carries its tickets' share of their policy's overhead, month by month."""
    width = len(SCORECARD_COLUMNS)
    merged: dict[tuple[str, dt.date], Row] = {}
    policies: dict[tuple[str, dt.date], set[str]] = defaultdict(set)
    undated = 0
    for raw in raw_rows:
        values = dict(zip(SCORECARD_COLUMNS, raw[:width], strict=True))
        if values["period"] is None:
            undated += int(values["tickets"])
            continue
        period = values["period"]
        if isinstance(period, dt.datetime):
            period = period.date()
        policy = str(values["policy"])
        tickets = int(values["tickets"])
        month_tickets = values["month_tickets"]
        row = Row(
            group=str(values["grp"]),
            period=period,
            tickets=tickets,
            resolved=int(values["resolved"] or 0),
            escalated=int(values["escalated"] or 0),
            auto_resolved=int(values["auto_resolved"] or 0),
            retries=int(values["retries"] or 0),
            llm_calls=int(values["llm_calls"] or 0),
            ai_cost=_money(values["ai_units"]),
            human_cost=_money(values["human_units"]),
            tier_spend=tuple(
                (tier, _money(units)) for tier, units in zip(tiers, raw[width:], strict=True)
            ),
            overhead=_overhead(
                overhead_units.get(policy, 0),
                tickets,
                None if month_tickets is None else int(month_tickets),
            ),
            untimed=int(values["untimed"] or 0),
        )
        key = (row.group, row.period)
        if key in merged:
            row = combined((merged[key], row), group=row.group, period=row.period)
        merged[key] = row
        policies[key].add(policy)
    return [(merged[key], policies[key]) for key in sorted(merged)], undated


def _with_limits(
    row: Row, policies_of: set[str], keys: Mapping[str, Policy | None], dimension: str
) -> Row:
    """The row held to its policy's budget and quality limits. A group whose tickets
    fall under several policies is held to none: no one budget speaks for all of it."""
    if len(policies_of) != 1:
        return row
    (key,) = policies_of
    policy = keys.get(key)
    if policy is None:
        return row
    limits = Limits(
        policy=key,
        budget=policy.budget_of(dimension, row.group),
        min_resolution_rate=policy.quality.min_resolution_rate,
        max_escalation_rate=policy.quality.max_escalation_rate,
    )
    return replace(row, limits=limits)
