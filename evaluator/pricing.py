"""Prices: the policy's own, else the bundled genai-prices catalog, at a fixed date.

The catalog is used through one small adapter (`Catalog`): a model's prices are looked
up once, at `pricing.as_of` (or the installed catalog's own date, never "now"), turned
into per-1M-token `Rate`s, and all arithmetic is cprlint's, in Decimal. How a recorded
name was matched (`claude-3-5-sonnet-20241022` -> `claude-3-5-sonnet`) is kept for the
report. A model priced nowhere gets no `PriceCard`: the caller reports it, never a
silent zero. AWS Bedrock model ids (`us.anthropic.claude-3-5-sonnet-20240620-v1:0`,
`amazon.nova-lite-v1:0`), which fixtures imported from Bedrock traffic carry, are
looked up among the catalog's Bedrock prices.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from cprlint import user_cache
from cprlint.model import ModelPrice, Policy, Usage
from cprlint.money import WholeUnits, whole_units

PER_TOKENS = Decimal(1_000_000)

# The pinned catalog's release date: prices are taken at this date unless the policy says
# `pricing.as_of`. For another installed version (the pin overridden), the latest price
# change the catalog records is used instead, which is still fixed by the catalog.
CATALOG_RELEASE_DATES = {"0.2.3": dt.date(2026, 11, 1)}


# A Bedrock model id: an optional cross-region prefix, then the vendor. Such names are
# priced only under the catalog's `aws` provider.
_BEDROCK_MODEL_ID = re.compile(
    r"^(?:(?:us|eu|apac|us-gov|global|jp|au|ca)\.)?"
    r"(?:amazon|anthropic|meta|mistral|cohere|ai21|deepseek|qwen|openai|writer|stability)\."
)
BEDROCK_PROVIDER = "aws"


@dataclass(frozen=True)
class Rate:
    """A price per 1M tokens; tiered rates apply to all tokens of a call above a threshold."""

    base: Decimal
    # (input tokens threshold, price), ascending; the highest threshold reached wins.
    tiers: tuple[tuple[int, Decimal], ...] = ()

    def at(self, input_tokens: int) -> Decimal:
        price = self.base
        for start, tier_price in self.tiers:
            if input_tokens > start:
                price = tier_price
        return price

    def to_json(self) -> Any:
        if not self.tiers:
            return self.base
        return {
            "base": self.base,
            "tiers": [{"above": start, "price": price} for start, price in self.tiers],
        }


@dataclass(frozen=True)
class PriceCard:
    """Everything needed to price one model's calls, and where the prices came from."""

    model: str
    matched: str
    source: str  # "policy" or "catalog"
    provider: str | None
    input: Rate
    cached_input: Rate
    cache_write: Rate
    output: Rate
    # Writes to a cache that lives an hour (Anthropic's 1-hour TTL): dearer than the
    # default five minutes. The 5-minute rate where no 1-hour one is known.
    cache_write_1h: Rate | None = None

    # A flat card's rates per single token (rate / 1M, exact): a million calls are
    # priced with five products each, without a division.
    _per_token: tuple[Decimal, ...] | None = field(init=False, repr=False, compare=False)
    # Those rates as whole units (`money.WholeUnits`): of the first four, for calls
    # without 1-hour cache writes, and of all five. A call is then priced in integers,
    # and the sum made a Decimal once, the very one the products of Decimals add up to.
    _in_units: tuple[WholeUnits, WholeUnits] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.cache_write_1h is None:
            object.__setattr__(self, "cache_write_1h", self.cache_write)
        rates = (self.input, self.cached_input, self.cache_write, self.output, self.one_hour)
        flat = not any(rate.tiers for rate in rates)  # most models: one price, any size
        per_token = tuple(rate.base / PER_TOKENS for rate in rates) if flat else None
        object.__setattr__(self, "_per_token", per_token)
        in_units = None
        if per_token is not None:
            without_1h, with_1h = whole_units(per_token[:4]), whole_units(per_token)
            if without_1h is not None and with_1h is not None:
                in_units = (without_1h, with_1h)
        object.__setattr__(self, "_in_units", in_units)

    @property
    def one_hour(self) -> Rate:
        assert self.cache_write_1h is not None  # (set by __post_init__)
        return self.cache_write_1h

    def cost(self, usage: Usage) -> Decimal:
        """SPEC §3.4: uncached input, cache reads, cache writes and output, per 1M tokens;
        the cache writes of a 1-hour cache at its own rate."""
        tokens = usage.input_tokens
        cached, written = usage.cached_input_tokens, usage.cache_write_tokens
        written_1h = min(usage.cache_write_1h_tokens, written)
        uncached = max(tokens - cached - written, 0)
        in_units = self._in_units
        if in_units is not None:
            # The Decimal sum below, in whole units of its finest rate (`money.WholeUnits`):
            # the 1-hour rate is one of its terms only when there are 1-hour writes.
            rates = in_units[1] if written_1h else in_units[0]
            counts = rates.counts
            units = (
                uncached * counts[0]
                + cached * counts[1]
                + (written - written_1h) * counts[2]
                + usage.output_tokens * counts[3]
            )
            if written_1h:
                units += written_1h * counts[4]
            if units < rates.exact_below:  # (else the Decimal sum rounds: let it)
                return rates.unit * units
        per_token = self._per_token
        if per_token is not None:
            amount = (
                uncached * per_token[0]
                + cached * per_token[1]
                + (written - written_1h) * per_token[2]
                + usage.output_tokens * per_token[3]
            )
            return amount + written_1h * per_token[4] if written_1h else amount
        amount = (
            uncached * self.input.at(tokens)
            + cached * self.cached_input.at(tokens)
            + (written - written_1h) * self.cache_write.at(tokens)
            + written_1h * self.one_hour.at(tokens)
            + usage.output_tokens * self.output.at(tokens)
        )
        return amount / PER_TOKENS

    def to_json(self) -> dict[str, Any]:
        return {
            "matched": self.matched,
            "source": self.source,
            "provider": self.provider,
            "input": self.input.to_json(),
            "cached_input": self.cached_input.to_json(),
            "cache_write": self.cache_write.to_json(),
            "cache_write_1h": self.one_hour.to_json(),
            "output": self.output.to_json(),
        }


