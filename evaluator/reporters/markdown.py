"""`--format markdown`: a report to paste into a pull request or a job summary."""

from __future__ import annotations

from cprlint.findings import Finding, Severity
from cprlint.report import Report
from cprlint.reporters.base import RenderOptions, plural

# Rows of findings shown before "and N more"; keeps comments readable and small.
MAX_FINDING_ROWS = 50
_ICON = {Severity.ERROR: "❌", Severity.WARNING: "⚠️"}


def escape_cell(text: str) -> str:
    """Make text safe inside a table cell: no pipes, newlines or stray HTML."""
    return (
        text.replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\r", " ")
        .replace("\n", " ")
    )


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
        where = f"`{options.repo_path(finding.path)}:{finding.line}`"
        message = escape_cell(finding.message)
        if finding.waived_by:
            message += f" (waived by `{escape_cell(finding.waived_by)}`)"
        lines.append(f"| {icon} | {finding.rule} | {where} | {message} |")
    if len(findings) > MAX_FINDING_ROWS:
        lines.append(f"\n…and {len(findings) - MAX_FINDING_ROWS} more (see the full report).")
    return lines


def render(report: Report, options: RenderOptions) -> str:
    ordered = sorted(
        report.findings, key=lambda f: (f.waived_by is not None, -f.severity.rank, f.sort_key)
    )
    lines = [verdict(report), ""]
    checked = (
        f"{plural(len(report.files_checked), 'file')} and "
        f"{plural(report.conversations, 'conversation')} checked"
    )
    if report.waived:
        checked += f"; {report.waived} waived"
    lines += [checked + ".", ""]
    table = findings_table(ordered, options)
    if table:
        lines += [*table, ""]
    return "\n".join(lines)
