"""`--format json`: the machine-readable report of SPEC §6."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cprlint.findings import Severity
from cprlint.report import Report
from cprlint.reporters.base import Items, RenderOptions, json_pieces


def report_dict(report: Report) -> dict[str, Any]:
    result: dict[str, Any] = {
        "version": 1,
        "tool": {"name": "cprlint", "version": report.tool_version},
    }
    if report.metrics is not None:
        tool_extra = report.metrics.get("tool", {})
        result["tool"].update(tool_extra)
        result.update({key: value for key, value in report.metrics.items() if key != "tool"})
    if report.verdict is not None:
        result["verdict"] = report.verdict
    result["findings"] = Items(finding.to_record() for finding in report.findings)
    result["counts"] = {
        "errors": report.count(Severity.ERROR),
        "warnings": report.count(Severity.WARNING),
        "waived": report.waived,
        "files": len(report.files_checked),
        "conversations": report.conversations,
    }
    if report.metrics is not None and "comparison" not in result:
        result["comparison"] = None
    return result


def pieces(report: Report, options: RenderOptions) -> Iterator[str]:
    yield from json_pieces(report_dict(report))
    yield "\n"


def render(report: Report, options: RenderOptions) -> str:
    return "".join(pieces(report, options))
