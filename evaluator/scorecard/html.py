"""The scorecard as one self-contained HTML page: two charts drawn as SVG, then the tables.

Nothing is fetched and nothing runs: the CSS is inline, the charts are SVG written here
by hand, there is no script, so the page reads the same offline, as a CI artifact or a
mail attachment. The page is a pure function of the scorecard (no timestamps, no
generated ids): the same scorecard gives the same bytes. Every text that comes from the
logs or the policies (group names, log paths, models, tiers) is escaped, its control and
bidirectional formatting characters shown as `\\x1b` and `\\u202e`.

Charts: cost per resolution per period on a linear axis from zero (a logarithmic one
only when asked, `--log-scale`), one line per group, with the group's budget as a
dashed line in the same colour, labelled at its right end (a fully loaded budget is
drawn against the fully loaded cost per resolution, and says so); and the
auto-resolution rate per period, on 0-100%. At most MAX_SERIES lines: beyond that, the
groups with the fewest tickets are summed into one "other" line, whose cost per
resolution is their spend over their resolutions. A period in which a line resolved
nothing has no cost per resolution: the line breaks.

Tables: the total of each period over all groups, then every group and period.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from html import escape as escape_html

from cprlint.model import Budget
from cprlint.money import (
    CENT,
    AmountFormat,
    format_amount,
    format_cost,
    format_rate,
    round_half_even,
)
from cprlint.reporters.base import shown
from cprlint.scorecard.card import (
    Breach,
    Row,
    Scorecard,
    combined,
    previous_period,
)
from cprlint.scorecard.words import (
    OVERHEAD_NOTE,
    SpendFormats,
    agreeing,
    counted,
    group_noun,
    groups_counted,
    period_label,
    period_title,
    span_text,
    spend_formats,
    untimed_note,
)


def escape(text: str) -> str:
    """Text for the page, in an element or a quoted attribute: its control and
    bidirectional formatting characters shown escaped (a U+202E in a group's name would
    reverse the rest of its cell), then `&`, `<`, `>` and quotes as entities."""
    return escape_html(shown(text))


def breakable(name: str) -> str:
    """A name from the logs for the page, escaped, which a narrow column wraps only at
    a space, after an underscore or after a hyphen, never inside a word: `<wbr>` marks
    the places a browser would not break by itself (`billing_disputes`)."""
    return escape(name).replace("_", "_<wbr>").replace("-", "-<wbr>")


# A date (2026-10-15) or a month (2026-10) in a period's label.
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}(?:-[0-9]{2})?")


def period_cell(card: Scorecard, period: dt.date) -> str:
    """A period's label for a table cell: a cut period's (`2026-10-15 to 2026-10-31`)
    may wrap at its spaces, never inside a date."""
    label = escape(period_label(card, period))
    return _DATE.sub(lambda date: f'<span class="date">{date.group()}</span>', label)


# Lines per chart: more than this many colours stop being told apart; the table has all.
MAX_SERIES = 8
# Okabe-Ito's colour-blind-safe set, with its yellow (unreadable on white) swapped for
# brown; the "other" line is grey.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#8c6d31", "#000000")
OTHER_COLOUR = "#8c959f"

# The charts' geometry, in SVG user units (the page scales the SVG down when narrow).
WIDTH, HEIGHT = 1200, 300
PLOT_LEFT, PLOT_RIGHT = 96, 984  # room on the left for money labels, on the right for
BUDGET_LABEL_X = PLOT_RIGHT + 8  # the budgets' labels, which start here
BUDGET_LABEL_CHARACTERS = 26  # and hold this many characters (12px text, 1200 wide)
BUDGET_LABEL_GAP = 14  # labels closer than this (vertically) are moved apart
PLOT_TOP, PLOT_BOTTOM = 16, 256  # room below for dates and the axis title
PLOT_INSET = 24  # the first and last period sit this far inside the plot's edges
LABEL_SPACING = 84  # the least room a date label needs along the x axis
CHARACTER_WIDTH = 7  # about the width of a character of a date label
POINT_RADIUS = 3.5


def render_html(card: Scorecard, *, log_scale: bool = False) -> str:
    """The scorecard as a complete HTML document; `log_scale` puts the cost chart on a
    logarithmic axis."""
    title = (
        f"cprlint scorecard: cost per resolution by {group_noun(card.dimension)}, per {card.period}"
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{_css()}</style>",
        "</head>",
        "<body>",
        f"<h1>{escape(title)}</h1>",
        *_summary(card),
    ]
    if card.rows:
        lines = chart_lines(card)
        parts += _cost_figure(card, lines, log_scale=log_scale)
        parts += _auto_resolution_figure(card, lines)
        parts += _totals_table(card)
        parts += _table(card, lines)
    else:
        parts.append('<p class="empty">No ticket in the logs for this scorecard.</p>')
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


# --- what is charted ------------------------------------------------------------------


@dataclass(frozen=True)
class ChartLine:
    """One line of a chart: a group, or the groups beyond the first MAX_SERIES - 1 summed
    period by period (`members` lists the groups a line stands for)."""

    name: str
    rows: dict[dt.date, Row]
    colour: str  # its CSS class: c0..c7, or "other"
    members: tuple[str, ...]
    budget: Budget | None = None

    @property
    def other(self) -> bool:
        return self.colour == "other"

    @property
    def tickets(self) -> int:
        return sum(row.tickets for row in self.rows.values())


def chart_lines(card: Scorecard) -> list[ChartLine]:
    """The lines the charts draw, most tickets first (ties by name, so that the choice
    and the colours are stable): every group when there are at most MAX_SERIES; else the
    MAX_SERIES - 1 with the most tickets, and one "other" line that sums the rest."""
    by_group = card.by_group
    tickets = {group: sum(row.tickets for row in rows) for group, rows in by_group.items()}
    ranked = sorted(tickets, key=lambda group: (-tickets[group], group))
    shown_alone = ranked if len(ranked) <= MAX_SERIES else ranked[: MAX_SERIES - 1]
    lines = [
        ChartLine(
            name=group,
            rows={row.period: row for row in by_group[group]},
            colour=f"c{index}",
            members=(group,),
            budget=group_budget(by_group[group]),
        )
        for index, group in enumerate(shown_alone)
    ]
    rest = set(ranked[len(shown_alone) :])
    if rest:
        folded: dict[dt.date, list[Row]] = {}
        for row in card.rows:
            if row.group in rest:
                folded.setdefault(row.period, []).append(row)
        name = f"{len(rest):,} other {group_noun(card.dimension, len(rest))}"
        rows = {period: combined(folded[period], group=name, period=period) for period in folded}
        lines.append(ChartLine(name, rows, "other", tuple(sorted(rest))))
    return lines


def group_budget(rows: Sequence[Row]) -> Budget | None:
    """The budget a group is held to: its latest period's (a group's rows share one
    policy, so they agree)."""
    for row in sorted(rows, key=lambda row: row.period, reverse=True):
        if row.limits.budget is not None:
            return row.limits.budget
    return None


# --- scales ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Axis:
    """A value axis from `low` (the plot's bottom) to `high` (its top)."""

    low: Decimal
    high: Decimal
    ticks: tuple[Decimal, ...]
    log: bool = False

    def y(self, value: Decimal) -> float:
        if self.log:
            done = (value.log10() - self.low.log10()) / (self.high.log10() - self.low.log10())
        else:
            done = (value - self.low) / (self.high - self.low)
        return PLOT_BOTTOM - float(done) * (PLOT_BOTTOM - PLOT_TOP)


def nice_step(raw: Decimal) -> Decimal:
    """The smallest of 1, 2 or 5 times a power of ten that is at least `raw` (> 0)."""
    power = Decimal(1).scaleb(raw.adjusted())
    for multiple in (1, 2, 5):
        if power * multiple >= raw:
            return power * multiple
    return power * 10


def value_axis(values: Sequence[Decimal], *, log: bool = False) -> Axis:
    """An axis that holds every value: linear, from zero up to a round top in about five
    steps; with `log`, logarithmic (1-2-5 ticks per decade), when every value is above
    zero (a zero has no place on it)."""
    highest = max(values, default=Decimal(0))
    lowest = min(values, default=Decimal(0))
    if log and lowest > 0:
        return _log_axis(lowest, highest)
    if highest <= 0:
        return Axis(Decimal(0), Decimal(1), (Decimal(0), Decimal(1)))
    step = nice_step(highest / 5)
    steps = int((highest / step).to_integral_value(rounding=ROUND_CEILING))
    return Axis(Decimal(0), step * steps, tuple(step * n for n in range(steps + 1)))


def _log_axis(lowest: Decimal, highest: Decimal) -> Axis:
    """Whole decades from the one below `lowest` to the one at or above `highest`."""
    bottom = lowest.adjusted()  # floor(log10)
    top = highest.adjusted()
    if highest != Decimal(1).scaleb(top) or top == bottom:
        top += 1
    multiples = (1, 2, 5) if top - bottom <= 3 else (1,)
    ticks = tuple(
        Decimal(multiple).scaleb(exponent)
        for exponent in range(bottom, top + 1)
        for multiple in multiples
        if Decimal(multiple).scaleb(exponent) <= Decimal(1).scaleb(top)
    )
    return Axis(Decimal(1).scaleb(bottom), Decimal(1).scaleb(top), ticks, log=True)


def tick_format(axis: Axis, currency: str) -> AmountFormat:
    """One format for an axis's money ticks, with the decimals its finest tick needs and
    no more: $0.000, $0.005, $0.010 (at least cents)."""
    exponents = [tick.normalize().as_tuple().exponent for tick in axis.ticks if tick]
    decimals = max([2, *(-exponent for exponent in exponents if isinstance(exponent, int))])
    return AmountFormat(decimals, currency)


RATE_AXIS = Axis(Decimal(0), Decimal(1), tuple(Decimal(n) / 5 for n in range(6)))


def _breaks(periods: Sequence[dt.date], unit: str) -> set[dt.date]:
    """The periods that do not follow the one before: some period between them had no
    ticket at all, so no line should run across it."""
    return {
        period
        for before, period in itertools.pairwise(periods)
        if previous_period(period, unit) != before
    }


def period_x(periods: Sequence[dt.date]) -> dict[dt.date, float]:
    """Each period's x, in proportion to its date (a missing period leaves room)."""
    if len(periods) == 1:
        return {periods[0]: (PLOT_LEFT + PLOT_RIGHT) / 2}
    first, last = periods[0], periods[-1]
    span = (last - first).days
    left, width = PLOT_LEFT + PLOT_INSET, PLOT_RIGHT - PLOT_LEFT - 2 * PLOT_INSET
    return {period: left + (period - first).days / span * width for period in periods}


def _num(value: float) -> str:
    return f"{value:.2f}"


def spread(wanted: Sequence[float], *, gap: float, low: float, high: float) -> list[float]:
    """Positions as near `wanted` (each label's own line) as they can be while at least
    `gap` apart and within low..high; in the order given."""
    order = sorted(range(len(wanted)), key=lambda index: wanted[index])
    placed = [wanted[index] for index in order]
    for index in range(len(placed)):
        floor = low if index == 0 else placed[index - 1] + gap
        placed[index] = max(placed[index], floor)
    for index in reversed(range(len(placed))):
        ceiling = high if index == len(placed) - 1 else placed[index + 1] - gap
        placed[index] = min(placed[index], ceiling)
    found = [0.0] * len(wanted)
    for position, index in enumerate(order):
        found[index] = placed[position]
    return found


# --- charts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    line: ChartLine
    points: tuple[tuple[float, float | None, str], ...]  # x, y (None: a gap), hover text

    @property
    def drawn(self) -> bool:
        return any(y is not None for _, y, _ in self.points)


def line_series(
    card: Scorecard,
    line: ChartLine,
    *,
    axis: Axis,
    value: Callable[[Row], Decimal | None],
    text: Callable[[Row, Decimal], str],
) -> Series:
    """A line's points, one per period of the scorecard; a period without a value (no
    row, or nothing to divide by), or after periods with no ticket at all, breaks it."""
    breaks = _breaks(card.periods, card.period)
    points: list[tuple[float, float | None, str]] = []
    for period, x in period_x(card.periods).items():
        if period in breaks:
            points.append((x, None, ""))
        row = line.rows.get(period)
        amount = value(row) if row else None
        if row is None or amount is None:
            points.append((x, None, ""))
        else:
            where = f"{line.name}, {period_label(card, period)}: "
            points.append((x, axis.y(amount), where + text(row, amount)))
    return Series(line, tuple(points))


def _series_svg(series: Series) -> list[str]:
    segments: list[list[tuple[float, float]]] = [[]]
    for x, y, _ in series.points:
        if y is None:
            segments.append([])
        else:
            segments[-1].append((x, y))
    path = " ".join(
        "M" + " L".join(f"{_num(x)},{_num(y)}" for x, y in segment)
        for segment in segments
        if len(segment) > 1
    )
    line = series.line
    out = [f'<g class="series {line.colour}" data-group="{escape(line.name)}">']
    if path:
        out.append(f'<path d="{path}"/>')
    for x, y, text in series.points:
        if y is not None:
            out.append(
                f'<circle cx="{_num(x)}" cy="{_num(y)}" r="{POINT_RADIUS}">'
                f"<title>{escape(text)}</title></circle>"
            )
    out.append("</g>")
    return out


def _axes_svg(
    card: Scorecard, axis: Axis, x_of: dict[dt.date, float], tick_label: Callable[[Decimal], str]
) -> list[str]:
    out = ['<g class="axes">']
    for tick in axis.ticks:
        y = _num(axis.y(tick))
        out.append(f'<line class="grid" x1="{PLOT_LEFT}" x2="{PLOT_RIGHT}" y1="{y}" y2="{y}"/>')
        out.append(
            f'<text class="tick y" x="{PLOT_LEFT - 8}" y="{y}" dy="0.32em">'
            f"{escape(tick_label(tick))}</text>"
        )
    out.append(
        f'<line class="axis" x1="{PLOT_LEFT}" x2="{PLOT_RIGHT}" '
        f'y1="{PLOT_BOTTOM}" y2="{PLOT_BOTTOM}"/>'
    )
    out.append(
        f'<line class="axis" x1="{PLOT_LEFT}" x2="{PLOT_LEFT}" y1="{PLOT_TOP}" y2="{PLOT_BOTTOM}"/>'
    )
    periods = list(x_of)
    labels = {period: period_label(card, period) for period in periods}
    # Thin the labels so that they never overlap (a period cut by --since or --until is
    # labelled by its days, wider); the latest period is always labelled.
    spacing = max(LABEL_SPACING, CHARACTER_WIDTH * max(len(text) for text in labels.values()))
    room = max(1, (PLOT_RIGHT - PLOT_LEFT) // spacing)
    every = max(1, -(-len(periods) // room))
    for index, period in enumerate(periods):
        x = _num(x_of[period])
        out.append(
            f'<line class="axis" x1="{x}" x2="{x}" y1="{PLOT_BOTTOM}" y2="{PLOT_BOTTOM + 5}"/>'
        )
        if (len(periods) - 1 - index) % every == 0:
            out.append(
                f'<text class="tick x" x="{x}" y="{PLOT_BOTTOM + 18}">'
                f"{escape(labels[period])}</text>"
            )
    out.append(
        f'<text class="axis-title" x="{(PLOT_LEFT + PLOT_RIGHT) / 2}" y="{HEIGHT - 6}">'
        f"{escape(period_title(card.period))}</text>"
    )
    out.append("</g>")
    return out


def _svg(chart_id: str, label: str, body: list[str]) -> list[str]:
    # In a scrolling box: on a narrow screen the chart keeps legible text and scrolls.
    return [
        '<div class="chart-wrap">',
        f'<svg class="chart" id="{chart_id}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="{escape(label)}">',
        *body,
        "</svg>",
        "</div>",
    ]


def _legend(lines: Sequence[ChartLine], describe: Callable[[ChartLine], str]) -> str:
    items = []
    for line in lines:
        items.append(
            f'<li class="{line.colour}"><span class="swatch"></span>'
            f'<span class="name">{breakable(line.name)}</span> '
            f'<span class="detail">{escape(counted(line.tickets, "ticket"))}'
            f"{escape(describe(line))}</span></li>"
        )
    return f'<ul class="legend">{"".join(items)}</ul>'


def _other_note(card: Scorecard, lines: Sequence[ChartLine]) -> list[str]:
    """Which groups the "other" line sums, and how."""
    other = [line for line in lines if line.other]
    if not other:
        return []
    (line,) = other
    names = ", ".join(breakable(name) for name in line.members)
    return [
        f'<p class="note">{escape(line.name.capitalize())}, with the fewest tickets, are '
        f"summed into one grey line (its cost per resolution is their spend over their "
        f"resolutions): {names}. The tables below list every "
        f"{escape(group_noun(card.dimension))}.</p>"
    ]


def _short(name: str, room: int) -> str:
    """`name` shown escaped, cut to `room` characters with an ellipsis, for a label."""
    text = shown(name)
    return text if len(text) <= room else text[: max(1, room - 1)] + "\u2026"


def _budget_lines(card: Scorecard, lines: Sequence[ChartLine], axis: Axis) -> list[str]:
    """Each line's budget, dashed across the plot, and labelled at its right end with
    the group and the amount; labels that would overlap are moved apart, a short stroke
    joining each to its line."""
    budgeted = [line for line in lines if line.budget is not None]
    ys = [axis.y(line.budget.cost_per_resolution) for line in budgeted if line.budget]
    label_ys = spread(ys, gap=BUDGET_LABEL_GAP, low=PLOT_TOP, high=PLOT_BOTTOM)
    out = []
    for line, y, label_y in zip(budgeted, ys, label_ys, strict=True):
        budget = line.budget
        assert budget is not None  # (budgeted)
        amount = format_cost(budget.cost_per_resolution, card.currency)
        title = f"{line.name}: budget {amount}" + (", fully loaded" if budget.fully_loaded else "")
        label = f"{_short(line.name, BUDGET_LABEL_CHARACTERS - len(amount) - 2)}: {amount}"
        out.append(
            f'<line class="budget {line.colour}" data-group="{escape(line.name)}" '
            f'data-budget="{budget.cost_per_resolution}" x1="{PLOT_LEFT}" '
            f'x2="{PLOT_RIGHT}" y1="{_num(y)}" y2="{_num(y)}"><title>{escape(title)}</title>'
            "</line>"
        )
        out.append(
            f'<polyline class="budget-leader {line.colour}" points="{PLOT_RIGHT},{_num(y)} '
            f'{BUDGET_LABEL_X - 3},{_num(label_y)}"/>'
        )
        out.append(
            f'<text class="budget-label {line.colour}" data-group="{escape(line.name)}" '
            f'x="{BUDGET_LABEL_X}" y="{_num(label_y)}" dy="0.32em">'
            f"<title>{escape(title)}</title>{escape_html(label)}</text>"
        )
    return out


def _cost_figure(card: Scorecard, lines: Sequence[ChartLine], *, log_scale: bool) -> list[str]:
    x_of = period_x(card.periods)
    values = [
        cost
        for line in lines
        for row in line.rows.values()
        if (cost := row_cost(line, row)) is not None
    ]
    values += [line.budget.cost_per_resolution for line in lines if line.budget]
    axis = value_axis(values, log=log_scale)

    series, unresolved = [], []
    for line in lines:
        metric = (
            "fully loaded cost per resolution"
            if line.budget and line.budget.fully_loaded
            else "cost per resolution"
        )

        def cost_text(row: Row, cost: Decimal, metric: str = metric) -> str:
            return (
                f"{metric} {format_cost(cost, card.currency)} "
                f"({row.resolved:,} resolved of {counted(row.tickets, 'ticket')})"
            )

        def cost_of(row: Row, line: ChartLine = line) -> Decimal | None:
            return row_cost(line, row)

        drawn = line_series(card, line, axis=axis, value=cost_of, text=cost_text)
        if drawn.drawn:
            series += _series_svg(drawn)
        else:
            unresolved.append(line.name)

    def describe(line: ChartLine) -> str:
        if line.other:
            return ", summed, no budget"
        if line.budget is None:
            return ", no budget"
        amount = format_cost(line.budget.cost_per_resolution, card.currency)
        if line.budget.fully_loaded:
            return f", budget {amount} fully loaded (line: fully loaded cost per resolution)"
        return f", budget {amount}"

    notes = _other_note(card, lines)
    if axis.log:
        notes.append(
            '<p class="note">Logarithmic scale (asked for with --log-scale): each step up '
            "is the same factor, not the same amount.</p>"
        )
    elif log_scale:
        notes.append(
            '<p class="note">Linear scale: a logarithmic one was asked for, but a cost of '
            "zero has no place on it.</p>"
        )
    if unresolved:
        names = ", ".join(breakable(name) for name in unresolved)
        notes.append(f'<p class="note">No resolved ticket in any period, so no line: {names}.</p>')
    body = _axes_svg(card, axis, x_of, tick_format(axis, card.currency))
    budgets = _budget_lines(card, lines, axis)
    return [
        '<figure class="chart-figure">',
        f"<figcaption><h2>Cost per resolution per {escape(card.period)}</h2>"
        "<p>Dashed: each group's budget, in the group's colour, labelled at its right end."
        "</p></figcaption>",
        _legend(lines, describe),
        *_svg("chart-cpr", "Cost per resolution per period and group", body + budgets + series),
        *notes,
        "</figure>",
    ]


def row_cost(line: ChartLine, row: Row) -> Decimal | None:
    """The cost a line draws: the fully loaded cost per resolution when its budget is
    about that, else the cost per resolution."""
    if line.budget is not None and line.budget.fully_loaded:
        return row.fully_loaded_cost_per_resolution
    return row.cost_per_resolution


def _auto_resolution_figure(card: Scorecard, lines: Sequence[ChartLine]) -> list[str]:
    x_of = period_x(card.periods)

    def rate_text(row: Row, rate: Decimal) -> str:
        return (
            f"auto-resolution {format_rate(rate)} "
            f"({row.auto_resolved:,} of {counted(row.tickets, 'ticket')})"
        )

    series = []
    for line in lines:
        drawn = line_series(
            card,
            line,
            axis=RATE_AXIS,
            value=lambda row: row.auto_resolution_rate,
            text=rate_text,
        )
        series += _series_svg(drawn)
    body = _axes_svg(card, RATE_AXIS, x_of, lambda tick: f"{int(tick * 100)}%")
    return [
        '<figure class="chart-figure">',
        f"<figcaption><h2>Auto-resolution rate per {escape(card.period)}</h2>"
        "<p>Tickets the AI resolved alone, of all tickets.</p></figcaption>",
        _legend(lines, lambda line: ""),
        *_svg("chart-auto-resolution", "Auto-resolution rate per period and group", body + series),
        "</figure>",
    ]


# --- summary and tables ---------------------------------------------------------------


def _summary(card: Scorecard) -> list[str]:
    facts = []
    span = span_text(card)
    if span is not None:
        facts.append(f"{counted(len(card.periods), card.period)}: {span}")
    if card.since or card.until:
        since = card.since.isoformat() if card.since else "the start"
        until = card.until.isoformat() if card.until else "the end"
        facts.append(f"tickets from {since} until {until}")
    facts.append(groups_counted(card.dimension, len(card.groups)))
    if card.rows:
        ai = sum((row.ai_cost for row in card.rows), Decimal(0))
        human = sum((row.human_cost for row in card.rows), Decimal(0))
        facts.append(f"AI spend {format_amount(ai, card.currency)}")
        facts.append(f"human cost {format_amount(human, card.currency)}")
        if card.overhead:
            facts.append(f"overhead {format_amount(card.overhead, card.currency)}")
    facts.append(f"currency {card.currency}")
    facts.append(f"engine {card.engine}")
    if card.prices_as_of:
        catalog = f" (catalog {card.catalog_version})" if card.catalog_version else ""
        facts.append(f"prices as of {card.prices_as_of}{catalog}")
    spans = (f'<span class="fact">{escape(fact)}</span>' for fact in facts)
    out = [f'<p class="meta">{" &middot; ".join(spans)}</p>']
    if card.logs:
        logs = ", ".join(f"<code>{escape(log)}</code>" for log in card.logs)
        out.append(f'<p class="meta">Logs: {logs}</p>')
    if card.rows:
        breaching = card.breaches
        kind = "breach" if breaching else "ok"
        out.append(
            f'<p class="verdict {kind}">{counted(breaching, "row")} of {len(card.rows):,} '
            f"{agreeing(breaching, 'breaches', 'breach')} a budget or quality limit.</p>"
        )
    if card.malformed.count:
        count = card.malformed.count
        named = len(card.malformed.first)
        which = f"; the first {named:,}" if named < count else ""
        items = "".join(
            f"<li><code>{escape(str(item))}</code></li>" for item in card.malformed.first
        )
        out.append(
            f'<div class="warning"><p>{escape(counted(count, "malformed line"))} in the logs '
            f"{agreeing(count, 'was', 'were')} left out of every figure{which}:</p>"
            f"<ul>{items}</ul></div>"
        )
    if card.undated_tickets:
        out.append(
            f'<p class="warning">{escape(counted(card.undated_tickets, "ticket"))} with no '
            "start time: in no period, so not in this scorecard.</p>"
        )
    if card.untimed_tickets:
        out.append(f'<p class="warning">{escape(untimed_note(card.untimed_tickets))}</p>')
    if card.overhead:
        out.append(f'<p class="note">{escape(OVERHEAD_NOTE)}</p>')
    if card.unpriced:
        items = "".join(
            f"<li>{escape(item.model)} under {escape(item.policy or 'no policy')}: "
            f"{escape(counted(item.calls, 'call'))}</li>"
            for item in card.unpriced
        )
        out.append(
            '<div class="warning"><p>Models with no price: their calls cost nothing '
            f"here, so the costs are too low.</p><ul>{items}</ul></div>"
        )
    return out


def _change(change: Decimal | None, *, up_is_good: bool, points: bool, unit: str) -> str:
    """The change against the period before, coloured by whether it is good news; a
    change of rates is in points (the same digits as a percentage)."""
    if change is None:
        return ""
    text = format_rate(change)
    if text.lstrip("-") == "0.0%":  # too small to show: no colour, no sign
        kind, text = "same", "0.0%"
    else:
        kind = "better" if (change > 0) == up_is_good else "worse"
        text = ("+" if change > 0 else "") + text
    if points:
        text = text.removesuffix("%") + " pts"
    return f'<br><span class="change {kind}" title="vs the {escape(unit)} before">{text}</span>'


def _tier_shares(row: Row) -> str:
    shares = [
        f"{escape(tier or 'untiered')} {format_rate(share)}" for tier, share in row.tier_shares
    ]
    return "<br>".join(shares) if shares else "&ndash;"


def _cell(content: str, *, number: bool = True, flagged: bool = False) -> str:
    classes = [name for name, on in (("num", number), ("flagged", flagged)) if on]
    attribute = f' class="{" ".join(classes)}"' if classes else ""
    return f"<td{attribute}>{content}</td>"


def _figure_cells(
    row: Row, card: Scorecard, spend: SpendFormats, *, flags: tuple[bool, bool, bool, bool]
) -> list[str]:
    """The cells a group's row and a total row share, from tickets to spend by tier
    (the amounts in `spend`'s formats); `flags`: whether the resolution, the cost per
    resolution, the fully loaded one and the escalation rate breach a limit."""
    currency, unit = card.currency, card.period
    low_resolution, over_budget, over_fully_loaded, high_escalation = flags
    return [
        _cell(f"{row.tickets:,}"),
        _cell(
            f"{row.resolved:,}<br><small>{format_rate(row.resolution_rate)}</small>",
            flagged=low_resolution,
        ),
        _cell(escape(spend.ai(row.ai_cost))),
        _cell(escape(spend.human(row.human_cost))),
        _cell(escape(spend.overhead(row.overhead))),
        _cell(
            escape(format_cost(row.cost_per_ticket, currency))
            + _change(row.cost_per_ticket_change, up_is_good=False, points=False, unit=unit)
        ),
        _cell(
            escape(format_cost(row.cost_per_resolution, currency))
            + _change(row.cost_per_resolution_change, up_is_good=False, points=False, unit=unit),
            flagged=over_budget,
        ),
        _cell(
            escape(format_cost(row.fully_loaded_cost_per_resolution, currency)),
            flagged=over_fully_loaded,
        ),
        _cell(
            format_rate(row.auto_resolution_rate)
            + _change(row.auto_resolution_rate_change, up_is_good=True, points=True, unit=unit)
        ),
        _cell(
            format_rate(row.escalation_rate)
            + _change(row.escalation_rate_change, up_is_good=False, points=True, unit=unit),
            flagged=high_escalation,
        ),
        _cell(_retries(row.retries_per_ticket)),
        _cell(_tier_shares(row)),
    ]


def _table_row(row: Row, card: Scorecard, spend: SpendFormats, colour: str | None) -> str:
    breaches = row.breaches
    budget = row.limits.budget
    breached = row.breached
    over = Breach.BUDGET in breached or Breach.NO_RESOLUTION in breached
    fully_loaded = bool(budget and budget.fully_loaded)
    swatch = f'<span class="swatch {colour}"></span>' if colour is not None else ""
    budget_text = "&ndash;"
    if budget is not None:
        budget_text = escape(format_cost(budget.cost_per_resolution, card.currency))
        budget_text += "<br><small>fully loaded</small>" if budget.fully_loaded else ""
    breach_text = (
        "<ul>" + "".join(f"<li>{escape(text)}</li>" for text in breaches) + "</ul>"
        if breaches
        else ""
    )
    flags = (
        Breach.RESOLUTION_RATE in breached,
        over and not fully_loaded,
        over and fully_loaded,
        Breach.ESCALATION_RATE in breached,
    )
    cells = [
        _cell(f"{swatch}{breakable(row.group)}", number=False),
        _cell(period_cell(card, row.period), number=False),
        *_figure_cells(row, card, spend, flags=flags),
        _cell(budget_text),
        _cell(breach_text, number=False),
    ]
    kind = ' class="breach"' if breaches else ""
    return f"<tr{kind}>{''.join(cells)}</tr>"


def _retries(value: Decimal | None) -> str:
    if value is None:
        return "n/a"
    return str(round_half_even(value, CENT))


# (header, whether the column holds numbers and is aligned right) of the columns a
# group's row and a total row share.
_FIGURE_HEADERS = (
    ("Tickets", True),
    ("Resolved", True),
    ("AI spend", True),
    ("Human cost", True),
    ("Overhead", True),
    ("Cost / ticket", True),
    ("Cost / resolution", True),
    ("Fully loaded / resolution", True),
    ("Auto-resolution", True),
    ("Escalation", True),
    ("Retries / ticket", True),
    ("LLM spend by tier", True),
)


def _head(headers: Sequence[tuple[str, bool]]) -> str:
    return (
        "<thead><tr>"
        + "".join(
            f'<th scope="col" class="{"num" if numbers else "text"}">{header}</th>'
            for header, numbers in headers
        )
        + "</tr></thead>"
    )


def _totals_table(card: Scorecard) -> list[str]:
    """One row per period: every group added up, its spend and its ratios (the cost per
    resolution of all groups is all their spend over all their resolutions)."""
    headers = (
        (escape(period_title(card.period).capitalize()), False),
        *_FIGURE_HEADERS,
    )
    no_flags = (False, False, False, False)
    spend = spend_formats(card)
    rows = [
        "<tr>"
        + _cell(period_cell(card, total.period), number=False)
        + "".join(_figure_cells(total, card, spend, flags=no_flags))
        + "</tr>"
        for total in card.totals
    ]
    return [
        f"<h2>Total of {escape(groups_counted(card.dimension, len(card.groups)))}</h2>",
        f'<p class="note">The total of each {escape(card.period)}: spend and tickets added '
        "up over every group, costs per ticket and per resolution worked out from those "
        "sums.</p>",
        '<div class="table-wrap"><table class="scorecard totals">',
        _head(headers),
        "<tbody>",
        *rows,
        "</tbody>",
        "</table></div>",
    ]


def _table(card: Scorecard, lines: Sequence[ChartLine]) -> list[str]:
    colours = {group: line.colour for line in lines for group in line.members}
    headers = (
        (escape(group_noun(card.dimension).capitalize()), False),
        (escape(period_title(card.period).capitalize()), False),
        *_FIGURE_HEADERS,
        ("Budget / resolution", True),
        ("Breaches", False),
    )
    rows = sorted(card.rows, key=lambda row: (row.group, row.period))
    spend = spend_formats(card)
    return [
        f"<h2>Every {escape(group_noun(card.dimension))} and {escape(card.period)}</h2>",
        f'<p class="note">Under a value: its change against the {escape(card.period)} before '
        "(costs relative, rates in points); green is better, red worse. Rows that breach a "
        "limit are shaded, the breaching value is outlined.</p>",
        '<div class="table-wrap"><table class="scorecard groups">',
        _head(headers),
        "<tbody>",
        *(_table_row(row, card, spend, colours.get(row.group)) for row in rows),
        "</tbody>",
        "</table></div>",
    ]


def _css() -> str:
    colours = "".join(f".c{index}{{color:{colour}}}" for index, colour in enumerate(PALETTE))
    return (
        "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;"
        "color:#1f2328;background:#fff;margin:24px auto;max-width:1400px;padding:0 16px;"
        "font-size:14px;line-height:1.4}"
        "h1{font-size:22px;margin:0 0 8px}h2{font-size:17px;margin:0 0 4px}"
        ".meta{color:#57606a;margin:2px 0}.meta code{font-size:12px}"
        ".verdict{font-weight:600;margin:10px 0}.verdict.breach{color:#b42318}"
        ".verdict.ok{color:#1a7f37}"
        ".warning{background:#fff8c5;border:1px solid #d4a72c;padding:6px 10px;margin:8px 0}"
        ".warning p,.warning ul{margin:2px 0}"
        ".chart-figure{margin:24px 0;padding:0}figcaption p{margin:0;color:#57606a}"
        "svg.chart{display:block;max-width:100%;min-width:800px;height:auto;font-size:12px}"
        ".chart-wrap{overflow-x:auto}.fact{white-space:nowrap}"
        ".grid{stroke:#e5e7eb;stroke-width:1}.axis{stroke:#6e7781;stroke-width:1}"
        ".tick{fill:#424a53}.tick.y{text-anchor:end}.tick.x{text-anchor:middle}"
        ".axis-title{fill:#57606a;text-anchor:middle}"
        ".series path{fill:none;stroke:currentColor;stroke-width:2;stroke-linejoin:round}"
        ".series circle{fill:currentColor;stroke:#fff;stroke-width:1}"
        ".budget{stroke:currentColor;stroke-width:1.5;stroke-dasharray:6 4}"
        ".budget-leader{fill:none;stroke:currentColor;stroke-width:1}"
        ".budget-label{fill:currentColor;font-weight:600}"
        ".legend{list-style:none;padding:0;margin:8px 0;display:flex;flex-wrap:wrap;"
        "gap:4px 18px}.legend li{display:flex;align-items:center;gap:6px}"
        ".legend .name{color:#1f2328;font-weight:600}"
        ".legend .detail{color:#57606a}"
        ".swatch{display:inline-block;width:14px;height:4px;border-radius:2px;"
        "background:currentColor;flex:none;margin-right:4px;vertical-align:middle}"
        ".note{color:#57606a;font-size:13px;margin:4px 0}"
        ".table-wrap{overflow-x:auto;margin-bottom:20px}"
        # Sixteen columns across 1400 pixels: small type, narrow padding.
        "table.scorecard{border-collapse:collapse;font-size:12px;width:100%}"
        ".scorecard th,.scorecard td{border-bottom:1px solid #d0d7de;padding:4px 4px;"
        "vertical-align:top}"
        ".scorecard th{background:#f6f8fa;text-align:left;position:sticky;top:0}"
        ".scorecard td.num{text-align:right;font-variant-numeric:tabular-nums;"
        "white-space:nowrap}"
        # A group's name wraps only where `breakable` allows: at spaces, after _ and -.
        ".scorecard.groups td:first-child{overflow-wrap:normal;word-break:normal;"
        "hyphens:manual;min-width:9em;max-width:14em}"
        # A period cut by --since or --until (`2026-10-15 to 2026-10-31`) may wrap at
        # its spaces; the breaches in words need room not to grow a line a word.
        ".scorecard.groups td:nth-child(2),.scorecard.totals td:first-child{min-width:6.5em}"
        ".scorecard.groups td:last-child{min-width:10em}.date{white-space:nowrap}"
        ".scorecard th.num{text-align:right}"
        ".scorecard small{color:#57606a}"
        ".scorecard tr.breach{background:#fff1f0}"
        ".scorecard td.flagged{outline:2px solid #d1242f;outline-offset:-2px;"
        "font-weight:600}"
        ".scorecard ul{margin:0;padding-left:16px;color:#b42318}"
        ".change{font-size:11px}.change.better{color:#1a7f37}.change.worse{color:#cf222e}"
        ".change.same{color:#57606a}"
        f"{colours}.other{{color:{OTHER_COLOUR}}}"
        "@media print{body{margin:0}.scorecard th{position:static}}"
    )
