"""What the comparison with a base says beyond its figures, in words every format shares:
the policy changes (loosened, tightened, neutral, and who approved a loosening) and the
projected monthly AI spend, base → head. Read from the comparison's JSON (SPEC §6)."""

from __future__ import annotations

from typing import Any

from cprlint.money import amount_format
from cprlint.policy_diff import KINDS
from cprlint.reporters.base import escape_markdown, plural

MARK = {"loosened": "▲ loosened", "tightened": "▼ tightened", "neutral": "· neutral"}
NEW_IN_PULL_REQUEST = (
    "cprlint is new in this pull request: {base} has no policy, so there is nothing to "
    "compare with yet (no creep, no policy change); the figures below are this branch's."
)


def kind_counts(changes: list[dict[str, Any]]) -> str:
    """ "2 loosened (1 approved), 1 tightened, 0 neutral"."""
    loosened = [change for change in changes if change["kind"] == "loosened"]
    approved = sum(1 for change in loosened if change["approved_by"])
    counts = [f"{sum(1 for change in changes if change['kind'] == kind)} {kind}" for kind in KINDS]
    if approved:
        counts[0] += f" ({approved} approved)"
    return ", ".join(counts)


def approval_words(change: dict[str, Any]) -> str:
    """Whom the approval of a loosened guardrail names, or that it still needs one. (The
    policy names the owner; only CODEOWNERS on the policy files makes their review
    required, so the words do not claim they reviewed it.)"""
    if change["kind"] != "loosened":
        return ""
    approval = change["approved_by"]
    if approval is None:
        return "needs an approval (CPR121)"
    return f"approval names {approval['owner']}: {approval['reason']}"


def change_text_lines(changes: list[dict[str, Any]]) -> list[str]:
    lines = []
    for change in changes:
        approval = approval_words(change)
        line = f"  {MARK[change['kind']]:<12} {change['description']}"
        if approval:
            line += f"; {approval}"
        lines.append(f"{line}  ({change['file']}:{change['line']})")
    return lines


def change_markdown_table(changes: list[dict[str, Any]]) -> list[str]:
    """A table of the changes, loosened ones first; text from the policies is escaped."""
    ordered = sorted(changes, key=lambda change: KINDS.index(change["kind"]))
    rows = ["| | Change | Where | Approval |", "|---|---|---|---|"]
    for change in ordered:
        approval = approval_words(change)
        if change["kind"] == "loosened":
            approval = ("✅ " if change["approved_by"] else "❌ ") + approval
        where = escape_markdown(f"`{change['file']}:{change['line']}`")
        rows.append(
            f"| {MARK[change['kind']]} | {escape_markdown(change['description'])} | {where} | "
            f"{escape_markdown(approval)} |"
        )
    return rows


def monthly_words(monthly: dict[str, Any] | None, currency: str) -> str | None:
    """ "+$59.77/month ($38.22 → $97.99) at 20,000 tickets a month", or None."""
    if monthly is None or monthly.get("head") is None:
        return None
    base, head, delta = monthly["base"], monthly["head"], monthly["delta"]
    shown = amount_format([base, head], currency, significant=4, distinct=[(base, head)])
    tickets = _tickets(monthly)
    if base is None:
        return f"{shown(head)}/month{tickets} (the base projects nothing to compare with)"
    sign = "+" if delta >= 0 else ""
    pct = "" if monthly["delta_pct"] is None else f", {monthly['delta_pct']:+.1f}%"
    return f"{sign}{shown(delta)}/month ({shown(base)} → {shown(head)}{pct}){tickets}"


def _tickets(monthly: dict[str, Any]) -> str:
    base, head = monthly.get("base_monthly_tickets"), monthly.get("head_monthly_tickets")
    if head is None:
        return ""
    if base is None or base == head:
        return f" at {head:,} tickets a month"
    return f" at {base:,} → {head:,} tickets a month"


def policy_changes_heading(changes: list[dict[str, Any]]) -> str:
    return f"Policy changes: {plural(len(changes), 'change')}, {kind_counts(changes)}"
