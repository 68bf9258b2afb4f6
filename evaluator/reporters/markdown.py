"""`--format markdown`: a report to paste into a pull request or a job summary."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from cprlint.findings import Finding, Severity
from cprlint.money import format_amount, format_rate
from cprlint.report import Report
from cprlint.reporters.base import RenderOptions, escape_markdown, plural
from cprlint.reporters.comment import render_comment

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


def findings_table(findings: list[Finding], options: RenderOptions) -> list[str]:
    if not findings:
        return []
    lines = ["| | Rule | Where | Finding |", "|---|---|---|---|"]
    for finding in findings[:MAX_FINDING_ROWS]:
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


def _amount(value: float | int | None, currency: str) -> str:
    return format_amount(None if value is None else Decimal(str(value)), currency)


def metrics_section(metrics: dict[str, Any]) -> list[str]:
    """Per policy: the headline cost per resolution, then one table per scope."""
    currency = metrics.get("currency", "USD")
    lines: list[str] = []
    for name, view in metrics.get("policies", {}).items():
        summary = view["summary"]
        headline = (
            f"**{escape_markdown(name)}**: cost per resolution "
            f"**{_amount(summary['cost_per_resolution'], currency)}**"
        )
        if summary.get("budget") is not None:
            headline += f" (budget {_amount(summary['budget'], currency)}, {_STATUS[summary['budget_status']]})"
        headline += (
            f" over {summary['conversations']:,} conversations, "
            f"{format_rate(Decimal(str(summary['resolution_rate'])))} resolved, "
            f"AI cost {_amount(summary['ai_cost'], currency)}"
        )
        lines += [headline, ""]
        for key, title in (
            ("intents", "Intent"),
            ("queues", "Queue"),
            ("automation", "Automation"),
        ):
            if not view[key]:
                continue
            lines += [
                f"| {title} | Conversations | Resolved | AI cost | Cost/resolution | Budget | Status |",
                "|---|---:|---:|---:|---:|---:|---|",
            ]
            for scope, row in view[key].items():
                budget = "" if row.get("budget") is None else _amount(row["budget"], currency)
                lines.append(
                    f"| {escape_markdown(scope)} | {row['conversations']:,} | "
                    f"{format_rate(Decimal(str(row['resolution_rate'])))} | "
                    f"{_amount(row['ai_cost'], currency)} | "
                    f"{_amount(row['cost_per_resolution'], currency)} | {budget} | "
                    f"{_STATUS[row.get('budget_status', 'none')]} |"
                )
            lines.append("")
    return lines


def render(report: Report, options: RenderOptions) -> str:
    if report.metrics is not None and report.metrics.get("comparison"):
        return render_comment(report, options)
    ordered = sorted(report.findings, key=lambda finding: (*finding.rank, finding.sort_key))
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
    table = findings_table(ordered, options)
    if table:
        lines += [*table, ""]
    return "\n".join(lines)
