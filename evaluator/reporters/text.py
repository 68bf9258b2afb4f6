"""`--format text`: findings grouped by file, for people at a terminal or in a CI log.

Rendered with rich; styles only when `RenderOptions.color` is set (a terminal, and no
NO_COLOR), so logs and files stay plain text.
"""

from __future__ import annotations

import io
from collections import defaultdict
from decimal import Decimal
from typing import Any

from cprlint.findings import Finding, Severity
from cprlint.money import format_amount, format_rate
from cprlint.report import Report
from cprlint.reporters.base import RenderOptions, plural, shown
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


def findings_lines(findings: list[Finding]) -> list[Line]:
    by_path: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_path[finding.path].append(finding)
    lines: list[Line] = []
    for path in sorted(by_path):
        lines.append([(shown(path), "bold underline")])
        places = [
            f"{finding.line}:{finding.column}" if finding.column else str(finding.line)
            for finding in by_path[path]
        ]
        width = max(8, *(len(place) + 1 for place in places))
        for finding, place in zip(by_path[path], places, strict=True):
            line = [("  ", ""), (f"{place:<{width}}", "dim")]
            if finding.waived_by:
                line.append((f"{'waived':<8}", "dim"))
            else:
                line.append((f"{finding.severity.value:<8}", _SEVERITY_STYLE[finding.severity]))
            line += [(f"{finding.rule}  ", "cyan"), (shown(finding.message), "")]
            if finding.waived_by:
                line.append((f"  (waived by {shown(finding.waived_by)})", "dim"))
            lines.append(line)
        lines.append([])
    return lines


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


def _amount(value: float | int | None, currency: str) -> str:
    return format_amount(None if value is None else Decimal(str(value)), currency)


def _scope_table(title: str, rows: dict[str, dict[str, Any]], currency: str) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for header, justify in (
        ("", "left"),
        ("conversations", "right"),
        ("resolution rate", "right"),
        ("AI cost", "right"),
        ("cost/resolution", "right"),
        ("budget", "right"),
        ("status", "left"),
    ):
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    for name, row in rows.items():
        label, style = _STATUS.get(row.get("budget_status", "none"), ("", ""))
        table.add_row(
            Text(shown(name)),  # (a str would be read as rich markup: "[/x]" is an error)
            f"{row['conversations']:,}",
            format_rate(Decimal(str(row["resolution_rate"]))),
            _amount(row["ai_cost"], currency),
            _amount(row["cost_per_resolution"], currency),
            "" if row.get("budget") is None else _amount(row["budget"], currency),
            Text(label, style=style),
        )
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
        traffic = view.get("traffic")
        if traffic and traffic.get("projected_monthly_ai_cost") is not None:
            line = Text(
                f"Projected monthly AI cost: {_amount(traffic['projected_monthly_ai_cost'], currency)} "
                f"for {traffic['monthly_tickets']:,} tickets"
            )
            if traffic.get("weighted_cost_per_resolution") is not None:
                line.append(
                    f"; cost per resolution weighted by the traffic mix: "
                    f"{_amount(traffic['weighted_cost_per_resolution'], currency)}"
                )
            renderables.append(line)
        fully_loaded = summary.get("fully_loaded_cost_per_resolution")
        renderables.append(
            Text(
                f"Human cost {_amount(summary['human_cost'], currency)}; fully loaded cost per "
                f"resolution {_amount(fully_loaded, currency)}",
                style="dim",
            )
        )
        renderables.append(Text(""))
    return renderables


def render(report: Report, options: RenderOptions) -> str:
    buffer = io.StringIO()
    console = console_for(buffer, options)
    if report.verdict is not None:
        console.print(Text(shown(report.verdict), style="bold"))
        console.print()
    if report.metrics is not None:
        for renderable in metrics_tables(report.metrics):
            console.print(renderable)
    # A broad routing drift makes tens of thousands of findings, and rich's cost is per
    # print and per styled piece: in colour they are printed at once, plain they are
    # plain strings.
    lines = findings_lines(list(report.findings))
    if options.color:
        if lines:
            console.print(Text("\n").join(Text.assemble(*line) for line in lines))
    else:
        buffer.write("".join("".join(text for text, _ in line) + "\n" for line in lines))
    console.print(summary_line(report))
    if report.verdict is not None:
        console.print(Text(shown(report.verdict), style="bold"))
    return buffer.getvalue()
