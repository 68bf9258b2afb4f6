"""The scorecard as one self-contained HTML page: two charts drawn as SVG, then the table.

Nothing is fetched and nothing runs: the CSS is inline, the charts are SVG written here
by hand, there is no script, so the page reads the same offline, as a CI artifact or a
mail attachment. The page is a pure function of the scorecard (no timestamps, no
generated ids): the same scorecard gives the same bytes. Every text that comes from the
logs or the policies (group names, log paths, models, tiers) is escaped, its control and
bidirectional formatting characters shown as `\\x1b` and `\\u202e`.

Charts: cost per resolution per period, one line per group, with the group's budget as a
dashed line in the same colour (a fully loaded budget is drawn against the fully loaded
cost per resolution, and says so); and the auto-resolution rate per period, on 0-100%.
A period in which a group resolved nothing has no cost per resolution: the line breaks.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from html import escape as escape_html

from cprlint.model import Budget
from cprlint.money import CENT, format_cost, format_rate, round_half_even
from cprlint.reporters.base import plural, shown
from cprlint.scorecard.card import Breach, Row, Scorecard, previous_period


def escape(text: str) -> str:
    """Text for the page, in an element or a quoted attribute: its control and
    bidirectional formatting characters shown escaped (a U+202E in a group's name would
    reverse the rest of its cell), then `&`, `<`, `>` and quotes as entities."""
    return escape_html(shown(text))


# Lines per chart: more than this many colours stop being told apart; the table has all.
MAX_SERIES = 8
# Okabe-Ito's colour-blind-safe set, with its yellow (unreadable on white) swapped for brown.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#8c6d31", "#000000")
# Costs spanning at least this factor go on a logarithmic axis, where a $0.0003 intent
# and a $0.02 one can both be read; a zero cost keeps the axis linear.
LOG_SCALE_SPAN = 20

# The charts' geometry, in SVG user units (the page scales the SVG down when narrow).
WIDTH, HEIGHT = 1200, 300
PLOT_LEFT, PLOT_RIGHT = 96, 1184  # room on the left for money labels
PLOT_TOP, PLOT_BOTTOM = 16, 256  # room below for dates and the axis title
PLOT_INSET = 24  # the first and last period sit this far inside the plot's edges
LABEL_SPACING = 84  # the least room a date label needs along the x axis
POINT_RADIUS = 3.5


def render_html(card: Scorecard) -> str:
    """The scorecard as a complete HTML document."""
    title = f"cprlint scorecard: cost per resolution by {card.dimension}, per {card.period}"
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
        charted = charted_groups(card)
        parts += _cost_figure(card, charted)
        parts += _auto_resolution_figure(card, charted)
        parts += _table(card, charted)
    else:
        parts.append('<p class="empty">No ticket in the logs for this scorecard.</p>')
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


# --- what is charted ------------------------------------------------------------------


def charted_groups(card: Scorecard) -> list[str]:
    """The groups that get a line: the MAX_SERIES with the most tickets, most first
    (ties by name, so the choice and the colours are stable)."""
    tickets: dict[str, int] = {}
    for row in card.rows:
        tickets[row.group] = tickets.get(row.group, 0) + row.tickets
    ranked = sorted(tickets, key=lambda group: (-tickets[group], group))
    return ranked[:MAX_SERIES]


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


def value_axis(values: Sequence[Decimal]) -> Axis:
    """An axis that holds every value: from zero up to a round top in about five steps;
    logarithmic (1-2-5 ticks per decade) when the values are all positive and span at
    least LOG_SCALE_SPAN."""
    highest = max(values, default=Decimal(0))
    lowest = min(values, default=Decimal(0))
    if lowest > 0 and highest >= lowest * LOG_SCALE_SPAN:
        return _log_axis(lowest, highest)
    if highest <= 0:
        return Axis(Decimal(0), Decimal(1), (Decimal(0), Decimal(1)))
    step = nice_step(highest / 5)
    steps = int((highest / step).to_integral_value(rounding=ROUND_CEILING))
    return Axis(Decimal(0), step * steps, tuple(step * n for n in range(steps + 1)))


def _log_axis(lowest: Decimal, highest: Decimal) -> Axis:
    bottom = lowest.adjusted()  # floor(log10)
    top = highest.adjusted()
    if highest != Decimal(1).scaleb(top):
        top += 1
    multiples = (1, 2, 5) if top - bottom <= 3 else (1,)
    ticks = tuple(
        Decimal(multiple).scaleb(exponent)
        for exponent in range(bottom, top + 1)
        for multiple in multiples
        if Decimal(multiple).scaleb(exponent) <= Decimal(1).scaleb(top)
    )
    return Axis(Decimal(1).scaleb(bottom), Decimal(1).scaleb(top), ticks, log=True)


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


def period_label(period: dt.date, unit: str) -> str:
    return period.strftime("%Y-%m") if unit == "month" else period.isoformat()


def _unit_title(unit: str) -> str:
    return "week starting" if unit == "week" else unit


def _num(value: float) -> str:
    return f"{value:.2f}"


# --- charts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    group: str
    colour: int  # index into PALETTE
    points: tuple[tuple[float, float | None, str], ...]  # x, y (None: a gap), hover text

    @property
    def drawn(self) -> bool:
        return any(y is not None for _, y, _ in self.points)


def group_series(
    card: Scorecard,
    group: str,
    colour: int,
    *,
    axis: Axis,
    value: Callable[[Row], Decimal | None],
    text: Callable[[Row, Decimal], str],
) -> Series:
    """One group's points, one per period of the scorecard; a period without a value
    (no row, or nothing to divide by), or after periods with no ticket at all, breaks
    the line."""
    rows = {row.period: row for row in card.rows_of(group)}
    breaks = _breaks(card.periods, card.period)
    points: list[tuple[float, float | None, str]] = []
    for period, x in period_x(card.periods).items():
        if period in breaks:
            points.append((x, None, ""))
        row = rows.get(period)
        amount = value(row) if row else None
        if row is None or amount is None:
            points.append((x, None, ""))
        else:
            where = f"{group}, {period_label(period, card.period)}: "
            points.append((x, axis.y(amount), where + text(row, amount)))
    return Series(group, colour, tuple(points))


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
    out = [f'<g class="series c{series.colour}" data-group="{escape(series.group)}">']
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
    axis: Axis, x_of: dict[dt.date, float], unit: str, tick_label: Callable[[Decimal], str]
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
    # Thin the labels so that they never overlap; the latest period is always labelled.
    room = (PLOT_RIGHT - PLOT_LEFT) // LABEL_SPACING
    every = max(1, -(-len(periods) // room))
    for index, period in enumerate(periods):
        x = _num(x_of[period])
        out.append(
            f'<line class="axis" x1="{x}" x2="{x}" y1="{PLOT_BOTTOM}" y2="{PLOT_BOTTOM + 5}"/>'
        )
        if (len(periods) - 1 - index) % every == 0:
            out.append(
                f'<text class="tick x" x="{x}" y="{PLOT_BOTTOM + 18}">'
                f"{escape(period_label(period, unit))}</text>"
            )
    out.append(
        f'<text class="axis-title" x="{(PLOT_LEFT + PLOT_RIGHT) / 2}" y="{HEIGHT - 6}">'
        f"{escape(_unit_title(unit))}</text>"
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


def _legend(card: Scorecard, charted: Sequence[str], describe: Callable[[str], str]) -> str:
    items = []
    for colour, group in enumerate(charted):
        tickets = sum(row.tickets for row in card.rows_of(group))
        items.append(
            f'<li class="c{colour}"><span class="swatch"></span>'
            f'<span class="name">{escape(group)}</span> '
            f'<span class="detail">{escape(plural(tickets, "ticket"))}'
            f"{escape(describe(group))}</span></li>"
        )
    return f'<ul class="legend">{"".join(items)}</ul>'


def _cap_note(card: Scorecard, charted: Sequence[str]) -> list[str]:
    if len(card.groups) <= len(charted):
        return []
    return [
        f'<p class="note">Showing the {len(charted)} groups with the most tickets out of '
        f"{len(card.groups)}; the table below lists every group.</p>"
    ]


def _cost_figure(card: Scorecard, charted: Sequence[str]) -> list[str]:
    x_of = period_x(card.periods)
    budgets = {group: group_budget(card.rows_of(group)) for group in charted}
    values = [
        cost
        for group in charted
        for row in card.rows_of(group)
        if (cost := row.budgeted_cost) is not None
    ]
    values += [budget.cost_per_resolution for budget in budgets.values() if budget]
    axis = value_axis(values)

    series, lines, unresolved = [], [], []
    for colour, group in enumerate(charted):
        budget = budgets[group]
        metric = (
            "fully loaded cost per resolution"
            if budget and budget.fully_loaded
            else "cost per resolution"
        )

        def cost_text(row: Row, cost: Decimal, metric: str = metric) -> str:
            return (
                f"{metric} {format_cost(cost, card.currency)} "
                f"({row.resolved} resolved of {plural(row.tickets, 'ticket')})"
            )

        line = group_series(
            card, group, colour, axis=axis, value=lambda row: row.budgeted_cost, text=cost_text
        )
        if line.drawn:
            series += _series_svg(line)
        else:
            unresolved.append(group)
        if budget is not None:
            y = _num(axis.y(budget.cost_per_resolution))
            label = f"{group}: budget {format_cost(budget.cost_per_resolution, card.currency)}"
            label += ", fully loaded" if budget.fully_loaded else ""
            lines.append(
                f'<line class="budget c{colour}" data-group="{escape(group)}" '
                f'data-budget="{budget.cost_per_resolution}" x1="{PLOT_LEFT}" '
                f'x2="{PLOT_RIGHT}" y1="{y}" y2="{y}"><title>{escape(label)}</title></line>'
            )

    def describe(group: str) -> str:
        budget = budgets[group]
        if budget is None:
            return ", no budget"
        amount = format_cost(budget.cost_per_resolution, card.currency)
        if budget.fully_loaded:
            return f", budget {amount} fully loaded (line: fully loaded cost per resolution)"
        return f", budget {amount}"

    notes = _cap_note(card, charted)
    if axis.log:
        notes.append(
            '<p class="note">Logarithmic scale: the costs span more than '
            f"{LOG_SCALE_SPAN}&times;.</p>"
        )
    if unresolved:
        names = ", ".join(escape(group) for group in unresolved)
        notes.append(f'<p class="note">No resolved ticket in any period, so no line: {names}.</p>')
    body = _axes_svg(axis, x_of, card.period, lambda tick: format_cost(tick, card.currency))
    return [
        '<figure class="chart-figure">',
        f"<figcaption><h2>Cost per resolution per {escape(card.period)}</h2>"
        "<p>Dashed: each group's budget, in the group's colour.</p></figcaption>",
        _legend(card, charted, describe),
        *_svg("chart-cpr", "Cost per resolution per period and group", body + lines + series),
        *notes,
        "</figure>",
    ]


def _auto_resolution_figure(card: Scorecard, charted: Sequence[str]) -> list[str]:
    x_of = period_x(card.periods)

    def rate_text(row: Row, rate: Decimal) -> str:
        return (
            f"auto-resolution {format_rate(rate)} "
            f"({row.auto_resolved} of {plural(row.tickets, 'ticket')})"
        )

    series = []
    for colour, group in enumerate(charted):
        line = group_series(
            card,
            group,
            colour,
            axis=RATE_AXIS,
            value=lambda row: row.auto_resolution_rate,
            text=rate_text,
        )
        series += _series_svg(line)
    body = _axes_svg(RATE_AXIS, x_of, card.period, lambda tick: f"{int(tick * 100)}%")
    return [
        '<figure class="chart-figure">',
        f"<figcaption><h2>Auto-resolution rate per {escape(card.period)}</h2>"
        "<p>Tickets the AI resolved alone, of all tickets.</p></figcaption>",
        _legend(card, charted, lambda group: ""),
        *_svg("chart-auto-resolution", "Auto-resolution rate per period and group", body + series),
        *_cap_note(card, charted),
        "</figure>",
    ]


# --- summary and table ----------------------------------------------------------------


def _summary(card: Scorecard) -> list[str]:
    facts = []
    if card.periods:
        first, last = card.periods[0], card.periods[-1]
        span = period_label(first, card.period)
        if last != first:
            span += f" to {period_label(last, card.period)}"
        facts.append(f"{plural(len(card.periods), card.period)}: {span}")
    if card.since or card.until:
        since = card.since.isoformat() if card.since else "the start"
        until = card.until.isoformat() if card.until else "the end"
        facts.append(f"tickets from {since} until {until}")
    facts.append(plural(len(card.groups), "group"))
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
            f'<p class="verdict {kind}">{plural(breaching, "row")} of {len(card.rows)} '
            "breach a budget or quality limit.</p>"
        )
    if card.undated_tickets:
        out.append(
            f'<p class="warning">{plural(card.undated_tickets, "ticket")} with no start '
            "time: in no period, so not in this scorecard.</p>"
        )
    if card.unpriced:
        items = "".join(
            f"<li>{escape(item.model)} under {escape(item.policy or 'no policy')}: "
            f"{plural(item.calls, 'call')}</li>"
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


def _table_row(row: Row, card: Scorecard, colour: int | None) -> str:
    currency, unit = card.currency, card.period
    breaches = row.breaches
    budget = row.limits.budget
    breached = row.breached
    over_budget = Breach.BUDGET in breached or Breach.NO_RESOLUTION in breached
    low_resolution = Breach.RESOLUTION_RATE in breached
    high_escalation = Breach.ESCALATION_RATE in breached
    swatch = f'<span class="swatch c{colour}"></span>' if colour is not None else ""
    budget_text = "&ndash;"
    if budget is not None:
        budget_text = escape(format_cost(budget.cost_per_resolution, currency))
        budget_text += "<br><small>fully loaded</small>" if budget.fully_loaded else ""
    breach_text = (
        "<ul>" + "".join(f"<li>{escape(text)}</li>" for text in breaches) + "</ul>"
        if breaches
        else ""
    )
    cells = [
        _cell(f"{swatch}{escape(row.group)}", number=False),
        _cell(escape(period_label(row.period, unit)), number=False),
        _cell(str(row.tickets)),
        _cell(
            f"{row.resolved}<br><small>{format_rate(row.resolution_rate)}</small>",
            flagged=low_resolution,
        ),
        _cell(
            escape(format_cost(row.cost_per_ticket, currency))
            + _change(row.cost_per_ticket_change, up_is_good=False, points=False, unit=unit)
        ),
        _cell(
            escape(format_cost(row.cost_per_resolution, currency))
            + _change(row.cost_per_resolution_change, up_is_good=False, points=False, unit=unit),
            flagged=over_budget and not (budget and budget.fully_loaded),
        ),
        _cell(
            escape(format_cost(row.fully_loaded_cost_per_resolution, currency)),
            flagged=over_budget and bool(budget and budget.fully_loaded),
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
        _cell(budget_text),
        _cell(breach_text, number=False),
    ]
    kind = ' class="breach"' if breaches else ""
    return f"<tr{kind}>{''.join(cells)}</tr>"


def _retries(value: Decimal | None) -> str:
    if value is None:
        return "n/a"
    return str(round_half_even(value, CENT))


def _table(card: Scorecard, charted: Sequence[str]) -> list[str]:
    colours = {group: colour for colour, group in enumerate(charted)}
    # (header, whether the column holds numbers and is aligned right)
    headers = (
        (escape(card.dimension.capitalize()), False),
        (escape(_unit_title(card.period).capitalize()), False),
        ("Tickets", True),
        ("Resolved", True),
        ("Cost / ticket", True),
        ("Cost / resolution", True),
        ("Fully loaded cost / resolution", True),
        ("Auto-resolution", True),
        ("Escalation", True),
        ("Retries / ticket", True),
        ("LLM spend by tier", True),
        ("Budget / resolution", True),
        ("Breaches", False),
    )
    rows = sorted(card.rows, key=lambda row: (row.group, row.period))
    return [
        "<h2>All groups and periods</h2>",
        f'<p class="note">Under a value: its change against the {escape(card.period)} before '
        "(costs relative, rates in points); green is better, red worse. Rows that breach a "
        "limit are shaded, the breaching value is outlined.</p>",
        '<div class="table-wrap"><table class="scorecard">',
        "<thead><tr>"
        + "".join(
            f'<th scope="col" class="{"num" if numbers else "text"}">{header}</th>'
            for header, numbers in headers
        ),
        "</tr></thead>",
        "<tbody>",
        *(_table_row(row, card, colours.get(row.group)) for row in rows),
        "</tbody>",
        "</table></div>",
    ]


def _css() -> str:
    colours = "".join(f".c{index}{{color:{colour}}}" for index, colour in enumerate(PALETTE))
    return (
        "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;"
        "color:#1f2328;background:#fff;margin:24px auto;max-width:1240px;padding:0 16px;"
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
        ".legend{list-style:none;padding:0;margin:8px 0;display:flex;flex-wrap:wrap;"
        "gap:4px 18px}.legend li{display:flex;align-items:center;gap:6px}"
        ".legend .name{color:#1f2328;font-weight:600;overflow-wrap:anywhere}"
        ".legend .detail{color:#57606a}"
        ".swatch{display:inline-block;width:14px;height:4px;border-radius:2px;"
        "background:currentColor;flex:none;margin-right:4px;vertical-align:middle}"
        ".note{color:#57606a;font-size:13px;margin:4px 0}"
        ".table-wrap{overflow-x:auto}"
        "table.scorecard{border-collapse:collapse;font-size:12.5px;width:100%}"
        ".scorecard th,.scorecard td{border-bottom:1px solid #d0d7de;padding:5px 7px;"
        "vertical-align:top}"
        ".scorecard th{background:#f6f8fa;text-align:left;position:sticky;top:0}"
        ".scorecard td.num{text-align:right;font-variant-numeric:tabular-nums;"
        "white-space:nowrap}"
        ".scorecard td:first-child{overflow-wrap:anywhere;min-width:9em;max-width:16em}"
        ".scorecard td:nth-child(2){white-space:nowrap}"
        ".scorecard th.num{text-align:right}"
        ".scorecard small{color:#57606a}"
        ".scorecard tr.breach{background:#fff1f0}"
        ".scorecard td.flagged{outline:2px solid #d1242f;outline-offset:-2px;"
        "font-weight:600}"
        ".scorecard ul{margin:0;padding-left:16px;color:#b42318}"
        ".change{font-size:11px}.change.better{color:#1a7f37}.change.worse{color:#cf222e}"
        ".change.same{color:#57606a}"
        f"{colours}"
        "@media print{body{margin:0}.scorecard th{position:static}}"
    )
