"""The committed baseline: `.cprlint/baseline.json`, and creep measured against it.

A base branch only shows one pull request's change; many pull requests of +4% each add
up unseen. `cprlint baseline` records the figures of a reviewed state (cost per
resolution per scope, mean tokens per prompt) with the prices they were computed at.
`check` then replays the head at those same prices: what moved is usage (tokens,
routing), judged against `creep.max_cumulative_pct`; what the new prices add is
reported apart, as a price change, never as creep.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
from cprlint.aggregates import ScopeTotals, Totals
from cprlint.compare import scope_place, scoped_figures
from cprlint.errors import CprlintError
from cprlint.findings import Location, Problem, Scope
from cprlint.model import Policy
from cprlint.money import compared_amounts
from cprlint.pricing import PriceCard, Rate
from cprlint.writing import write_file

BASELINE_VERSION = 1
CUMULATIVE_CREEP = "CPR703"
PRICE_CHANGE = "CPR704"
SCOPES = ("intents", "queues", "automation")


def baseline_document(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """What a baseline keeps of a check's metrics: figures per scope, prompts, prices."""

    def figures(row: Mapping[str, Any]) -> dict[str, Any]:
        keys = ("conversations", "resolved", "ai_cost", "cost_per_resolution")
        return {key: row[key] for key in keys}

    return {
        "version": BASELINE_VERSION,
        "catalog": {
            key: value
            for key, value in metrics.get("tool", {}).items()
            if key.startswith("catalog")
        },
        "currency": metrics.get("currency", "USD"),
        "summary": figures(metrics["summary"]),
        **{scope: {name: figures(row) for name, row in metrics[scope].items()} for scope in SCOPES},
        "prompts": metrics["prompts"],
        "prices": {
            name: model["price"]
            for name, model in metrics.get("models", {}).items()
            if model.get("price")
        },
    }


def write_baseline(path: Path, metrics: Mapping[str, Any], *, root: Path) -> None:
    text = json.dumps(baseline_document(metrics), indent=2, ensure_ascii=False) + "\n"
    try:
        write_file(path, text.encode("utf-8"), root=root)  # (never through a link)
    except OSError as error:
        raise CprlintError(f"{path}: cannot write the baseline: {error.strerror}") from error


@dataclass(frozen=True)
class Baseline:
    path: str
    data: dict[str, Any]

    @property
    def catalog(self) -> dict[str, Any]:
        catalog = self.data.get("catalog")
        return catalog if isinstance(catalog, dict) else {}

    def price_cards(self) -> dict[str, PriceCard]:
        cards: dict[str, PriceCard] = {}
        for model, card in (self.data.get("prices") or {}).items():
            try:
                cards[model] = PriceCard(
                    model=model,
                    matched=str(card.get("matched", model)),
                    source="baseline",
                    provider=card.get("provider"),
                    input=_rate(card["input"]),
                    cached_input=_rate(card["cached_input"]),
                    cache_write=_rate(card["cache_write"]),
                    output=_rate(card["output"]),
                    # (A baseline written before 1-hour rates were kept has none.)
                    cache_write_1h=_rate(card["cache_write_1h"])
                    if card.get("cache_write_1h") is not None
                    else None,
                )
            except (KeyError, TypeError, ValueError, ArithmeticError) as error:
                raise CprlintError(
                    f"{self.path}: the price of `{model}` cannot be read ({error})"
                ) from error
        return cards

    def cost_per_resolution(self, scope: str, name: str | None = None) -> Decimal | None:
        row = (
            self.data.get("summary")
            if scope == "summary"
            else (self.data.get(scope) or {}).get(name or "")
        )
        if not isinstance(row, dict):
            return None
        # From the sum and the count, which the file keeps exactly, not the rounded ratio.
        cost, resolved = row.get("ai_cost"), row.get("resolved")
        if isinstance(resolved, int) and resolved > 0 and isinstance(cost, int | float):
            return Decimal(str(cost)) / resolved
        value = row.get("cost_per_resolution")
        return None if value is None else Decimal(str(value))


def _rate(value: Any) -> Rate:
    if isinstance(value, dict):
        tiers = tuple(
            (int(tier["above"]), Decimal(str(tier["price"]))) for tier in value.get("tiers", [])
        )
        return Rate(Decimal(str(value["base"])), tiers)
    return Rate(Decimal(str(value)))


