"""What a run produced: the findings and (for `check`) the numbers, ready for reporters."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from cprlint import __version__
from cprlint.errors import ExitCode
from cprlint.findings import Finding, Severity


@dataclass(frozen=True)
class Report:
    command: str
    # Sorted; a tuple, or past what memory should hold a `finding_store.SortedFindings`,
    # which reads them from disk on each pass: iterate, never copy them into a list.
    findings: Sequence[Finding]
    files_checked: tuple[str, ...] = ()
    conversations: int = 0
    tool_version: str = __version__
    # Filled by `check`: the JSON report's metric sections (SPEC §6), already rounded.
    metrics: dict[str, Any] | None = None
    # One line that decides the run (`gate`), shown first by the text and markdown formats.
    verdict: str | None = None

    def active_findings(self) -> Iterator[Finding]:
        """The findings no waiver accepted, in order."""
        return (finding for finding in self.findings if finding.waived_by is None)

    def count(self, severity: Severity) -> int:
        return sum(1 for finding in self.active_findings() if finding.severity is severity)

    @property
    def waived(self) -> int:
        return sum(1 for finding in self.findings if finding.waived_by is not None)


def exit_code_for(findings: Iterable[Finding], fail_on: str) -> ExitCode:
    """1 when a finding that is not waived is at or above `fail_on`, else 0."""
    if fail_on == "never":
        return ExitCode.OK
    threshold = Severity.WARNING.rank if fail_on == "warning" else Severity.ERROR.rank
    for finding in findings:
        if finding.waived_by is None and finding.severity.rank >= threshold:
            return ExitCode.FINDINGS
    return ExitCode.OK
