"""The scorecard's output formats: a registry of renderers, Scorecard -> text.

text and markdown are for people (the total of each period over all groups first, then
each group's rows, rounded as the SPEC rounds money), json and csv for programs (9
decimals, nothing rounded away that matters; the totals as rows of their own), html is
one self-contained page with the trend charts (`html.py`). Their words come from
`words.py`: counts agree with their nouns and verbs, a cut period says which days. Names from the logs and the
policies are shown escaped in every format but json (`reporters.base.shown`), and the markdown
stays within what GitHub takes in a comment.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from decimal import Decimal

from cprlint.money import NINE_PLACES, format_cost, format_rate, round_half_even
from cprlint.reporters.base import GITHUB_COMMENT_LIMIT, escape_markdown, github_length, shown
from cprlint.scorecard.card import Row, Scorecard
from cprlint.scorecard.words import (
    OVERHEAD_NOTE,
    SpendFormats,
    agreeing,
    counted,
    group_noun,
    groups_counted,
    period_adjective,
    period_label,
    period_title,
    span_text,
    spend_formats,
    untimed_note,
)

Renderer = Callable[[Scorecard], str]
RENDERERS: dict[str, Renderer] = {}


def renderer(name: str) -> Callable[[Renderer], Renderer]:
    def register(function: Renderer) -> Renderer:
        RENDERERS[name] = function
        return function

    return register


def render(card: Scorecard, output_format: str, *, log_scale: bool = False) -> str:
    """The scorecard in `output_format`; `log_scale` puts the HTML page's cost chart on
    a logarithmic axis (the other formats have no chart)."""
    if output_format == "html":
        from cprlint.scorecard.html import render_html  # its own module: the charts

        return render_html(card, log_scale=log_scale)
    return RENDERERS[output_format](card)


# --- shared wording ----------------------------------------------------------------


def title(card: Scorecard) -> str:
    span = span_text(card)
    return f"Scorecard by {group_noun(card.dimension)}, {period_adjective(card.period)}" + (
        f", {span}" if span else ""
    )


def total_title(card: Scorecard) -> str:
    """What the total rows are: `total of 3 queues`."""
    return f"total of {groups_counted(card.dimension, len(card.groups))}"


def _signed_pct(change: Decimal | None) -> str:
    if change is None:
        return ""
    percent = round_half_even(change * 100, Decimal("0.1"))
    return f"{'+' if percent > 0 else ''}{percent}%"


def _shares(row: Row) -> str:
    return ", ".join(
        f"{tier or 'untiered'} {format_rate(share)}" for tier, share in row.tier_shares
    )


def _budget(card: Scorecard, row: Row) -> str:
    budget = row.limits.budget
    if budget is None:
        return ""
    suffix = " (fully loaded)" if budget.fully_loaded else ""
    return format_cost(budget.cost_per_resolution, card.currency) + suffix


def _status(row: Row) -> str:
    return "; ".join(row.breaches) if row.breaches else "ok"


def headers(card: Scorecard) -> tuple[str, ...]:
    return (
        period_title(card.period),
        "tickets",
        "resolved",
        "AI spend",
        "human cost",
        "overhead",
        "cost/ticket",
        "CPR",
        "fully loaded CPR",
        "auto-resolved",
        "escalated",
        "retries/ticket",
        "CPR change",
        "budget",
        "spend by tier",
        "status",
    )


# The columns of `headers` that hold text, aligned left; the others are numbers.
_TEXT_COLUMNS = (0, 14, 15)


def _cells(card: Scorecard, row: Row, spend: SpendFormats, *, total: bool = False) -> list[str]:
    """A row's cells under `headers`, its spend in `spend`'s format; a total row is held
    to no budget and has no status."""
    return [
        period_label(card, row.period),
        f"{row.tickets:,}",
        f"{row.resolved:,}",
        spend.ai(row.ai_cost),
        spend.human(row.human_cost),
        spend.overhead(row.overhead),
        format_cost(row.cost_per_ticket, card.currency),
        format_cost(row.cost_per_resolution, card.currency),
        format_cost(row.fully_loaded_cost_per_resolution, card.currency),
        format_rate(row.auto_resolution_rate),
        format_rate(row.escalation_rate),
        "n/a" if row.retries_per_ticket is None else f"{row.retries_per_ticket:.2f}",
        _signed_pct(row.cost_per_resolution_change),
        "" if total else _budget(card, row),
        _shares(row),
        "" if total else _status(row),
    ]


def _notes(card: Scorecard) -> list[tuple[str, list[str]]]:
    """The notes under the tables: each a sentence, and the items it lists."""
    notes: list[tuple[str, list[str]]] = []
    if card.malformed.count:
        count = card.malformed.count
        named = len(card.malformed.first)
        which = f"; the first {named:,}" if named < count else ""
        notes.append(
            (
                f"{counted(count, 'malformed line')} in the logs {agreeing(count, 'was', 'were')}"
                f" left out of every figure{which}:",
                [str(item) for item in card.malformed.first],
            )
        )
    if card.undated_tickets:
        count = card.undated_tickets
        notes.append(
            (
                f"{counted(count, 'ticket')} {agreeing(count, 'has', 'have')} no `started_at` "
                f"and {agreeing(count, 'is', 'are')} in no period.",
                [],
            )
        )
    if card.untimed_tickets:
        notes.append((untimed_note(card.untimed_tickets), []))
    if card.overhead:
        notes.append((OVERHEAD_NOTE, []))
    for item in card.unpriced:
        where = f" (policy {item.policy})" if item.policy else ""
        notes.append(
            (
                f"{counted(item.calls, 'call')} to `{item.model or '(no model)'}`{where} "
                f"{agreeing(item.calls, 'has', 'have')} no price and "
                f"{agreeing(item.calls, 'counts', 'count')} as zero: add the model to the "
                "policy's pricing.models.",
                [],
            )
        )
    if card.catalog_version:
        notes.append(
            (
                f"Prices: the policy's, else genai-prices {card.catalog_version} "
                f"as of {card.prices_as_of}.",
                [],
            )
        )
    return notes


# --- text and markdown --------------------------------------------------------------


def _text_table(card: Scorecard, rows: list[list[str]]) -> list[str]:
    header = list(headers(card))
    table = [header, *([shown(cell) for cell in cells] for cells in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    lines = []
    for cells in table:
        padded = [
            cell.ljust(width) if i in _TEXT_COLUMNS else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        lines.append("  " + "  ".join(padded).rstrip())
    return lines


@renderer("text")
def render_text(card: Scorecard) -> str:
    """The total of each period first, then a table per group."""
    lines = [title(card), ""]
    spend = spend_formats(card)
    if not card.rows:
        lines += ["No tickets in the logs for this range.", ""]
    else:
        lines.append(total_title(card))
        lines += _text_table(card, [_cells(card, row, spend, total=True) for row in card.totals])
        lines.append("")
    for group, rows in card.by_group.items():
        breaches = sum(1 for row in rows if row.breaches)
        mark = f"  ({counted(breaches, 'period')} off limits)" if breaches else ""
        lines.append(f"{group_noun(card.dimension)} {shown(group)}{mark}")
        lines += _text_table(card, [_cells(card, row, spend) for row in rows])
        lines.append("")
    for note, items in _notes(card):
        lines.append(shown(note))
        lines += (f"  {shown(item)}" for item in items)
    return "\n".join(lines).rstrip() + "\n"


@renderer("markdown")
def render_markdown(card: Scorecard) -> str:
    """One table: the total of each period first (so that a cut keeps them), then each
    group's rows; the notes after it. Cut to fit in a GitHub comment (a job summary may
    be 1 MiB): whole rows, then notes, left out from the end, saying so."""
    head = [f"### {title(card)}", ""]
    if not card.rows:
        head.append("No tickets in the logs for this range.")
    header = (group_noun(card.dimension), *headers(card))
    text_columns = (0, *(i + 1 for i in _TEXT_COLUMNS))
    head.append("| " + " | ".join(header) + " |")
    head.append(
        "|" + "|".join("---" if i in text_columns else "---:" for i in range(len(header))) + "|"
    )
    rows = []
    spend = spend_formats(card)
    for total in card.totals:
        cells = [escape_markdown(cell) for cell in _cells(card, total, spend, total=True)]
        rows.append("| **total** | " + " | ".join(cells) + " |")
    for row in card.rows:
        cells = [escape_markdown(cell) for cell in (row.group, *_cells(card, row, spend))]
        if row.breaches:
            cells[-1] = f"**{cells[-1]}**"
        rows.append("| " + " | ".join(cells) + " |")
    notes = []
    for note, items in _notes(card):
        notes.append(f"- {escape_markdown(note, table_cell=False)}")
        notes += (f"  - {escape_markdown(item, table_cell=False)}" for item in items)
    return _within_limit(head, rows, notes)


def _within_limit(head: list[str], rows: list[str], notes: list[str]) -> str:
    """The markdown of `head`, `rows` and `notes` (a list after a blank line), whole if
    it fits in GITHUB_COMMENT_LIMIT; else as many rows, then notes, as fit with a last note
    that says how many were left out."""
    whole = "\n".join([*head, *rows, *(["", *notes] if notes else [])]) + "\n"
    if github_length(whole) <= GITHUB_COMMENT_LIMIT:
        return whole
    # Room for the note on what was left out (its numbers are at most 20 digits each).
    room = GITHUB_COMMENT_LIMIT - github_length("\n".join(head) + "\n") - 200
    kept_rows = _fitting(rows, room)
    room -= sum(github_length(line) + 1 for line in kept_rows) + 1  # and the blank line
    kept_notes = _fitting(notes, room)
    cut = [
        f"{len(lines) - len(kept):,} of {counted(len(lines), what)}"
        for what, lines, kept in (("row", rows, kept_rows), ("note", notes, kept_notes))
        if len(kept) < len(lines)
    ]
    left_out = (
        f"- Cut to GitHub's {GITHUB_COMMENT_LIMIT:,}-character limit: {' and '.join(cut)} left "
        "out; the csv, json and html formats have them all."
    )
    return "\n".join([*head, *kept_rows, "", *kept_notes, left_out]) + "\n"


def _fitting(lines: list[str], room: int) -> list[str]:
    """The first of `lines` that fit in `room` characters, a line break after each."""
    kept: list[str] = []
    for line in lines:
        room -= github_length(line) + 1
        if room < 0:
            break
        kept.append(line)
    return kept


# --- json and csv --------------------------------------------------------------------


@renderer("json")
def render_json(card: Scorecard) -> str:
    return json.dumps(card.to_json(), indent=2, ensure_ascii=False) + "\n"


def _exact(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{round_half_even(value, NINE_PLACES):f}"


CSV_COLUMNS = (
    "row",
    "group",
    "period",
    "first_day",
    "last_day",
    "tickets",
    "resolved",
    "untimed",
    "escalated",
    "auto_resolved",
    "retries",
    "llm_calls",
    "ai_cost",
    "human_cost",
    "overhead",
    "cost_per_ticket",
    "cost_per_resolution",
    "fully_loaded_cost_per_resolution",
    "resolution_rate",
    "auto_resolution_rate",
    "escalation_rate",
    "retries_per_ticket",
    "budget",
    "budget_fully_loaded",
    "cost_per_resolution_change",
    "auto_resolution_rate_change",
    "escalation_rate_change",
    "breaches",
)


@renderer("csv")
def render_csv(card: Scorecard) -> str:
    """One row per group and period (`row` is `group`), then one per period for all
    groups together (`row` is `total`, the group empty). Texts are spreadsheet-safe
    (`spreadsheet_text`: no formula, no line break, so no cell needs quoting across
    lines); numbers are written as numbers, a negative change with its minus sign."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    tiers = [spreadsheet_text(f"share_{tier or 'untiered'}") for tier in card.tiers]
    writer.writerow([card.dimension if c == "group" else c for c in CSV_COLUMNS] + tiers)
    for kind, row in [*(("group", row) for row in card.rows), *(("total", t) for t in card.totals)]:
        budget = row.limits.budget
        shares = dict(row.tier_shares)
        first, last = card.days(row.period)
        writer.writerow(
            [
                kind,
                spreadsheet_text(row.group),
                row.period.isoformat(),
                first.isoformat(),
                last.isoformat(),
                row.tickets,
                row.resolved,
                row.untimed,
                row.escalated,
                row.auto_resolved,
                row.retries,
                row.llm_calls,
                _exact(row.ai_cost),
                _exact(row.human_cost),
                _exact(row.overhead),
                _exact(row.cost_per_ticket),
                _exact(row.cost_per_resolution),
                _exact(row.fully_loaded_cost_per_resolution),
                _exact(row.resolution_rate),
                _exact(row.auto_resolution_rate),
                _exact(row.escalation_rate),
                _exact(row.retries_per_ticket),
                _exact(budget.cost_per_resolution) if budget else "",
                ("true" if budget.fully_loaded else "false") if budget else "",
                _exact(row.cost_per_resolution_change),
                _exact(row.auto_resolution_rate_change),
                _exact(row.escalation_rate_change),
                spreadsheet_text("; ".join(row.breaches)),
                *(_exact(shares.get(tier)) for tier in card.tiers),
            ]
        )
    return buffer.getvalue()


# A cell that starts with one of these is a formula to Excel, LibreOffice and Google
# Sheets (OWASP, "CSV Injection"); a tab or a carriage return first hides one.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(text: str) -> str:
    """A text cell of the CSV: a single quote before a cell a spreadsheet would run as a
    formula (OWASP's advice; the quote shows the text as text), then shown escaped, so
    that the cell holds no line break, tab or control character. For text only: a
    number cprlint writes, such as a change of -3.2, stays a number."""
    guarded = "'" + text if text.startswith(_FORMULA_STARTS) else text
    return shown(guarded)
