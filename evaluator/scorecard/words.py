"""The scorecard's words, shared by every format for people: counts whose nouns and
verbs agree with them ("1 call has", "2 calls have"), the names of groups and periods,
and the days a period covers when --since or --until cut it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cprlint.money import AmountFormat, amount_format
from cprlint.scorecard.card import Scorecard

# A group of each dimension, in the singular and the plural.
_DIMENSION_NOUNS = {
    "project": ("project", "projects"),
    "queue": ("queue", "queues"),
    "intent": ("intent", "intents"),
    "automation": ("automation mode", "automation modes"),
}
_PERIOD_ADJECTIVES = {"day": "daily", "week": "weekly", "month": "monthly"}
# What a period's column or axis is headed; a week is named by its Monday.
_PERIOD_TITLES = {"day": "day", "week": "week of", "month": "month"}


def agreeing(count: int, singular: str, plural: str) -> str:
    """`singular` for a count of one, else `plural`: a noun or a verb that agrees."""
    return singular if count == 1 else plural


def counted(count: int, noun: str, nouns: str | None = None) -> str:
    """`count` and its noun in agreement, thousands separated: `1 call`, `1,234 calls`
    (`nouns`: the plural, when it is not the noun and an s)."""
    return f"{count:,} {agreeing(count, noun, nouns or noun + 's')}"


def group_noun(dimension: str, count: int = 1) -> str:
    """What a group of `dimension` is called: `intent`, `automation modes`..."""
    singular, plural = _DIMENSION_NOUNS[dimension]
    return agreeing(count, singular, plural)


def groups_counted(dimension: str, count: int) -> str:
    """`1 queue`, `12 automation modes`."""
    return f"{count:,} {group_noun(dimension, count)}"


def period_adjective(unit: str) -> str:
    return _PERIOD_ADJECTIVES[unit]


def period_title(unit: str) -> str:
    return _PERIOD_TITLES[unit]


def period_label(card: Scorecard, period: dt.date) -> str:
    """A period as a reader reads it: `2026-11` for a whole month, `2026-11-02` for a
    whole week (its Monday) or a day; a period cut by --since or --until by the days it
    covers, `2026-10-15 to 2026-10-31`, never as if it were whole."""
    if not card.is_whole(period):
        first, last = card.days(period)
        return f"{first.isoformat()} to {last.isoformat()}"
    return period.strftime("%Y-%m") if card.period == "month" else period.isoformat()


def span_text(card: Scorecard) -> str | None:
    """The days the scorecard counts tickets of, first to last: `2026-10-15 to
    2026-11-30` (None without a row)."""
    span = card.span
    if span is None:
        return None
    first, last = span
    return first.isoformat() if first == last else f"{first.isoformat()} to {last.isoformat()}"


def untimed_note(count: int) -> str:
    """Tickets judged without a time their policy's resolution rule needs (as `check`'s
    CPR410 warns)."""
    return (
        f"{counted(count, 'ticket')} {agreeing(count, 'lacks', 'lack')} the times "
        "the resolution rule needs (`at` on the messages, `outcome.reopened_at`) for "
        f"`assumed_after` or `reopened_within`: {agreeing(count, 'it was', 'they were')} "
        "judged by the rest of the rule, never guessed."
    )


OVERHEAD_NOTE = (
    "Overhead: each policy's `pricing.overhead`, a month's spread evenly over that "
    "calendar month's tickets in the logs; in the fully loaded CPR only."
)


@dataclass(frozen=True)
class SpendFormats:
    """How the amounts spent are shown: one format per column (AI spend, human cost,
    overhead) for the rows and the totals alike, so that a column reads alike: cents, or
    as many decimals as give its smallest amount under a dollar three significant
    digits."""

    ai: AmountFormat
    human: AmountFormat
    overhead: AmountFormat


def spend_formats(card: Scorecard) -> SpendFormats:
    rows = (*card.rows, *card.totals)
    return SpendFormats(
        ai=amount_format([row.ai_cost for row in rows], card.currency),
        human=amount_format([row.human_cost for row in rows], card.currency),
        overhead=amount_format([row.overhead for row in rows], card.currency),
    )
