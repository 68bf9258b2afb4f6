"""`cprlint gate ID@VERSION`: may this prompt version replace the released one?

The fixtures are replayed twice: with the version released before, and with the
candidate in its place; nothing else differs between the two replays. Before is the
version this tree releases, or, with `--base REF` (and necessarily once the candidate is
itself the released one), the version released at REF. The candidate passes when no
creep threshold and no budget is broken; the verdict is one line a release manager can
read, naming what it let through.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal

from cprlint.check import check_project, parse_prompt_overrides
from cprlint.errors import CprlintError
from cprlint.findings import Finding, Severity
from cprlint.project import Project
from cprlint.report import Report
from cprlint.reporters.base import plural

# What blocks a release: creep, budgets, and calls over the input token budget.
BLOCKING_RULES = frozenset(
    {"CPR401", "CPR402", "CPR403", "CPR404", "CPR405", "CPR504", "CPR701", "CPR702"}
)


def blocking(findings: Iterable[Finding]) -> list[Finding]:
    return [
        finding
        for finding in findings
        if finding.rule in BLOCKING_RULES
        and finding.severity is Severity.ERROR
        and finding.waived_by is None
    ]


@dataclasses.dataclass(frozen=True)
class Before:
    """What the candidate is compared with: a tree and the prompt versions it replays."""

    tree: Project
    overrides: dict[str, str]
    prompt_id: str
    version: str
    at: str | None = None  # the git ref it was released at, when not this tree

    @property
    def version_label(self) -> str:
        """ "v1", or "v1 at main"."""
        return self.version if self.at is None else f"{self.version} at {self.at}"

    @property
    def label(self) -> str:
        return f"{self.prompt_id}@{self.version_label}"


def version_before(
    project: Project, prompt_id: str, version: str, base: Project | None, base_label: str
) -> Before:
    """The released version the candidate would replace: this tree's, or the base's."""
    released = project.prompts[prompt_id].released
    if base is None:
        if version == released:
            raise CprlintError(
                f"{prompt_id}@{version} is already the released version in this tree; "
                "give --base REF to compare it with the version released there"
            )
        return Before(project, {}, prompt_id, released or "?")
    base_prompt = base.prompts.get(prompt_id)
    if base_prompt is None or base_prompt.released_version is None:
        raise CprlintError(
            f"prompt `{prompt_id}` has no released version at {base_label}: nothing to compare "
            f"{prompt_id}@{version} with"
        )
    candidate = project.prompts[prompt_id].versions[version]
    before = base_prompt.released_version
    if before.version == version and before.template == candidate.template:
        raise CprlintError(
            f"{prompt_id}@{version} is already released at {base_label}: nothing to gate"
        )
    # The work tree with only this prompt as the base had it: the one change compared.
    tree = dataclasses.replace(project, prompts={**project.prompts, prompt_id: base_prompt})
    return Before(tree, {}, prompt_id, before.version, at=base_label)


def gate_prompt(
    project: Project,
    candidate: str,
    *,
    today: dt.date,
    base: Project | None = None,
    base_label: str = "base",
) -> tuple[Report, bool]:
    overrides = parse_prompt_overrides((candidate,), project)
    prompt_id, version = next(iter(overrides.items()))
    before = version_before(project, prompt_id, version, base, base_label)
    report = check_project(
        project,
        today=today,
        prompt_overrides=overrides,
        base=before.tree,
        base_label=before.label,
        base_overrides=before.overrides,
    )
    blockers = blocking(report.findings)
    assert report.metrics is not None
    comparison = report.metrics["comparison"]
    cost = comparison["summary"]["delta_pct"]
    tokens = comparison["prompts"].get(prompt_id, {}).get("delta_pct")
    movement = (
        f"cost per resolution {_pct(cost)}, {prompt_id} input tokens per call {_pct(tokens)} "
        f"vs {before.version_label}"
    )
    if blockers:
        rules = ", ".join(sorted({finding.rule for finding in blockers}))
        verdict = (
            f"✗ {prompt_id}@{version} must not be released: {movement}; blocked by "
            f"{plural(len(blockers), 'finding')} ({rules})"
        )
    else:
        verdict = (
            f"✓ {prompt_id}@{version} may be released: {movement}; within every threshold "
            f"and budget{_let_through(report)}"
        )
    return dataclasses.replace(report, command="gate", verdict=verdict), not blockers


def _let_through(report: Report) -> str:
    """ ", letting through 2 warnings (CPR205, CPR701)": what a release manager accepts too."""
    codes_by_severity: dict[Severity, Counter[str]] = {
        Severity.ERROR: Counter(),
        Severity.WARNING: Counter(),
    }
    for finding in report.active_findings():
        codes_by_severity[finding.severity][finding.rule] += 1
    parts = []
    for severity, codes in codes_by_severity.items():
        if codes:
            named = ", ".join(
                code if count == 1 else f"{code} x{count}" for code, count in sorted(codes.items())
            )
            parts.append(f"{plural(sum(codes.values()), severity.value)} ({named})")
    return ", letting through " + " and ".join(parts) if parts else ""


def _pct(value: float | int | None) -> str:
    return "n/a" if value is None else f"{Decimal(str(value)):+.1f}%"