# The baseline's shape, checked when it is read: the file is in the tree, so a pull
# request can write anything there, and every figure in it is used as a number.
_Amount = Annotated[float, msgspec.Meta(ge=0, le=1e15)]
_Count = Annotated[int, msgspec.Meta(ge=0, le=10**15)]


class _Figures(msgspec.Struct):
    conversations: _Count
    resolved: _Count
    ai_cost: _Amount
    cost_per_resolution: _Amount | None = None


class _Tier(msgspec.Struct):
    above: _Count
    price: _Amount


class _TieredRate(msgspec.Struct):
    base: _Amount
    tiers: list[_Tier] = []


class _PriceCard(msgspec.Struct):
    input: _Amount | _TieredRate
    cached_input: _Amount | _TieredRate
    cache_write: _Amount | _TieredRate
    output: _Amount | _TieredRate
    cache_write_1h: _Amount | _TieredRate | None = None
    matched: str | None = None
    provider: str | None = None


class _PromptFigures(msgspec.Struct):
    version: str | None = None
    llm_calls: _Count = 0
    mean_input_tokens: _Amount | None = None


class _BaselineFile(msgspec.Struct):
    version: Literal[1]
    summary: _Figures
    intents: dict[str, _Figures] = {}
    queues: dict[str, _Figures] = {}
    automation: dict[str, _Figures] = {}
    prompts: dict[str, _PromptFigures] = {}
    prices: dict[str, _PriceCard] = {}
    catalog: dict[str, str | None] = {}
    currency: str = "USD"


def load_baseline(path: Path, display: str) -> Baseline | None:
    """The baseline at `path`, None when there is none; an unreadable one ends the run."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CprlintError(
            f"{display}: cannot read the baseline ({error}); rewrite it with `cprlint baseline`"
        ) from error
    try:
        msgspec.convert(data, _BaselineFile)
    except msgspec.ValidationError as error:
        raise CprlintError(
            f"{display}: not a cprlint baseline of version {BASELINE_VERSION} ({error}); "
            "rewrite it with `cprlint baseline`"
        ) from error
    return Baseline(display, data)


def _pct(old: Decimal | None, new: Decimal | None) -> Decimal | None:
    if old is None or new is None or old == 0:
        return None
    return (new / old - 1) * 100


def baseline_problems(
    baseline: Baseline,
    *,
    at_baseline_prices: ScopeTotals,
    at_current_prices: ScopeTotals,
    policy: Policy,
) -> list[tuple[Problem, bool]]:
    """(problem, small_sample): cumulative creep per scope, and a price change if any."""
    found: list[tuple[Problem, bool]] = []
    limit = policy.creep.max_cumulative_pct
    currency = policy.currency

    def judge(
        what: str, totals: Totals, old: Decimal | None, location: Location, scope: Scope
    ) -> None:
        change = _pct(old, totals.cost_per_resolution)
        if limit is None or change is None or change <= limit:
            return
        before, after = compared_amounts((old, totals.cost_per_resolution), currency)
        found.append(
            (
                Problem(
                    f"{what} cost per resolution is {change:+.1f}% since the baseline at the "
                    f"baseline's prices ({before} → {after}); over "
                    f"`creep.max_cumulative_pct` ({limit}%)",
                    location,
                    scope,
                    code=CUMULATIVE_CREEP,
                ),
                totals.conversations < policy.creep.min_conversations,
            )
        )

    scopes = {dimension: getattr(at_baseline_prices, dimension) for dimension in SCOPES}
    for dimension, name, totals in scoped_figures(at_baseline_prices.summary, scopes):
        what, location, scope = scope_place(policy, dimension, name, "max_cumulative_pct")
        old = baseline.cost_per_resolution(dimension or "summary", name)
        judge(what, totals, old, location, scope)

    price_effect = _pct(
        at_baseline_prices.summary.cost_per_resolution,
        at_current_prices.summary.cost_per_resolution,
    )
    if price_effect:
        catalog = baseline.catalog
        since = (
            f" (catalog {catalog.get('catalog_version', '?')} of {catalog.get('catalog_date', '?')})"
            if catalog
            else ""
        )
        found.append(
            (
                Problem(
                    f"prices changed since the baseline{since}: they alone move the cost per "
                    f"resolution {price_effect:+.1f}%; this is not token creep. Rewrite the baseline "
                    "with `cprlint baseline` once the new prices are accepted",
                    Location(baseline.path, 1),
                    code=PRICE_CHANGE,
                ),
                False,
            )
        )
    return found
