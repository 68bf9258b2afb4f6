"""`--format github`: GitHub Actions workflow commands, one annotation per finding.

Values are escaped exactly as the Actions toolkit does (`%`, CR and LF in messages;
also `:` and `,` in properties), so a message can never end the command early or
inject another one. GitHub shows at most 10 error and 10 warning annotations per step;
past that a plain line says how many were not shown.
"""

from __future__ import annotations

from cprlint.findings import Finding, Severity
from cprlint.report import Report
from cprlint.reporters.base import RenderOptions, plural, shown

ANNOTATIONS_PER_STEP = 10


def escape_data(value: str) -> str:
    """As the Actions toolkit escapes, then every other control character (and those
    that reorder text) shown escaped: a runner's log is read in terminals too."""
    return shown(value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding, options: RenderOptions) -> str:
    properties = [
        f"file={escape_property(options.repo_path(finding.path))}",
        f"line={finding.line}",
    ]
    if finding.column is not None:
        properties.append(f"col={finding.column}")
    properties.append(f"title={escape_property(f'{finding.rule} {finding.severity.value}')}")
    return f"::{finding.severity.value} {','.join(properties)}::{escape_data(finding.message)}"


def render(report: Report, options: RenderOptions) -> str:
    lines: list[str] = []
    annotated = {Severity.ERROR: 0, Severity.WARNING: 0}
    hidden = 0
    for finding in report.active_findings():
        if annotated[finding.severity] < ANNOTATIONS_PER_STEP:
            annotated[finding.severity] += 1
            lines.append(annotation(finding, options))
        else:
            hidden += 1
    if hidden:
        lines.append(
            f"cprlint: {plural(hidden, 'more finding')} not shown as annotations "
            f"(GitHub shows {ANNOTATIONS_PER_STEP} errors and {ANNOTATIONS_PER_STEP} warnings "
            "per step); see the full report"
        )
    errors, warnings = report.count(Severity.ERROR), report.count(Severity.WARNING)
    summary = f"cprlint {report.command}: {plural(errors, 'error')}, {plural(warnings, 'warning')}"
    if report.waived:
        summary += f", {report.waived} waived"
    lines.append(shown(summary))
    return "\n".join(lines) + "\n"
