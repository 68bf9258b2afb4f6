"""`--format markdown`: a report to paste into a pull request or a job summary."""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from decimal import Decimal
from operator import attrgetter
from typing import Any

from cprlint.findings import Finding, Severity
from cprlint.money import compared_amounts, format_amount, format_rate
from cprlint.report import Report
from cprlint.reporters.base import RenderOptions, escape_markdown, plural
from cprlint.reporters.comment import MARKER, fit_to_comment, render_comment, verdict_line
from cprlint.reporters.comparison import NEW_IN_PULL_REQUEST
from cprlint.reporters.tables import (
    ScopeTable,
    compared_table,
    compared_title,
    overhead_line,
    resolution_line,
    scope_table,
    traffic_line,
)

# Rows of findings shown before "and N more"; keeps comments readable and small.
MAX_FINDING_ROWS = 50
_ICON = {Severity.ERROR: "❌", Severity.WARNING: "⚠️"}


def verdict(report: Report) -> str:
    errors, warnings = report.count(Severity.ERROR), report.count(Severity.WARNING)
    if errors:
        return f"❌ **cprlint {report.command} failed**: {plural(errors, 'error')}, {plural(warnings, 'warning')}"
    if warnings:
        return f"⚠️ **cprlint {report.command} passed with {plural(warnings, 'warning')}**"
    return f"✅ **cprlint {report.command} passed**"


def findings_table(findings: Sequence[Finding], options: RenderOptions) -> list[str]:
    """The first MAX_FINDING_ROWS findings by `Finding.rank`, in the report's order among
    equals, and how many more there are."""
    if not findings:
        return []
    lines = ["| | Rule | Where | Finding |", "|---|---|---|---|"]
    # (As `sorted(...)[:MAX_FINDING_ROWS]`, without a list of them all.)
    shown_first = heapq.nsmallest(MAX_FINDING_ROWS, findings, key=attrgetter("rank"))
    for finding in shown_first:
        icon = "💤" if finding.waived_by else _ICON[finding.severity]
        where = escape_markdown(f"`{options.repo_path(finding.path)}:{finding.line}`")
        message = escape_markdown(finding.message)
        if finding.waived_by:
            message += f" (waived by {escape_markdown(f'`{finding.waived_by}`')})"
        lines.append(f"| {icon} | {finding.rule} | {where} | {message} |")
    if len(findings) > MAX_FINDING_ROWS:
        lines.append(f"\n…and {len(findings) - MAX_FINDING_ROWS} more (see the full report).")
    return lines


_STATUS = {"ok": "✅ within", "over": "❌ over", "no resolutions": "❌ n/a", "none": ""}


def _headline(name: str, summary: dict[str, Any], currency: str) -> str:
    fully_loaded = bool(summary.get("budget_fully_loaded"))
    kind = "fully loaded cost per resolution" if fully_loaded else "cost per resolution"
    figure = summary["fully_loaded_cost_per_resolution" if fully_loaded else "cost_per_resolution"]
    cost, budget = compared_amounts((figure, summary.get("budget")), currency)
    headline = f"**{escape_markdown(name)}**: {kind} **{cost}**"
    if summary.get("budget") is not None:
        headline += f" (budget {budget}, {_STATUS[summary['budget_status']]})"
    return headline + (
        f" over {summary['conversations']:,} conversations, "
        f"{format_rate(Decimal(str(summary['resolution_rate'])))} resolved, "
        f"AI cost {format_amount(Decimal(str(summary['ai_cost'])), currency)}"
    )


def _sentence_case(header: str) -> str:
    return header[:1].upper() + header[1:]


def metrics_section(metrics: dict[str, Any]) -> list[str]:
    """Per policy: the headline cost per resolution, then one table per scope."""
    currency = metrics.get("currency", "USD")
    lines: list[str] = []
    for name, view in metrics.get("policies", {}).items():
        lines += [_headline(name, view["summary"], currency), ""]
        projection = traffic_line(view.get("traffic"), currency)
        if projection:
            lines += [escape_markdown(projection, table_cell=False), ""]
        for key, title in (
            ("intents", "Intent"),
            ("queues", "Queue"),
            ("automation", "Automation"),
        ):
            if view[key]:
                lines += _table(title, scope_table(view[key], currency))
        for line in (
            overhead_line(view.get("overhead"), currency),
            resolution_line(view.get("resolution")),
        ):
            if line:
                lines += [escape_markdown(line, table_cell=False), ""]
        compared = view.get("compare_with")
        table = compared_table(compared, currency)
        if compared and table:
            lines += [escape_markdown(compared_title(compared, currency), table_cell=False), ""]
            lines += _table("", table)
    return lines


def _table(title: str, table: ScopeTable) -> list[str]:
    """A table of figures; a status column only where some row has a budget."""
    headers = [title, *(_sentence_case(column.header) for column in table.columns[1:])]
    aligns = ["---:" if column.numeric else "---" for column in table.columns]
    judged = any(status != "none" for status in table.statuses)
    lines = [
        "| " + " | ".join(headers) + (" | Status |" if judged else " |"),
        "|" + "|".join(aligns) + ("|---|" if judged else "|"),
    ]
    for cells, status in zip(table.rows, table.statuses, strict=True):
        row = [escape_markdown(cells[0]), *cells[1:], *([_STATUS[status]] if judged else [])]
        lines.append("| " + " | ".join(row) + " |")
    return [*lines, ""]


def render(report: Report, options: RenderOptions) -> str:
    comparison = report.metrics.get("comparison") if report.metrics is not None else None
    if comparison and comparison.get("status") != "new":
        return render_comment(report, options)
    if comparison:  # the pull request that adopts cprlint: its comment, with no comparison
        base = escape_markdown(f"`{comparison['base']}`", table_cell=False)
        lines = [MARKER, verdict_line(report, comparison), ""]
        lines += [NEW_IN_PULL_REQUEST.format(base=base), ""]
    else:
        lines = [verdict(report), ""]
    checked = (
        f"{plural(len(report.files_checked), 'file')} and "
        f"{plural(report.conversations, 'conversation')} checked"
    )
    if report.waived:
        checked += f"; {report.waived} waived"
    lines += [checked + ".", ""]
    if report.metrics is not None:
        lines += metrics_section(report.metrics)
    table = findings_table(report.findings, options)
    if table:
        lines += [*table, ""]
    return fit_to_comment("\n".join(lines))
