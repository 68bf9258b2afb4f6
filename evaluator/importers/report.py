"""What `cprlint import` reports: its findings, and one line on what it imported.

The line names the conversations, calls and files, and how many of each kind of personal
data were replaced; the JSON report carries the same numbers under `import`. Findings
never quote personal data: what their messages quote from traces is masked.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from cprlint.documents import read_text
from cprlint.findings import Finding
from cprlint.importers.invocation import invocation_error
from cprlint.importers.run import ImportRequest, ImportResult
from cprlint.pii import CARD, EMAIL, IBAN, NAME, PHONE, mask_personal_data
from cprlint.report import Report

# Kind of personal data -> (JSON key, singular, plural), in the order they are reported.
REDACTED_KINDS = {
    EMAIL: ("email", "e-mail address", "e-mail addresses"),
    PHONE: ("phone", "phone number", "phone numbers"),
    CARD: ("card", "payment card number", "payment card numbers"),
    IBAN: ("iban", "IBAN", "IBANs"),
    NAME: ("name", "name", "names"),
}


def read_names(path: Path) -> tuple[str, ...]:
    """A names file: one name a line; blank lines and `#` comments are ignored."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise invocation_error(f"--names {path}: cannot read it: {error.strerror}") from error
    text, problems = read_text(str(path), raw)
    if text is None:
        raise invocation_error(f"{problems[0].location}: {problems[0].message}")
    return tuple(
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )


def without_personal_data(finding: Finding) -> Finding:
    """`finding` with the personal data its message may quote from a trace (a time, a
    token count, a URL, a label value, cut short or not) replaced by its kind, `<EMAIL>`:
    with or without --no-redact, a report is shown and kept where fixtures are not."""
    message = mask_personal_data(finding.message)
    return finding if message == finding.message else replace(finding, message=message)


def _count(number: int, singular: str, plural: str) -> str:
    return f"{number:,} {singular if number == 1 else plural}"


def summary_line(request: ImportRequest, result: ImportResult) -> str:
    stats = result.stats
    calls = _count(stats.llm_calls, "LLM call", "LLM calls")
    if stats.calls_without_usage:
        calls += f", {stats.calls_without_usage:,} without usage"
    line = (
        f"imported {_count(stats.conversations, 'conversation', 'conversations')} ({calls}, "
        f"{_count(stats.tool_calls, 'tool call', 'tool calls')}) from "
        f"{_count(len(result.files), 'file', 'files')} into {request.output}"
    )
    if result.redacted is None:
        return line + "; personal data NOT redacted (--no-redact)"
    counts = ", ".join(
        _count(result.redacted.get(kind, 0), singular, plural)
        for kind, (_, singular, plural) in REDACTED_KINDS.items()
    )
    return f"{line}; redacted {counts}"


def import_report(request: ImportRequest, result: ImportResult) -> Report:
    redaction: dict[str, Any] | None = None
    if result.redacted is not None and result.distinct is not None:
        redaction = {
            key: {
                "replaced": result.redacted.get(kind, 0),
                "distinct": result.distinct.get(kind, 0),
            }
            for kind, (key, _, _) in REDACTED_KINDS.items()
        }
    stats = result.stats
    return Report(
        command="import",
        findings=tuple(without_personal_data(finding) for finding in result.findings),
        files_checked=result.files,
        conversations=stats.conversations,
        verdict=summary_line(request, result),
        metrics={
            "import": {
                "format": request.format,
                "output": str(request.output),
                "files": len(result.files),
                "conversations": stats.conversations,
                "llm_calls": stats.llm_calls,
                "calls_without_usage": stats.calls_without_usage,
                "tool_calls": stats.tool_calls,
                "redaction": redaction,
            }
        },
    )
