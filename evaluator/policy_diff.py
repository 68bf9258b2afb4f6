"""`cprlint diff --base REF`: what a policy change means, in words.

Policies of both trees are paired (by `metadata.project`) and compared with deepdiff.
Each change is said as "where: old → new" and classified: *loosened* (a budget, cap or
threshold raised, an intent moved to a pricier tier, a risk level lowered, a waiver
added), *tightened* (the opposite) or *neutral*. Any change needs a `metadata.version`
bump. Both trees are replayed over the head's fixtures to project the change of cost per
resolution per intent.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cprlint.findings import Location, Problem
from cprlint.model import Policy
from cprlint.money import format_cost, json_number
from cprlint.project import Project
from cprlint.reporters.base import escape_markdown, shown

LOOSENED, TIGHTENED, NEUTRAL = "loosened", "tightened", "neutral"
VERSION_NOT_BUMPED = "CPR120"
_NOT_PRESENT = object()

# Numbers where a higher value allows more spend (or more risk).
_HIGHER_IS_LOOSER_PREFIXES = (
    ("budgets",),
    ("retries",),
    ("creep",),
    ("quality", "max_escalation_rate"),
)
_HIGHER_IS_TIGHTER_PREFIXES = (("quality", "min_resolution_rate"),)


@dataclass(frozen=True)
class PolicyChange:
    policy: str
    where: str
    old: Any
    new: Any
    kind: str  # loosened | tightened | neutral
    location: Location

    def describe(self) -> str:
        if self.old is _NOT_PRESENT:
            return f"{self.where}: added {_show(self.new)}"
        if self.new is _NOT_PRESENT:
            return f"{self.where}: removed (was {_show(self.old)})"
        return f"{self.where}: {_show(self.old)} → {_show(self.new)}"

    def to_json(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "where": self.where,
            "old": None if self.old is _NOT_PRESENT else _jsonable(self.old),
            "new": None if self.new is _NOT_PRESENT else _jsonable(self.new),
            "kind": self.kind,
            "path": self.location.path,
            "line": self.location.line,
            "description": self.describe(),
        }


def _jsonable(value: Any) -> Any:
    def convert(item: Any) -> Any:
        return json_number(item) if isinstance(item, Decimal) else str(item)

    return json.loads(json.dumps(value, default=convert))


def _show(value: Any) -> str:
    if isinstance(value, dict | list):
        text = json.dumps(value, default=str, separators=(", ", ": "))
        return text if len(text) <= 80 else text[:77] + "..."
    return str(value)


def _where(path: list[Any]) -> str:
    return ".".join(f"[{part}]" if isinstance(part, int) else str(part) for part in path).replace(
        ".[", "["
    )


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, dict) and "cost_per_resolution" in value:
        return _number(value["cost_per_resolution"])
    return None


def _starts(path: list[Any], prefixes: tuple[tuple[str, ...], ...]) -> bool:
    return any(tuple(path[: len(prefix)]) == prefix for prefix in prefixes)


def classify(path: list[Any], old: Any, new: Any, base: Policy, head: Policy) -> str:
    """Whether a change lets more money (or risk) through, less, or neither."""
    if not path:
        return NEUTRAL
    section = path[0]
    budget_path = _starts(path, (("budgets",),)) or (
        len(path) >= 3 and section == "intents" and path[2] == "budget"
    )
    if section == "waivers":
        if len(path) == 1 or (len(path) == 2 and isinstance(path[1], int)):
            return (
                LOOSENED if old is _NOT_PRESENT else TIGHTENED if new is _NOT_PRESENT else NEUTRAL
            )
        return NEUTRAL
    if section == "intents" and len(path) == 3 and path[2] == "tier":
        order = list(head.tiers) or list(base.tiers)
        if old in order and new in order:
            return LOOSENED if order.index(new) > order.index(old) else TIGHTENED
        return NEUTRAL
    if section == "intents" and len(path) == 3 and path[2] == "risk":
        order = list(head.risk) or list(base.risk)
        if old in order and new in order:
            return LOOSENED if order.index(new) < order.index(old) else TIGHTENED
        return NEUTRAL
    if section == "risk" and len(path) >= 2:
        # A tier allowed for a risk level: added lets pricier models in.
        if old is _NOT_PRESENT:
            return LOOSENED
        if new is _NOT_PRESENT:
            return TIGHTENED
        return NEUTRAL
    old_number, new_number = _number(old), _number(new)
    if budget_path or _starts(path, _HIGHER_IS_LOOSER_PREFIXES):
        if old is _NOT_PRESENT:
            return TIGHTENED  # a new budget, cap or threshold
        if new is _NOT_PRESENT:
            return LOOSENED
        if old_number is not None and new_number is not None and old_number != new_number:
            return LOOSENED if new_number > old_number else TIGHTENED
        return NEUTRAL
    if _starts(path, _HIGHER_IS_TIGHTER_PREFIXES):
        if old_number is not None and new_number is not None and old_number != new_number:
            return TIGHTENED if new_number > old_number else LOOSENED
        return LOOSENED if new is _NOT_PRESENT else TIGHTENED if old is _NOT_PRESENT else NEUTRAL
    return NEUTRAL


def policy_changes(base: Policy, head: Policy) -> list[PolicyChange]:
    # Imported here: a plain `check` never compares policies, and deepdiff takes a
    # seventh of its start-up.
    from deepdiff import DeepDiff

    difference = DeepDiff(base.document.data, head.document.data, verbose_level=2)
    changes: list[PolicyChange] = []
    for report_type, items in difference.tree.items():
        for item in items:
            path = item.path(output_format="list")
            if path == ["metadata", "version"]:
                continue
            old = _NOT_PRESENT if "added" in report_type else item.t1
            new = _NOT_PRESENT if "removed" in report_type else item.t2
            location = head.locate(*path) if new is not _NOT_PRESENT else head.locate(*path[:-1])
            changes.append(
                PolicyChange(
                    head.name,
                    _where(path),
                    old,
                    new,
                    classify(path, old, new, base, head),
                    location,
                )
            )
    return sorted(changes, key=lambda change: (change.location.line, change.where))


@dataclass(frozen=True)
class DiffResult:
    base_label: str
    changes: list[PolicyChange]
    problems: list[Problem]
    # Intent -> (base CPR, head CPR, change %) from replaying both trees.
    projection: dict[str, dict[str, Any]]
    currency: str

    def to_json(self) -> dict[str, Any]:
        return {
            "base": self.base_label,
            "changes": [change.to_json() for change in self.changes],
            "summary": {
                kind: sum(1 for c in self.changes if c.kind == kind)
                for kind in (LOOSENED, TIGHTENED, NEUTRAL)
            },
            "findings": [
                {
                    "rule": problem.code,
                    "severity": "error",
                    "message": problem.message,
                    "path": problem.location.path,
                    "line": problem.location.line,
                }
                for problem in self.problems
            ],
            "projected_cost_per_resolution": self.projection,
        }


def changes_and_version_problems(
    head: Project, base: Project
) -> tuple[list[PolicyChange], list[Problem]]:
    """Every policy change, and a CPR120 for each changed policy whose version stayed."""
    base_by_key = {policy.project: policy for policy in base.policies}
    changes: list[PolicyChange] = []
    problems: list[Problem] = []
    for policy in head.policies:
        old = base_by_key.get(policy.project)
        if old is None:
            changes.append(
                PolicyChange(
                    policy.name, "policy", _NOT_PRESENT, policy.name, NEUTRAL, policy.locate()
                )
            )
            continue
        found = policy_changes(old, policy)
        changes.extend(found)
        if found and (policy.version or 0) <= (old.version or 0):
            problems.append(
                Problem(
                    f"policy `{policy.name}` changed ({len(found)} change{'s' if len(found) != 1 else ''}) "
                    f"but `metadata.version` is still {policy.version}; bump it",
                    policy.locate("metadata", "version"),
                    code=VERSION_NOT_BUMPED,
                )
            )
    return changes, problems


def diff_projects(head: Project, base: Project, *, base_label: str, today: dt.date) -> DiffResult:
    from cprlint.check import check_project  # check uses this module's version rule

    changes, problems = changes_and_version_problems(head, base)
    report = check_project(head, today=today, base=base, base_label=base_label)
    assert report.metrics is not None
    projection = {
        name: {key: change[key] for key in ("base", "head", "delta", "delta_pct", "ci95")}
        for name, change in report.metrics["comparison"]["intents"].items()
    }
    currency = head.policies[0].currency if head.policies else "USD"
    return DiffResult(base_label, changes, problems, projection, currency)


_MARK = {LOOSENED: "▲ loosened", TIGHTENED: "▼ tightened", NEUTRAL: "· neutral"}


def _pct(value: float | int | None) -> str:
    return "n/a" if value is None else f"{value:+.1f}%"


def render_text(result: DiffResult) -> str:
    lines = [f"Policy changes against {result.base_label}:"]
    if not result.changes:
        lines.append("  none")
    for change in result.changes:
        lines.append(f"  {_MARK[change.kind]:<12} {change.describe()}  ({change.location})")
    for problem in result.problems:
        lines.append(f"error {problem.code}: {problem.message} ({problem.location})")
    moved = {name: row for name, row in result.projection.items() if row["delta_pct"]}
    lines.append("")
    lines.append("Projected cost per resolution by intent (replay of both trees):")
    if not moved:
        lines.append("  no intent changes")
    for name, row in sorted(moved.items()):
        lines.append(
            f"  {name:<28} {format_cost(row['base'], result.currency)} → {format_cost(row['head'], result.currency)}  {_pct(row['delta_pct'])}"
        )
    # (Names and values come from the pull request: its control characters are shown.)
    return "\n".join(map(shown, lines)) + "\n"


def render_markdown(result: DiffResult) -> str:
    counts = {
        kind: sum(1 for c in result.changes if c.kind == kind)
        for kind in (LOOSENED, TIGHTENED, NEUTRAL)
    }
    icon = "❌" if result.problems else "⚠️" if counts[LOOSENED] else "✅"
    # Policies come from the pull request: what they hold is escaped (`escape_markdown`).
    base = escape_markdown(f"`{result.base_label}`", table_cell=False)
    lines = [
        f"### {icon} Policy diff against {base}: {counts[LOOSENED]} loosened, "
        f"{counts[TIGHTENED]} tightened, {counts[NEUTRAL]} neutral",
        "",
    ]
    for problem in result.problems:
        text = escape_markdown(f"{problem.message} (`{problem.location}`)", table_cell=False)
        lines += [f"❌ **{problem.code}** {text}", ""]
    if result.changes:
        lines += ["| | Change | Where |", "|---|---|---|"]
        for change in result.changes:
            text = escape_markdown(change.describe())
            where = escape_markdown(f"`{change.location}`")
            lines.append(f"| {_MARK[change.kind]} | {text} | {where} |")
        lines.append("")
    moved = {name: row for name, row in result.projection.items() if row["delta_pct"]}
    if moved:
        lines += ["| Intent | Base | Head | Δ |", "|---|---:|---:|---:|"]
        for name, row in sorted(moved.items()):
            lines.append(
                f"| {escape_markdown(name)} | {format_cost(row['base'], result.currency)} | {format_cost(row['head'], result.currency)} | {_pct(row['delta_pct'])} |"
            )
        lines.append("")
    return "\n".join(lines)
