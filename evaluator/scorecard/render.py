"""The scorecard's output formats: a registry of renderers, Scorecard -> text.

text and markdown are for people (a table per group, rounded as the SPEC rounds money),
json and csv for programs (9 decimals, nothing rounded away that matters), html is one
self-contained page with the trend charts (`html.py`). Names from the logs and the
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
from cprlint.reporters.base import escape_markdown, shown
from cprlint.scorecard.card import Row, Scorecard

Renderer = Callable[[Scorecard], str]
RENDERERS: dict[str, Renderer] = {}

_DIMENSION_WORDS = {
    "project": "project",
    "queue": "queue",
    "intent": "intent",
    "automation": "automation mode",
}
_PERIOD_WORDS = {"day": "daily", "week": "weekly", "month": "monthly"}


def renderer(name: str) -> Callable[[Renderer], Renderer]:
    def register(function: Renderer) -> Renderer:
        RENDERERS[name] = function
        return function

    return register


def render(card: Scorecard, output_format: str) -> str:
    if output_format == "html":
        from cprlint.scorecard.html import render_html  # its own module: the charts

        return render_html(card)
    return RENDERERS[output_format](card)


# --- shared wording ----------------------------------------------------------------


def title(card: Scorecard) -> str:
    periods = card.periods
    span = f", {periods[0]} to {periods[-1]}" if periods else ""
    return f"Scorecard by {_DIMENSION_WORDS[card.dimension]}, {_PERIOD_WORDS[card.period]}{span}"


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


HEADERS = (
    "period",
    "tickets",
    "resolved",
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


def _cells(card: Scorecard, row: Row) -> list[str]:
    return [
        row.period.isoformat(),
        f"{row.tickets:,}",
        f"{row.resolved:,}",
        format_cost(row.cost_per_ticket, card.currency),
        format_cost(row.cost_per_resolution, card.currency),
        format_cost(row.fully_loaded_cost_per_resolution, card.currency),
        format_rate(row.auto_resolution_rate),
        format_rate(row.escalation_rate),
        "n/a" if row.retries_per_ticket is None else f"{row.retries_per_ticket:.2f}",
        _signed_pct(row.cost_per_resolution_change),
        _budget(card, row),
        _shares(row),
        _status(row),
    ]


def _notes(card: Scorecard) -> list[str]:
    notes = []
    if card.undated_tickets:
        notes.append(f"{card.undated_tickets:,} tickets have no `started_at` and are in no period.")
    for item in card.unpriced:
        where = f" (policy {item.policy})" if item.policy else ""
        notes.append(
            f"{item.calls:,} calls to `{item.model or '(no model)'}`{where} have no price "
            "and count as zero: add the model to the policy's pricing.models."
        )
    if card.catalog_version:
        notes.append(
            f"Prices: the policy's, else genai-prices {card.catalog_version} "
            f"as of {card.prices_as_of}."
        )
    return notes


# --- text and markdown --------------------------------------------------------------


@renderer("text")
def render_text(card: Scorecard) -> str:
    lines = [title(card), ""]
    if not card.rows:
        lines.append("No tickets in the logs for this range.")
    for group in card.groups:
        rows = card.rows_of(group)
        breaches = sum(1 for row in rows if row.breaches)
        mark = f"  ({breaches} period{'s' if breaches != 1 else ''} off limits)" if breaches else ""
        lines.append(f"{_DIMENSION_WORDS[card.dimension]} {shown(group)}{mark}")
        table = [list(HEADERS), *([shown(cell) for cell in _cells(card, row)] for row in rows)]
        widths = [max(len(line[i]) for line in table) for i in range(len(HEADERS))]
        for cells in table:
            padded = [
                cell.ljust(width) if i in (0, 11, 12) else cell.rjust(width)
                for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
            ]
            lines.append("  " + "  ".join(padded).rstrip())
        lines.append("")
    lines += (shown(note) for note in _notes(card))
    return "\n".join(lines).rstrip() + "\n"


# GitHub takes at most 65,536 characters in a comment (a job summary may be 1 MiB): the
# markdown is cut to fit, whole rows and notes left out from the end, and says so.
MARKDOWN_LIMIT = 65_536


def _github_length(text: str) -> int:
    """Characters as GitHub counts them against its limit (UTF-16 code units, as a
    browser does: a character beyond U+FFFF counts twice, which never undercounts)."""
    return len(text.encode("utf-16-le")) // 2


@renderer("markdown")
def render_markdown(card: Scorecard) -> str:
    head = [f"### {title(card)}", ""]
    if not card.rows:
        head.append("No tickets in the logs for this range.")
    header = (_DIMENSION_WORDS[card.dimension], *HEADERS)
    head.append("| " + " | ".join(header) + " |")
    head.append(
        "|" + "|".join("---" if i in (0, 1, 12, 13) else "---:" for i in range(len(header))) + "|"
    )
    rows = []
    for row in card.rows:
        cells = [escape_markdown(cell) for cell in (row.group, *_cells(card, row))]
        if row.breaches:
            cells[-1] = f"**{cells[-1]}**"
        rows.append("| " + " | ".join(cells) + " |")
    notes = [f"- {escape_markdown(note, table_cell=False)}" for note in _notes(card)]
    return _within_limit(head, rows, notes)


def _within_limit(head: list[str], rows: list[str], notes: list[str]) -> str:
    """The markdown of `head`, `rows` and `notes` (a list after a blank line), whole if
    it fits in MARKDOWN_LIMIT; else as many rows, then notes, as fit with a last note
    that says how many were left out."""
    whole = "\n".join([*head, *rows, *(["", *notes] if notes else [])]) + "\n"
    if _github_length(whole) <= MARKDOWN_LIMIT:
        return whole
    # Room for the note on what was left out (its numbers are at most 20 digits each).
    room = MARKDOWN_LIMIT - _github_length("\n".join(head) + "\n") - 200
    kept_rows = _fitting(rows, room)
    room -= sum(_github_length(line) + 1 for line in kept_rows) + 1  # and the blank line
    kept_notes = _fitting(notes, room)
    cut = [
        f"{len(lines) - len(kept):,} of {len(lines):,} {what}"
        for what, lines, kept in (("rows", rows, kept_rows), ("notes", notes, kept_notes))
        if len(kept) < len(lines)
    ]
    left_out = (
        f"- Cut to GitHub's {MARKDOWN_LIMIT:,}-character limit: {' and '.join(cut)} left "
        "out; the csv, json and html formats have them all."
    )
    return "\n".join([*head, *kept_rows, "", *kept_notes, left_out]) + "\n"


def _fitting(lines: list[str], room: int) -> list[str]:
    """The first of `lines` that fit in `room` characters, a line break after each."""
    kept: list[str] = []
    for line in lines:
        room -= _github_length(line) + 1
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
    "group",
    "period",
    "tickets",
    "resolved",
    "escalated",
    "auto_resolved",
    "retries",
    "llm_calls",
    "ai_cost",
    "human_cost",
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
    """One row per group and period. Texts are spreadsheet-safe (`spreadsheet_text`: no
    formula, no line break, so no cell needs quoting across lines); numbers are written
    as numbers, a negative change with its minus sign."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    tiers = [spreadsheet_text(f"share_{tier or 'untiered'}") for tier in card.tiers]
    writer.writerow([card.dimension if c == "group" else c for c in CSV_COLUMNS] + tiers)
    for row in card.rows:
        budget = row.limits.budget
        shares = dict(row.tier_shares)
        writer.writerow(
            [
                spreadsheet_text(row.group),
                row.period.isoformat(),
                row.tickets,
                row.resolved,
                row.escalated,
                row.auto_resolved,
                row.retries,
                row.llm_calls,
                _exact(row.ai_cost),
                _exact(row.human_cost),
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
