"""`--format text`: findings grouped by file, for people at a terminal or in a CI log.

Rendered with rich; styles only when `RenderOptions.color` is set (a terminal, and no
NO_COLOR), so logs and files stay plain text.
"""

from __future__ import annotations

import io
import itertools
from collections import defaultdict
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from cprlint.findings import Finding, Severity
from cprlint.money import compared_amounts, format_amount
from cprlint.report import Report
from cprlint.reporters.base import RenderOptions, pct_text, plural, shown
from cprlint.reporters.comparison import (
    NEW_IN_PULL_REQUEST,
    change_text_lines,
    monthly_words,
    policy_changes_heading,
)
from cprlint.reporters.tables import (
    ScopeTable,
    compared_table,
    compared_title,
    overhead_line,
    resolution_line,
    scope_table,
    traffic_line,
)
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

_SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow"}


def console_for(buffer: io.StringIO, options: RenderOptions) -> Console:
    return Console(
        file=buffer,
        force_terminal=options.color,
        no_color=not options.color,
        color_system="standard" if options.color else None,
        highlight=False,
        width=120,
        soft_wrap=True,
    )


# A line of the findings: its pieces and their styles ("" for none).
Line = list[tuple[str, str]]


def findings_lines(findings: Sequence[Finding]) -> Iterator[Line]:
    """The findings file by file, files in order, each file's in the report's order.

    Read in two passes (a report's findings may be on disk, `Report.findings`): the first
    finds each file's column width; the second writes. Findings not grouped by file
    (an import's) are grouped in memory first."""
    widths: dict[str, int] = {}
    grouped, last_path = True, ""
    for finding in findings:
        path = finding.path
        if path < last_path:
            grouped = False
        last_path = path
        width = len(finding.location.place) + 1
        if width > widths.get(path, 8):
            widths[path] = width
    if not grouped:
        by_path: dict[str, list[Finding]] = defaultdict(list)
        for finding in findings:
            by_path[finding.path].append(finding)
        findings = [finding for path in sorted(by_path) for finding in by_path[path]]
    current: str | None = None
    for finding in findings:
        if finding.path != current:
            if current is not None:
                yield []
            current = finding.path
            yield [(shown(current), "bold underline")]
        width = widths.get(current, 8)
        line = [("  ", ""), (f"{finding.location.place:<{width}}", "dim")]
        if finding.waived_by:
            line.append((f"{'waived':<8}", "dim"))
        else:
            line.append((f"{finding.severity.value:<8}", _SEVERITY_STYLE[finding.severity]))
        line += [(f"{finding.rule}  ", "cyan"), (shown(finding.message), "")]
        if finding.waived_by:
            line.append((f"  (waived by {shown(finding.waived_by)})", "dim"))
        yield line
    if current is not None:
        yield []


def summary_line(report: Report) -> Text:
    errors, warnings = report.count(Severity.ERROR), report.count(Severity.WARNING)
    checked = f"{plural(len(report.files_checked), 'file')}, {plural(report.conversations, 'conversation')} checked"
    if not errors and not warnings:
        text = Text("✓ ", style="bold green")
        text.append(f"no findings ({checked})")
    else:
        text = Text("✗ ", style="bold red" if errors else "yellow")
        text.append(f"{plural(errors, 'error')}, {plural(warnings, 'warning')} ({checked})")
    if report.waived:
        text.append(f"; {report.waived} waived", style="dim")
    return text


_STATUS = {
    "ok": ("✓ within", "green"),
    "over": ("✗ over", "bold red"),
    "no resolutions": ("✗ n/a", "bold red"),
}
_SCOPE_TITLES = (
    ("intents", "By intent"),
    ("queues", "By queue"),
    ("automation", "By automation mode"),
)


def _scope_table(title: str, rows: dict[str, dict[str, Any]], currency: str) -> Table:
    return _table(title, scope_table(rows, currency))


def _table(title: str, figures: ScopeTable) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for column in figures.columns:
        table.add_column(column.header, justify="right" if column.numeric else "left")
    judged = any(status != "none" for status in figures.statuses)
    if judged:
        table.add_column("status", justify="left")
    for cells, status in zip(figures.rows, figures.statuses, strict=True):
        label, style = _STATUS.get(status, ("", ""))
        # (A name is a Text: a str would be read as rich markup, and "[/x]" is an error.)
        status_cell = [Text(label, style=style)] if judged else []
        table.add_row(Text(shown(cells[0])), *cells[1:], *status_cell)
    return table


