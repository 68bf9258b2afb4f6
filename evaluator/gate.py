"""`cprlint gate ID@VERSION`: may this prompt version replace the released one?

The tree is replayed twice over the same fixtures: with the released version, and with
the candidate in its place. The candidate passes when no creep threshold and no budget
is broken; the verdict is one line a release manager can read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from cprlint.check import check_project, parse_prompt_overrides
from cprlint.findings import Finding, Severity
from cprlint.project import Project
from cprlint.report import Report

# What blocks a release: creep, budgets, and calls over the input token budget.
BLOCKING_RULES = frozenset(
    {"CPR401", "CPR402", "CPR403", "CPR404", "CPR405", "CPR504", "CPR701", "CPR702"}
)


def blocking(findings: tuple[Finding, ...]) -> list[Finding]:
    return [
        finding
        for finding in findings
        if finding.rule in BLOCKING_RULES
        and finding.severity is Severity.ERROR
        and finding.waived_by is None
    ]


def gate_prompt(project: Project, candidate: str, *, today: dt.date) -> tuple[Report, bool]:
    overrides = parse_prompt_overrides((candidate,), project)
    prompt_id, version = next(iter(overrides.items()))
    released = project.prompts[prompt_id].released or "?"
    report = check_project(
        project,
        today=today,
        prompt_overrides=overrides,
        base=project,
        base_label=f"{prompt_id}@{released}",
    )
    blockers = blocking(report.findings)
    assert report.metrics is not None
    comparison = report.metrics["comparison"]
    cost = comparison["summary"]["delta_pct"]
    tokens = comparison["prompts"].get(prompt_id, {}).get("delta_pct")
    movement = (
        f"cost per resolution {_pct(cost)}, {prompt_id} input tokens per call {_pct(tokens)} "
        f"vs {released}"
    )
    if blockers:
        rules = ", ".join(sorted({finding.rule for finding in blockers}))
        verdict = f"✗ {prompt_id}@{version} must not be released: {movement}; blocked by {len(blockers)} finding{'s' if len(blockers) != 1 else ''} ({rules})"
    else:
        verdict = f"✓ {prompt_id}@{version} may be released: {movement}; within every threshold and budget"
    return dataclasses.replace(report, command="gate", verdict=verdict), not blockers


def _pct(value: float | int | None) -> str:
    return "n/a" if value is None else f"{Decimal(str(value)):+.1f}%"
