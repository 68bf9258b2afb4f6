"""The pull-request comment: `--format markdown` when the report compares with a base.

A verdict line; the headline (cost per resolution base → head, the change and its
interval, and what prompt text, routing and prices each contributed); a table per
intent; sections only when they have something to say; findings grouped by rule with
"and N more". A hidden marker lets a bot find and update its one comment, and the whole
comment always fits GitHub's 65,536-character limit.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from cprlint.findings import Finding, Severity
from cprlint.money import format_cost
from cprlint.report import Report
from cprlint.reporters.base import RenderOptions, escape_markdown, plural
from cprlint.rules import RULES

MARKER = "<!-- cprlint:report -->"
GITHUB_COMMENT_LIMIT = 65_536
# Room kept for the marker, the truncation note and GitHub's own accounting.
_BUDGET = GITHUB_COMMENT_LIMIT - 2_000
MAX_ROWS = 30
MAX_FINDINGS_PER_RULE = 10


def _pct(value: float | int | None) -> str:
    return "n/a" if value is None else f"{value:+.1f}%"


def _interval(ci95: list[float] | None) -> str:
    return "" if not ci95 else f", 95% CI {ci95[0]:+.1f}% to {ci95[1]:+.1f}%"


def _signed_money(value: float | int | None, currency: str) -> str:
    if value is None:
        return "n/a"
    amount = Decimal(str(value))
    sign = "+" if amount > 0 else ""
    return sign + format_cost(amount, currency)


def verdict_line(report: Report, comparison: dict[str, Any]) -> str:
    if report.verdict is not None:
        return f"### {report.verdict}"
    errors, warnings = report.count(Severity.ERROR), report.count(Severity.WARNING)
    change = comparison["summary"]
    base = escape_markdown(f"`{comparison['base']}`", table_cell=False)
    movement = f"cost per resolution {_pct(change['delta_pct'])} vs {base}"
    if errors:
        return (
            f"### ❌ cprlint: {movement} — {plural(errors, 'error')}, {plural(warnings, 'warning')}"
        )
    if warnings:
        return f"### ⚠️ cprlint: {movement} — {plural(warnings, 'warning')}"
    return f"### ✅ cprlint: {movement} — all checks pass"


def headline(comparison: dict[str, Any], currency: str) -> list[str]:
    change = comparison["summary"]
    line = (
        f"**Cost per resolution** {format_cost(change['base'], currency)} → "
        f"**{format_cost(change['head'], currency)}** ({_pct(change['delta_pct'])}"
        f"{_interval(change['ci95'])}) over {change['conversations']:,} conversations."
    )
    parts = change.get("contributions") or {}
    if parts:
        line += (
            f" Prompt text {_signed_money(parts.get('prompt_text'), currency)}, "
            f"routing and models {_signed_money(parts.get('routing'), currency)}, "
            f"prices {_signed_money(parts.get('prices'), currency)} per resolution."
        )
    return [line, ""]


def _scope_table(
    title: str, changes: dict[str, Any], budgets: dict[str, Any], currency: str
) -> list[str]:
    rows = [
        f"| {title} | Base | Head | Δ | 95% CI | Budget | Status |",
        "|---|---:|---:|---:|---|---:|---|",
    ]

    # Changed or failing scopes first and only; the rest is one line.
    def shown(name: str, change: dict[str, Any]) -> bool:
        return bool(change["delta_pct"]) or budgets.get(name, {}).get("budget_status") in (
            "over",
            "no resolutions",
        )

    ordered = sorted(
        ((name, change) for name, change in changes.items() if shown(name, change)),
        key=lambda item: (-abs(item[1]["delta_pct"] or 0), item[0]),
    )
    unchanged = len(changes) - len(ordered)
    if not ordered:
        return [f"No {title.lower()} changed its cost per resolution ({unchanged} compared).", ""]
    for name, change in ordered[:MAX_ROWS]:
        view = budgets.get(name, {})
        budget = "" if view.get("budget") is None else format_cost(view["budget"], currency)
        status = {"ok": "✅", "over": "❌ over", "no resolutions": "❌ n/a"}.get(
            view.get("budget_status", ""), ""
        )
        ci = change["ci95"]
        rows.append(
            f"| {escape_markdown(name)} | {format_cost(change['base'], currency)} | {format_cost(change['head'], currency)} | "
            f"{_pct(change['delta_pct'])} | {'' if not ci else f'{ci[0]:+.1f}% … {ci[1]:+.1f}%'} | "
            f"{budget} | {status} |"
        )
    if len(ordered) > MAX_ROWS:
        rows.append(f"\n…and {len(ordered) - MAX_ROWS} more.")
    if unchanged:
        rows.append(f"\n{unchanged} more unchanged.")
    return [*rows, ""]


def _prompt_table(prompts: dict[str, Any]) -> list[str]:
    changed = {
        name: change
        for name, change in prompts.items()
        if change["delta_pct"] or change["base_version"] != change["head_version"]
    }
    if not changed:
        return []
    rows = [
        "<details><summary>Prompts: mean input tokens per call</summary>",
        "",
        "| Prompt | Version | Base | Head | Δ | 95% CI |",
        "|---|---|---:|---:|---:|---|",
    ]
    for name, change in sorted(changed.items())[:MAX_ROWS]:
        versions = f"{change['base_version']} → {change['head_version']}"
        base = "n/a" if change["base"] is None else f"{change['base']:,.1f}"
        head = "n/a" if change["head"] is None else f"{change['head']:,.1f}"
        ci = change["ci95"]
        rows.append(
            f"| {escape_markdown(name)} | {escape_markdown(versions)} | {base} | {head} | {_pct(change['delta_pct'])} | "
            f"{'' if not ci else f'{ci[0]:+.1f}% … {ci[1]:+.1f}%'} |"
        )
    return [*rows, "", "</details>", ""]


MAX_MESSAGE_CHARS = 300


def _short(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 1] + "…"


def _findings(
    findings: list[Finding], options: RenderOptions, per_rule: int = MAX_FINDINGS_PER_RULE
) -> list[str]:
    active = [finding for finding in findings if finding.waived_by is None]
    waived = len(findings) - len(active)
    if not active and not waived:
        return []
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for finding in active:
        by_rule[finding.rule].append(finding)
    lines = ["#### Findings", ""]
    order = sorted(by_rule, key=lambda code: (-max(f.severity.rank for f in by_rule[code]), code))
    for code in order:
        group = by_rule[code]
        icon = "❌" if any(f.severity is Severity.ERROR for f in group) else "⚠️"
        name = RULES[code].name if code in RULES else ""
        lines.append(f"{icon} **{code}** {name} ({len(group)})")
        lines.append("")
        for finding in group[:per_rule]:
            where = f"`{options.repo_path(finding.path)}:{finding.line}`"
            item = f"{where} {_short(finding.message)}"
            lines.append(f"- {escape_markdown(item, table_cell=False)}")
        if len(group) > per_rule:
            lines.append(f"- …and {len(group) - per_rule} more")
        lines.append("")
    if waived:
        lines += [f"{plural(waived, 'finding')} waived by the policy.", ""]
    return lines


def render_comment(report: Report, options: RenderOptions) -> str:
    metrics = report.metrics or {}
    comparison = metrics["comparison"]
    currency = metrics.get("currency", "USD")
    policies = metrics.get("policies", {})
    first_policy: dict[str, Any] = next(iter(policies.values()), {})
    sections: list[list[str]] = [
        [MARKER, verdict_line(report, comparison), ""],
        headline(comparison, currency),
        _scope_table("Intent", comparison["intents"], first_policy.get("intents", {}), currency),
    ]
    # The findings shrink (fewer per rule) before they would be left out.
    findings = [
        _findings(list(report.findings), options, per_rule)
        for per_rule in (MAX_FINDINGS_PER_RULE, 3, 1)
    ]
    head_size = sum(len(line) + 1 for section in sections for line in section)
    fitting = next(
        (lines for lines in findings if head_size + len("\n".join(lines)) < _BUDGET), findings[-1]
    )
    optional = [
        fitting,
        _prompt_table(comparison["prompts"]),
        _details(
            "Queues",
            _scope_table("Queue", comparison["queues"], first_policy.get("queues", {}), currency),
        ),
        _details(
            "Automation modes",
            _scope_table(
                "Automation", comparison["automation"], first_policy.get("automation", {}), currency
            ),
        ),
    ]
    text = "\n".join(line for section in sections for line in section)
    for section in optional:
        if not section:
            continue
        addition = "\n".join(section)
        if len(text) + len(addition) + 1 > _BUDGET:
            text += "\n_Some sections were left out to fit GitHub's comment size limit; see the full report._\n"
            break
        text += "\n" + addition
    if len(text) > GITHUB_COMMENT_LIMIT:  # a single section too large on its own
        text = text[:_BUDGET] + "\n\n_…cut to fit GitHub's comment size limit._\n"
    return text.rstrip("\n") + "\n"


def _details(summary: str, table: list[str]) -> list[str]:
    if len(table) <= 2:  # only the "nothing changed" line
        return []
    return [f"<details><summary>{summary}</summary>", "", *table, "</details>", ""]
