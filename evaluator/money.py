"""Showing money: exact Decimals inside, rounded only here, at the edge.

JSON numbers carry 9 decimals. A lone amount in text shows 4 significant digits under a
cent and cents above (SPEC §1). Amounts that a reader compares (a cost and its budget,
base and head, the rows of a column) share one format, with enough decimals that two
that differ never print alike (`AmountFormat`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal, getcontext

NINE_PLACES = Decimal("0.000000001")
CENT = Decimal("0.01")
DOLLAR = Decimal(1)
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def round_half_even(value: Decimal, quantum: Decimal) -> Decimal:
    """`value` rounded half-even to the places of `quantum`, at any magnitude.

    Inputs are bounded where they are read (`model.MAX_AMOUNT`), but a sum of many can
    still outgrow Decimal's default 28 digits, at which `quantize` raises instead of
    rounding.
    """
    digits = value.adjusted() - quantum.adjusted() + 1  # (a quantum is a power of ten)
    context = Context(prec=digits) if digits > 28 else None
    return value.quantize(quantum, rounding=ROUND_HALF_EVEN, context=context)


@dataclass(frozen=True)
class WholeUnits:
    """Amounts as whole numbers of one unit: amount `i` is `counts[i] * unit`, the unit the
    power of ten of the finest amount's exponent.

    A sum of products `n * amount` (each `n` a whole number, none negative) is then a
    whole number of units, and `unit * units` the very Decimal that Decimal arithmetic
    makes of the same sum: value, exponent and sign. When nothing rounds, a product's
    exponent is the sum of its factors' (an int's is 0) and a sum's the least of its
    terms', so the sum's exponent is the unit's and its coefficient the count of units;
    with no term negative, its sign is `+`, zero included. Nothing rounds when that count
    has fewer digits than the context's precision: no term and no partial sum has more
    units than the whole, nor an exponent finer than the unit.
    """

    unit: Decimal
    counts: tuple[int, ...]
    # Sums of fewer units than this are exact in the Decimal context (its precision):
    # `unit * units` is then the sum.
    exact_below: int


# Amounts this fine are left to Decimal arithmetic: near the context's least exponent
# (Emin), results are subnormal and may round differently.
_FINEST_EXPONENT = -100


def whole_units(amounts: Iterable[Decimal]) -> WholeUnits | None:
    """`amounts` as whole numbers of the unit of the finest of them; None when one is
    negative (-0 too), not finite, or finer than `_FINEST_EXPONENT`."""
    parts = [amount.as_tuple() for amount in amounts]
    if not parts or any(sign or not isinstance(exponent, int) for sign, _, exponent in parts):
        return None
    finest = min(exponent for _, _, exponent in parts if isinstance(exponent, int))
    if finest < _FINEST_EXPONENT:
        return None
    counts = tuple(
        int("".join(map(str, digits)) or "0") * 10 ** (exponent - finest)
        for _, digits, exponent in parts
        if isinstance(exponent, int)
    )
    unit = Decimal((0, (1,), finest))
    return WholeUnits(unit, counts, exact_below=10 ** getcontext().prec)


def billionths(amount: Decimal) -> int:
    """`amount` in whole billionths (the 9 decimals JSON carries), rounded half-even."""
    return int(amount.scaleb(9).to_integral_value(rounding=ROUND_HALF_EVEN))


def json_number(amount: Decimal) -> float | int:
    """A money amount or rate for JSON: rounded half-even to 9 decimals, shortest form."""
    rounded = round_half_even(amount, NINE_PLACES)
    if rounded == rounded.to_integral_value():
        return int(rounded)
    # float() of a 9-place Decimal prints back as those same digits (repr is shortest).
    return float(rounded)


def format_amount(
    amount: Decimal | None, currency: str = "USD", *, precise_below: Decimal = CENT
) -> str:
    """`$0.003457` under a cent (4 significant digits), `$1,234.57` from a cent up.

    `precise_below` moves that line: comparisons of amounts of a few cents read better
    with 4 significant digits up to a dollar.
    """
    if amount is None:
        return "n/a"
    symbol = _SYMBOLS.get(currency)
    sign = "-" if amount < 0 else ""
    magnitude = abs(amount)
    if magnitude == 0:
        digits = "0.00"
    elif magnitude < precise_below and Decimal(_significant(magnitude, 4)) < precise_below:
        digits = _significant(magnitude, 4)
    else:
        digits = f"{round_half_even(magnitude, CENT):,}"
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{digits} {currency}"


def format_cost(amount: Decimal | float | int | None, currency: str = "USD") -> str:
    """A cost per resolution (or its budget, or a change in it): 4 significant digits up
    to a dollar, so that amounts of a few cents compare. JSON numbers are read exactly as
    written."""
    if amount is not None and not isinstance(amount, Decimal):
        amount = Decimal(str(amount))
    return format_amount(amount, currency, precise_below=DOLLAR)


# The most decimals shown: those JSON carries. Amounts alike to 9 places print alike.
MAX_DECIMALS = 9


@dataclass(frozen=True)
class AmountFormat:
    """One format for amounts read side by side: the same number of decimals for all."""

    decimals: int
    currency: str = "USD"

    def __call__(self, amount: Decimal | float | int | None) -> str:
        if amount is None:
            return "n/a"
        if not isinstance(amount, Decimal):
            amount = Decimal(str(amount))  # (a JSON number, read exactly as written)
        symbol = _SYMBOLS.get(self.currency)
        sign = "-" if amount < 0 else ""
        digits = f"{round_half_even(abs(amount), Decimal(1).scaleb(-self.decimals)):,f}"
        return f"{sign}{symbol}{digits}" if symbol else f"{sign}{digits} {self.currency}"


def amount_format(
    amounts: Iterable[Decimal | float | int | None],
    currency: str = "USD",
    *,
    significant: int = 3,
    distinct: Iterable[tuple[Decimal | float | int | None, Decimal | float | int | None]] = (),
) -> AmountFormat:
    """The format of a column of `amounts`: cents, or enough decimals to give the smallest
    amount under a dollar `significant` digits, and more still until every pair of
    `distinct` that differs prints differently (up to 9 decimals)."""
    values = [_decimal(amount) for amount in amounts]
    smallest = min((abs(value) for value in values if value), default=None)
    decimals = 2
    if smallest is not None and smallest < 1:
        decimals = max(2, significant - 1 - smallest.adjusted())
    decimals = min(decimals, MAX_DECIMALS)
    pairs = [(_decimal(a), _decimal(b)) for a, b in distinct]
    pairs = [(a, b) for a, b in pairs if a is not None and b is not None and a != b]
    while decimals < MAX_DECIMALS and any(
        AmountFormat(decimals, currency)(a) == AmountFormat(decimals, currency)(b) for a, b in pairs
    ):
        decimals += 1
    return AmountFormat(decimals, currency)


def compared_amounts(
    amounts: Sequence[Decimal | float | int | None], currency: str = "USD"
) -> list[str]:
    """Amounts a sentence compares ("$0.02134 is over the budget of $0.02000", "base →
    head"): one format, 4 significant digits for the smallest, never two alike that
    differ."""
    shown = amount_format(
        amounts,
        currency,
        significant=4,
        distinct=[(a, b) for index, a in enumerate(amounts) for b in amounts[index + 1 :]],
    )
    return [shown(amount) for amount in amounts]


def _decimal(amount: Decimal | float | int | None) -> Decimal | None:
    if amount is None or isinstance(amount, Decimal):
        return amount
    return Decimal(str(amount))


def _significant(value: Decimal, digits: int) -> str:
    exponent = value.adjusted()  # position of the first significant digit
    quantum = Decimal(1).scaleb(exponent - digits + 1)
    return f"{round_half_even(value, quantum):f}"


def format_rate(rate: Decimal | None) -> str:
    if rate is None:
        return "n/a"
    return f"{round_half_even(rate * 100, Decimal('0.1'))}%"