def card_from_policy(model: str, price: ModelPrice) -> PriceCard:
    return PriceCard(
        model=model,
        matched=model,
        source="policy",
        provider=None,
        input=Rate(price.input),
        cached_input=Rate(price.cached_input),
        cache_write=Rate(price.cache_write),
        output=Rate(price.output),
        cache_write_1h=Rate(price.cache_write_1h),
    )


def _rate(value: Any) -> Rate | None:
    if value is None:
        return None
    if isinstance(value, Decimal | int):
        return Rate(Decimal(value))
    base = getattr(value, "base", None)  # genai_prices.types.TieredPrices
    if base is None:
        return None
    tiers = tuple(sorted((int(tier.start), Decimal(tier.price)) for tier in value.tiers))
    return Rate(Decimal(base), tiers)


class Catalog:
    """The bundled genai-prices catalog, behind the one interface cprlint uses.

    Loading the catalog takes a good part of a small run's start (genai-prices brings
    pydantic and an HTTP client with it), so what a lookup finds is kept in the user
    cache (`cprlint.user_cache`), keyed by the installed catalog's files and this
    module's code: a run whose models were all looked up before never loads it, and gets
    the very cards it would have built.
    """

    def __init__(self) -> None:
        self._entry = _catalog_key()
        stored = _stored_lookups(self._entry)
        self._snapshot_loaded: Any = None
        if stored is None:
            snapshot = self._snapshot()
            import genai_prices

            version: str = genai_prices.__version__
            date = CATALOG_RELEASE_DATES.get(version) or _latest_price_change(snapshot)
            stored = {"version": version, "date": date.isoformat(), "cards": {}}
        self.version: str = stored["version"]
        self.date: dt.date = dt.date.fromisoformat(stored["date"])
        self._stored = stored
        self._cards: dict[tuple[str, dt.date], PriceCard | None] = {}

    def _snapshot(self) -> Any:
        if self._snapshot_loaded is None:
            from genai_prices import data_snapshot

            self._snapshot_loaded = data_snapshot.get_snapshot()
        return self._snapshot_loaded

    def lookup(self, model: str, as_of: dt.date | None) -> PriceCard | None:
        date = as_of or self.date
        key = (model, date)
        if key not in self._cards:
            stored_key = f"{model}\n{date.isoformat()}"
            cards = self._stored["cards"]
            if stored_key in cards:
                found = cards[stored_key]
                self._cards[key] = None if found is None else _card_from_json(model, found)
            else:
                card = self._find(model, date)
                self._cards[key] = card
                cards[stored_key] = None if card is None else card.to_json()
                self._keep_lookups()
        return self._cards[key]

    def _keep_lookups(self) -> None:
        """The lookups made so far into the user cache, with those another process (a
        worker beside this one) kept there since this one read it: workers forked with
        the same cards find different models, and none overwrites another's."""
        on_disk = _stored_lookups(self._entry)
        if on_disk is not None and on_disk["version"] == self.version:
            for stored_key, card_json in on_disk["cards"].items():
                self._stored["cards"].setdefault(stored_key, card_json)
        user_cache.write("prices", self._entry, _stored_text(self._stored))

    def _find(self, model: str, date: dt.date) -> PriceCard | None:
        snapshot = self._snapshot()
        try:
            provider, info = snapshot.find_provider_model(model, None, None, None)
        except LookupError:
            if not _BEDROCK_MODEL_ID.match(model):
                return None
            try:
                provider, info = snapshot.find_provider_model(model, None, BEDROCK_PROVIDER, None)
            except LookupError:
                return None
        moment = dt.datetime(date.year, date.month, date.day, 12, tzinfo=dt.UTC)
        prices = info.get_prices(moment)
        input_rate = _rate(getattr(prices, "input_mtok", None))
        output_rate = _rate(getattr(prices, "output_mtok", None))
        if input_rate is None or output_rate is None:
            return None  # priced per request or per second only: not a token model
        cache_write = _rate(getattr(prices, "cache_write_mtok", None)) or input_rate
        return PriceCard(
            model=model,
            matched=info.id,
            source="catalog",
            provider=provider.id,
            input=input_rate,
            cached_input=_rate(getattr(prices, "cache_read_mtok", None)) or input_rate,
            cache_write=cache_write,
            output=output_rate,
            cache_write_1h=_rate(getattr(prices, "cache_write_1h_mtok", None)) or cache_write,
        )


