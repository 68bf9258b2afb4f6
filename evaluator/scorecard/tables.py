"""The small reference tables the scorecard's definition joins to the events.

Everything the definition needs from the policies, and every price, is turned here
into rows, which each engine registers as tables. Prices come from the very code
`check` prices with (`pricing.price_book_for`, the same `PriceCard`s), so there is no
second price list; the engines only multiply and add.

Money in the tables is in integer units of 10^-18 of the currency: a price per 1M
tokens of 0.15 is 150,000,000,000 units per token. Integer units make the sums exact
and identical on every engine (DECIMAL(38, 0) on DuckDB and Spark alike); a price finer
than that is refused rather than rounded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cprlint.errors import CprlintError
from cprlint.model import Policy, Pricing, ResolutionRule
from cprlint.pricing import Catalog, PriceCard, price_book_for

UNITS_PER_CURRENCY = 10**18
UNITS_PER_TOKEN_RATE = 10**12  # a rate per 1M tokens, in units per token
NO_POLICY = ""  # the policy key of conversations no policy governs


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, str], ...]  # (name, DuckDB type)
    rows: list[tuple[Any, ...]]


def units(amount: Decimal, scale: int, what: str) -> int:
    scaled = amount * scale
    if scaled != scaled.to_integral_value():
        raise CprlintError(f"{what}: {amount} has more decimals than the scorecard can sum")
    return int(scaled)


# The longest window a policy's rule holds, in microseconds (a longer one cannot be
# told from it: no two times in a log are further apart).
MAX_WINDOW_US = 2**62


def microseconds(window: dt.timedelta | None) -> int | None:
    """A rule's window in whole microseconds (durations are whole minutes), or None."""
    if window is None:
        return None
    return min(window // dt.timedelta(microseconds=1), MAX_WINDOW_US)


def policy_keys(policies: Sequence[Policy]) -> dict[str, Policy | None]:
    """Each policy under a key of its own (its name; a name used twice gets its path
    too), and NO_POLICY for conversations none governs."""
    keys: dict[str, Policy | None] = {NO_POLICY: None}
    for policy in policies:
        key = policy.name if policy.name not in keys else f"{policy.name} ({policy.path})"
        keys[key] = policy
    return keys


def default_policy_key(keys: Mapping[str, Policy | None]) -> str:
    """The policy of conversations whose project no policy names (SPEC §3.1)."""
    for key, policy in keys.items():
        if policy is not None and policy.project is None:
            return key
    return NO_POLICY


def policy_tables(keys: Mapping[str, Policy | None]) -> list[Table]:
    """Which policy governs which project, and each policy's flat prices and resolution
    rule."""
    projects = Table("policy_of", (("project", "VARCHAR"), ("policy", "VARCHAR")), [])
    settings = Table(
        "policies",
        (
            ("policy", "VARCHAR"),
            ("retrieval_units", "DECIMAL(20,0)"),
            ("tool_default_units", "DECIMAL(20,0)"),
            ("human_units", "DECIMAL(20,0)"),
            # The resolution rule's clauses (resolution.judge_resolution), windows in
            # microseconds; `resolving` holds its statuses and resolvers.
            ("exclude_reopened", "BOOLEAN"),
            ("reopened_within_us", "BIGINT"),
            ("void_agent_message", "BOOLEAN"),
            ("csat_below", "BIGINT"),
            ("void_greeting_only", "BOOLEAN"),
            ("confirmed_only", "BOOLEAN"),
            ("assumed_after_us", "BIGINT"),
        ),
        [],
    )
    tools = Table(
        "tool_prices",
        (("policy", "VARCHAR"), ("tool_name", "VARCHAR"), ("units", "DECIMAL(20,0)")),
        [],
    )
    resolving = Table(
        "resolving",
        (("policy", "VARCHAR"), ("status", "VARCHAR"), ("resolved_by", "VARCHAR")),
        [],
    )
    claimed: set[str] = set()
    for key, policy in keys.items():
        if policy is not None and policy.project is not None and policy.project not in claimed:
            claimed.add(policy.project)  # the first policy naming a project governs it
            projects.rows.append((policy.project, key))
    for key, policy in keys.items():
        name = f"policy {key}" if key else "no policy"
        # No policy: the model's defaults (nothing charged besides calls, `resolved` by
        # anyone resolves), as in `check`.
        pricing = policy.pricing if policy else Pricing()
        rule = policy.resolution if policy else ResolutionRule()
        settings.rows.append(
            (
                key,
                units(pricing.retrieval_per_query, UNITS_PER_CURRENCY, name),
                units(pricing.tool_price("default"), UNITS_PER_CURRENCY, name),
                units(pricing.human_per_minute, UNITS_PER_CURRENCY, name),
                rule.exclude_reopened,
                microseconds(rule.reopened_within),
                rule.void_on_agent_message,
                rule.csat_below,
                rule.void_greeting_only,
                rule.confirmed_only,
                microseconds(rule.assumed_after),
            )
        )
        for tool, price in sorted(pricing.tools.items()):
            if tool != "default":
                tools.rows.append((key, tool, units(price, UNITS_PER_CURRENCY, name)))
        # Each pair once: a policy that lists a status twice must not count a ticket twice
        # through the join.
        statuses = dict.fromkeys(rule.statuses)
        resolvers: dict[str | None, None] = dict.fromkeys(rule.resolved_by)
        if rule.counts_unattributed:
            # An outcome that does not say who resolved it may count (the `unattributed`
            # clause): null stands for "not said" in the join.
            resolvers[None] = None
        for status in statuses:
            for resolver in resolvers:
                resolving.rows.append((key, status, resolver))
    return [projects, settings, tools, resolving]


def monthly_overhead_units(keys: Mapping[str, Policy | None]) -> dict[str, int]:
    """Each policy's fixed monthly overhead (`pricing.overhead`, all its items), in units;
    none for conversations no policy governs."""
    return {
        key: units(policy.monthly_overhead, UNITS_PER_CURRENCY, key)
        for key, policy in keys.items()
        if policy is not None
    }


def price_bands(card: PriceCard) -> list[tuple[int, int | None, tuple[Decimal, ...]]]:
    """The card cut into bands of input tokens within which every price is constant:
    (above, up to, (input, cached input, cache write, output) per 1M tokens). A rate's
    tiers apply to a call whose input tokens exceed the tier's threshold, so the band
    (above, up_to] prices like `rate.at(above + 1)`."""
    thresholds = sorted(
        {
            start
            for rate in (card.input, card.cached_input, card.cache_write, card.output)
            for start, _ in rate.tiers
        }
    )
    lows = [-1, *thresholds]
    highs: list[int | None] = [*thresholds, None]
    rates = (card.input, card.cached_input, card.cache_write, card.output)
    return [
        (low, high, tuple(rate.at(low + 1) for rate in rates))
        for low, high in zip(lows, highs, strict=True)
    ]


def price_table(
    models_by_policy: Iterable[tuple[str, str]],
    policies: Mapping[str, Policy | None],
    catalog: Catalog | None,
) -> tuple[Table, dict[tuple[str, str], PriceCard | None]]:
    """The per-token price of every (policy, model) the log uses, banded by input tokens.

    A model priced nowhere gets no row: its calls cost nothing in the sums and are
    reported as unpriced, never a silent zero."""
    table = Table(
        "prices",
        (
            ("policy", "VARCHAR"),
            ("model", "VARCHAR"),
            ("tier", "VARCHAR"),
            ("above_tokens", "BIGINT"),
            ("up_to_tokens", "BIGINT"),
            ("input_units", "DECIMAL(20,0)"),
            ("cached_input_units", "DECIMAL(20,0)"),
            ("cache_write_units", "DECIMAL(20,0)"),
            ("output_units", "DECIMAL(20,0)"),
        ),
        [],
    )
    cards: dict[tuple[str, str], PriceCard | None] = {}
    books = {key: price_book_for(policy, catalog) for key, policy in policies.items()}
    for key, model in sorted(set(models_by_policy)):
        policy = policies.get(key)
        card = books[key].lookup(model) if key in books else None
        cards[(key, model)] = card
        if card is None:
            continue
        tier = (policy.tier_of_model(model) if policy else None) or ""
        for low, high, prices in price_bands(card):
            table.rows.append(
                (
                    key,
                    model,
                    tier,
                    low,
                    high,
                    *(units(price, UNITS_PER_TOKEN_RATE, f"price of {model}") for price in prices),
                )
            )
    return table, cards