def metrics_tables(metrics: dict[str, Any]) -> list[Any]:
    currency = metrics.get("currency", "USD")
    renderables: list[Any] = []
    for name, view in metrics.get("policies", {}).items():
        summary = view["summary"]
        heading = Text(f"Policy {shown(name)}", style="bold")
        heading.append(f"  ({shown(view['path'])})", style="dim")
        renderables.append(heading)
        renderables.append(_scope_table("Overall", {"all conversations": summary}, currency))
        for key, title in _SCOPE_TITLES:
            if view[key]:
                renderables.append(_scope_table(title, view[key], currency))
        projection = traffic_line(view.get("traffic"), currency)
        if projection:
            renderables.append(Text(shown(projection)))
        renderables.append(
            Text(
                f"Human cost {format_amount(Decimal(str(summary['human_cost'])), currency)}",
                style="dim",
            )
        )
        for line in (
            overhead_line(view.get("overhead"), currency),
            resolution_line(view.get("resolution")),
        ):
            if line:
                renderables.append(Text(shown(line), style="dim"))
        compared = view.get("compare_with")
        table = compared_table(compared, currency)
        if compared and table:
            renderables.append(_table(shown(compared_title(compared, currency)), table))
        renderables.append(Text(""))
    return renderables


def comparison_lines(comparison: dict[str, Any], currency: str) -> list[Text]:
    """What the comparison with a base says: the headline change, the monthly spend, the
    policy changes (or that cprlint is new in this pull request)."""
    if comparison.get("status") == "new":
        return [Text(shown(NEW_IN_PULL_REQUEST.format(base=comparison["base"]))), Text("")]
    change = comparison["summary"]
    base, head = compared_amounts((change["base"], change["head"]), currency)
    interval = (
        ""
        if not change["ci95"]
        else f", 95% CI {change['ci95'][0]:+.1f}% … {change['ci95'][1]:+.1f}%"
    )
    pct = pct_text(change["delta_pct"])
    heading = Text(f"Against {shown(comparison['base'])}", style="bold")
    lines = [
        heading,
        Text(
            f"Cost per resolution {base} → {head} ({pct}{interval}) over "
            f"{change['conversations']:,} conversations"
        ),
    ]
    monthly = monthly_words(comparison.get("monthly"), currency)
    if monthly:
        lines.append(Text(f"Projected monthly AI spend {monthly}"))
    changes = comparison.get("policy_changes") or []
    if changes:
        lines.append(Text(policy_changes_heading(changes)))
        lines += [Text(shown(line)) for line in change_text_lines(changes)]
    return [*lines, Text("")]


def pieces(report: Report, options: RenderOptions) -> Iterator[str]:
    """The report a piece at a time: the findings a thousand lines a piece, so that a
    report of a million findings is never one string (in colour, rich prints them all
    at once: a terminal is not where such a report is read)."""
    buffer = io.StringIO()
    console = console_for(buffer, options)
    if report.verdict is not None:
        console.print(Text(shown(report.verdict), style="bold"))
        console.print()
    if report.metrics is not None:
        for renderable in metrics_tables(report.metrics):
            console.print(renderable)
        comparison = report.metrics.get("comparison")
        if comparison:
            for line in comparison_lines(comparison, report.metrics.get("currency", "USD")):
                console.print(line)
    # A broad routing drift makes tens of thousands of findings, and rich's cost is per
    # print and per styled piece: in colour they are printed at once, plain they are
    # plain strings.
    lines = findings_lines(report.findings)
    if options.color:
        styled = [Text.assemble(*line) for line in lines]
        if styled:
            console.print(Text("\n").join(styled))
    else:
        yield _taken(buffer)
        for chunk in iter(lambda: list(itertools.islice(lines, 1000)), []):
            yield "".join("".join(text for text, _ in line) + "\n" for line in chunk)
    console.print(summary_line(report))
    if report.verdict is not None:
        console.print(Text(shown(report.verdict), style="bold"))
    yield _taken(buffer)


def _taken(buffer: io.StringIO) -> str:
    """What was written to `buffer` so far; it is then empty."""
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def render(report: Report, options: RenderOptions) -> str:
    return "".join(pieces(report, options))