def _latest_price_change(snapshot: Any) -> dt.date:
    """For a catalog version without a known release date: its latest price change."""
    latest = dt.date(2000, 1, 1)
    for provider in snapshot.providers:
        for model in provider.models:
            for conditional in model.prices if isinstance(model.prices, list) else []:
                start = getattr(conditional.constraint, "start_date", None)
                if isinstance(start, dt.date) and start > latest:
                    latest = start
    return latest


def _catalog_key() -> str:
    """The user-cache key of the catalog's lookups: its installed files and this code."""
    spec = importlib.util.find_spec("genai_prices")  # (found, not imported)
    folders = list(spec.submodule_search_locations or []) if spec else []
    files = sorted(path for folder in folders for path in Path(folder).glob("*.py"))
    return user_cache.key(user_cache.files_digest([*files, Path(__file__)]))


def _stored_lookups(entry: str) -> dict[str, Any] | None:
    payload = user_cache.read("prices", entry)
    if payload is None:
        return None
    try:
        stored = json.loads(payload)
        dt.date.fromisoformat(stored["date"])
    except (ValueError, KeyError, TypeError):
        return None
    valid = isinstance(stored.get("version"), str) and isinstance(stored.get("cards"), dict)
    return stored if valid else None


def _stored_text(stored: dict[str, Any]) -> bytes:
    return json.dumps(stored, sort_keys=True, default=str).encode("utf-8")


def _rate_from_json(value: Any) -> Rate:
    if not isinstance(value, dict):
        return Rate(Decimal(value))
    tiers = tuple((int(tier["above"]), Decimal(tier["price"])) for tier in value["tiers"])
    return Rate(Decimal(value["base"]), tiers)


def _card_from_json(model: str, data: dict[str, Any]) -> PriceCard:
    """A card as `PriceCard.to_json` wrote it, with its Decimals as the text they were."""
    return PriceCard(
        model=model,
        matched=data["matched"],
        source=data["source"],
        provider=data["provider"],
        input=_rate_from_json(data["input"]),
        cached_input=_rate_from_json(data["cached_input"]),
        cache_write=_rate_from_json(data["cache_write"]),
        output=_rate_from_json(data["output"]),
        cache_write_1h=_rate_from_json(data["cache_write_1h"]),
    )


@cache
def builtin_catalog() -> Catalog:
    return Catalog()


class PriceBook:
    """The prices one policy sees: its `pricing.models` first, then the catalog."""

    def __init__(
        self,
        *,
        policy_models: Mapping[str, ModelPrice],
        as_of: dt.date | None,
        catalog: Catalog | None,
    ) -> None:
        self._policy = {
            name: card_from_policy(name, price) for name, price in policy_models.items()
        }
        self._as_of = as_of
        self._catalog = catalog

    @property
    def as_of(self) -> dt.date | None:
        if self._as_of is not None:
            return self._as_of
        return self._catalog.date if self._catalog else None

    def lookup(self, model: str) -> PriceCard | None:
        card = self._policy.get(model)
        if card is not None:
            return card
        if self._catalog is None:
            return None
        return self._catalog.lookup(model, self._as_of)


def price_book_for(policy: Policy | None, catalog: Catalog | None) -> PriceBook:
    """The prices a conversation governed by `policy` (or by none) is charged at."""
    if policy is None:
        return PriceBook(policy_models={}, as_of=None, catalog=catalog)
    return PriceBook(
        policy_models=policy.pricing.models,
        as_of=policy.pricing.as_of,
        catalog=catalog if policy.pricing.catalog != "none" else None,
    )
