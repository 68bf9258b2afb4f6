"""`cprlint diff --base REF`: what the policy changes of a pull request mean.

Every change, loosened, tightened or neutral, with the approval that acknowledges a
loosened guardrail; then what the pull request does to each intent's cost per resolution
and to the projected monthly AI spend, from a replay of the head's fixtures under both
trees (the same `check --base` does). It fails (exit 1) on a loosened guardrail nobody
approved and on a changed policy whose version stayed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from cprlint.check import check_project
from cprlint.findings import Finding, Severity
from cprlint.money import compared_amounts
from cprlint.policy_diff import GUARDRAIL_LOOSENED, KINDS, VERSION_NOT_BUMPED
from cprlint.project import Project
from cprlint.reporters.base import escape_markdown, pct_text, shown
from cprlint.reporters.comment import fit_to_comment
from cprlint.reporters.comparison import (
    NEW_IN_PULL_REQUEST,
    change_markdown_table,
    change_text_lines,
    kind_counts,
    monthly_words,
    policy_changes_heading,
)

DIFF_RULES = frozenset({VERSION_NOT_BUMPED, GUARDRAIL_LOOSENED})


@dataclass(frozen=True)
class DiffResult:
    base_label: str
    # The base has no policy: cprlint is new in this pull request.
    new: bool
    changes: list[dict[str, Any]]  # PolicyChange.to_json()
    findings: list[Finding]  # of DIFF_RULES, as the project's levels and waivers leave them
    # Intent -> base, head, delta, delta_pct, ci95 of its cost per resolution.
    projection: dict[str, dict[str, Any]]
    monthly: dict[str, Any] | None
    currency: str

    @property
    def active_errors(self) -> list[Finding]:
        return [
            finding
            for finding in self.findings
            if finding.severity is Severity.ERROR and finding.waived_by is None
        ]

    @property
    def failed(self) -> bool:
        return bool(self.active_errors)

    def to_json(self) -> dict[str, Any]:
        return {
            "base": self.base_label,
            "status": "new" if self.new else "compared",
            "changes": self.changes,
            "summary": {
                kind: sum(1 for change in self.changes if change["kind"] == kind) for kind in KINDS
            },
            "findings": [
                {
                    "rule": finding.rule,
                    "severity": finding.severity.value,
                    "message": finding.message,
                    "path": finding.path,
                    "line": finding.line,
                    **({"waived_by": finding.waived_by} if finding.waived_by else {}),
                }
                for finding in self.findings
            ],
            "projected_cost_per_resolution": self.projection,
            "monthly": self.monthly,
        }


def diff_projects(head: Project, base: Project, *, base_label: str, today: dt.date) -> DiffResult:
    report = check_project(head, today=today, base=base, base_label=base_label)
    assert report.metrics is not None
    comparison = report.metrics["comparison"]
    projection = {
        name: {key: change[key] for key in ("base", "head", "delta", "delta_pct", "ci95")}
        for name, change in comparison["intents"].items()
    }
    return DiffResult(
        base_label=base_label,
        new=comparison["status"] == "new",
        changes=comparison["policy_changes"],
        findings=[finding for finding in report.findings if finding.rule in DIFF_RULES],
        projection=projection,
        monthly=comparison["monthly"],
        currency=report.metrics["currency"],
    )


def render_text(result: DiffResult) -> str:
    if result.new:
        lines = [NEW_IN_PULL_REQUEST.format(base=result.base_label)]
    else:
        lines = [f"{policy_changes_heading(result.changes)}, against {result.base_label}"]
        lines += change_text_lines(result.changes)
    for finding in result.active_errors:
        if finding.rule != GUARDRAIL_LOOSENED:  # (each is a change above, marked)
            lines.append(f"error {finding.rule}: {finding.message} ({finding.location})")
    monthly = monthly_words(result.monthly, result.currency)
    if monthly:
        lines += ["", f"Projected monthly AI spend: {monthly}"]
    moved = {name: row for name, row in result.projection.items() if row["delta_pct"]}
    if not result.new:
        lines += ["", "Projected cost per resolution by intent (replay of both trees):"]
        if not moved:
            lines.append("  no intent changes")
    for name, row in sorted(moved.items()):
        base, head = compared_amounts((row["base"], row["head"]), result.currency)
        lines.append(f"  {name:<28} {base} → {head}  {pct_text(row['delta_pct'])}")
    # (Names and values come from the pull request: its control characters are shown.)
    return "\n".join(map(shown, lines)) + "\n"


def render_markdown(result: DiffResult) -> str:
    base = escape_markdown(f"`{result.base_label}`", table_cell=False)
    if result.new:
        lines = [
            f"### ✅ Policy diff against {base}: none",
            "",
            escape_markdown(NEW_IN_PULL_REQUEST.format(base=result.base_label), table_cell=False),
            "",
        ]
    else:
        loosened = any(change["kind"] == "loosened" for change in result.changes)
        icon = "❌" if result.failed else "⚠️" if loosened else "✅"
        lines = [
            f"### {icon} Policy diff against {base}: {kind_counts(result.changes)}",
            "",
        ]
    for finding in result.active_errors:
        if finding.rule != GUARDRAIL_LOOSENED:  # (each is a row of the table, marked)
            text = escape_markdown(f"{finding.message} (`{finding.location}`)", table_cell=False)
            lines += [f"❌ **{finding.rule}** {text}", ""]
    if result.changes:
        lines += [*change_markdown_table(result.changes), ""]
    monthly = monthly_words(result.monthly, result.currency)
    if monthly:
        lines += [
            f"**Projected monthly AI spend** {escape_markdown(monthly, table_cell=False)}",
            "",
        ]
    moved = {name: row for name, row in result.projection.items() if row["delta_pct"]}
    if moved:
        lines += ["| Intent | Base | Head | Δ |", "|---|---:|---:|---:|"]
        for name, row in sorted(moved.items()):
            base_cost, head_cost = compared_amounts((row["base"], row["head"]), result.currency)
            lines.append(
                f"| {escape_markdown(name)} | {base_cost} | {head_cost} | {pct_text(row['delta_pct'])} |"
            )
        lines.append("")
    return fit_to_comment("\n".join(lines))
