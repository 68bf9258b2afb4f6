"""`--format text`: findings grouped by file, for people at a terminal or in a CI log.

Rendered with rich; styles only when `RenderOptions.color` is set (a terminal, and no
NO_COLOR), so logs and files stay plain text.
"""

from __future__ import annotations

import io
from collections import defaultdict

from cprlint.findings import Finding, Severity
from cprlint.report import Report
from cprlint.reporters.base import RenderOptions, plural
from rich.console import Console
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


def findings_text(findings: list[Finding]) -> list[Text]:
    by_path: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_path[finding.path].append(finding)
    lines: list[Text] = []
    for path in sorted(by_path):
        lines.append(Text(path, style="bold underline"))
        for finding in by_path[path]:
            place = f"{finding.line}:{finding.column}" if finding.column else str(finding.line)
            line = Text("  ")
            line.append(f"{place:<8}", style="dim")
            if finding.waived_by:
                line.append(f"{'waived':<8}", style="dim")
            else:
                line.append(f"{finding.severity.value:<8}", style=_SEVERITY_STYLE[finding.severity])
            line.append(f"{finding.rule}  ", style="cyan")
            line.append(finding.message)
            if finding.waived_by:
                line.append(f"  (waived by {finding.waived_by})", style="dim")
            lines.append(line)
        lines.append(Text(""))
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


def render(report: Report, options: RenderOptions) -> str:
    buffer = io.StringIO()
    console = console_for(buffer, options)
    for line in findings_text(list(report.findings)):
        console.print(line)
    console.print(summary_line(report))
    return buffer.getvalue()
