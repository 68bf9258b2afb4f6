"""The pull-request comment: `--format markdown` when the report compares with a base.

A verdict line; the headline (cost per resolution base → head, the change and its
interval, and what prompt text, routing and prices each contributed; the projected
monthly AI spend base → head); the policy changes, loosened guardrails first and who
approved them; a table per intent; sections only when they have something to say;
findings grouped by rule with "and N more". A hidden marker lets a bot find and update
its one comment, and the whole comment always fits GitHub's 65,536-character limit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cprlint.findings import Finding, Severity
from cprlint.money import amount_format, compared_amounts, format_cost
from cprlint.report import Report
from cprlint.reporters.base import (
    GITHUB_COMMENT_LIMIT,
    RenderOptions,
    escape_markdown,
    pct_text,
    plural,
)
from cprlint.reporters.comparison import change_markdown_table, kind_counts, monthly_words
from cprlint.reporters.tables import budget_of
from cprlint.rules import RULES

MARKER = "<!-- cprlint:report -->"
# Room kept for the marker, the truncation note and GitHub's own accounting.
_BUDGET = GITHUB_COMMENT_LIMIT - 2_000
MAX_ROWS = 30
MAX_FINDINGS_PER_RULE = 10


def _interval(ci95: list[float] | None) -> str:
    return "" if not ci95 else f", 95% CI {ci95[0]:+.1f}% to {ci95[1]:+.1f}%"


def _tally(report: Report) -> str:
    errors, warnings = report.count(Severity.ERROR), report.count(Severity.WARNING)
    if errors:
        return f"{plural(errors, 'error')}, {plural(warnings, 'warning')}"
    if warnings:
        return plural(warnings, "warning")
    return "all checks pass"


def _icon(report: Report) -> str:
    if report.count(Severity.ERROR):
        return "❌"
    return "⚠️" if report.count(Severity.WARNING) else "✅"


def verdict_line(report: Report, comparison: dict[str, Any]) -> str:
    if report.verdict is not None:
        return f"### {report.verdict}"
    if comparison.get("status") == "new":
        return f"### {_icon(report)} cprlint is new in this pull request — {_tally(report)}"
    base = escape_markdown(f"`{comparison['base']}`", table_cell=False)
    movement = f"cost per resolution {pct_text(comparison['summary']['delta_pct'])} vs {base}"
    loosened = [
        change for change in comparison.get("policy_changes", []) if change["kind"] == "loosened"
    ]
    if loosened:
        approved = sum(1 for change in loosened if change["approved_by"])
        movement += f", {plural(len(loosened), 'guardrail')} loosened"
        if approved:
            movement += " and approved" if approved == len(loosened) else f" ({approved} approved)"
    return f"### {_icon(report)} cprlint: {movement} — {_tally(report)}"


def headline(comparison: dict[str, Any], currency: str) -> list[str]:
    change = comparison["summary"]
    parts = change.get("contributions") or {}
    base, head = compared_amounts((change["base"], change["head"]), currency)
    line = (
        f"**Cost per resolution** {base} → **{head}** ({pct_text(change['delta_pct'])}"
        f"{_interval(change['ci95'])}) over {change['conversations']:,} conversations."
    )
    if parts:

        def signed(value: float | int | None) -> str:
            if value is None:
                return "n/a"
            return ("+" if value > 0 else "") + format_cost(value, currency)

        line += (
            f" Prompt text {signed(parts.get('prompt_text'))}, "
            f"routing and models {signed(parts.get('routing'))}, "
            f"prices {signed(parts.get('prices'))} per resolution."
        )
    lines = [line, ""]
    monthly = monthly_words(comparison.get("monthly"), currency)
    if monthly:
        lines += [f"**Projected monthly AI spend** {monthly}.", ""]
    return lines


def policy_changes_section(comparison: dict[str, Any]) -> list[str]:
    changes = comparison.get("policy_changes") or []
    if not changes:
        return []
    return [f"#### Policy changes: {kind_counts(changes)}", "", *change_markdown_table(changes), ""]


_STATUS = {"ok": "✅", "over": "❌ over", "no resolutions": "❌ n/a"}


def _scope_table(
    title: str, changes: dict[str, Any], budgets: dict[str, Any], currency: str
) -> list[str]:
    # Changed or failing scopes first and only; the rest is one line.
    def listed(name: str, change: dict[str, Any]) -> bool:
        return bool(change["delta_pct"]) or budgets.get(name, {}).get("budget_status") in (
            "over",
            "no resolutions",
        )

    listed_scopes = sorted(
        ((name, change) for name, change in changes.items() if listed(name, change)),
        key=lambda item: (-abs(item[1]["delta_pct"] or 0), item[0]),
    )
    ordered = listed_scopes[:MAX_ROWS]
    unchanged = len(changes) - len(listed_scopes)
    if not ordered:
        return [f"No {title.lower()} changed its cost per resolution ({unchanged} compared).", ""]
    views = [budgets.get(name, {}) for name, _ in ordered]
    # A budget of the fully loaded cost is compared with that, in columns of its own.
    fully_loaded = any(view.get("budget_fully_loaded") for view in views)

    money = amount_format(
        [value for _, change in ordered for value in (change["base"], change["head"])]
        + [budget_of(view, fully_loaded=False) for view in views],
        currency,
        significant=4,
        distinct=[(change["base"], change["head"]) for _, change in ordered]
        + [
            (change["head"], budget_of(view, fully_loaded=False))
            for (_, change), view in zip(ordered, views, strict=True)
        ],
    )
    loaded_money = amount_format(
        [view.get("fully_loaded_cost_per_resolution") for view in views]
        + [budget_of(view, fully_loaded=True) for view in views],
        currency,
        significant=4,
        distinct=[
            (view.get("fully_loaded_cost_per_resolution"), budget_of(view, fully_loaded=True))
            for view in views
        ],
    )
    header = f"| {title} | Base | Head | Δ | 95% CI | Budget |"
    rule = "|---|---:|---:|---:|---|---:|"
    if fully_loaded:
        header += " Fully loaded (head) | Fully loaded budget |"
        rule += "---:|---:|"
    rows = [header + " Status |", rule + "---|"]
    for (name, change), view in zip(ordered, views, strict=True):
        ai_budget = budget_of(view, fully_loaded=False)
        ci = change["ci95"]
        row = (
            f"| {escape_markdown(name)} | {money(change['base'])} | {money(change['head'])} | "
            f"{pct_text(change['delta_pct'])} | {'' if not ci else f'{ci[0]:+.1f}% … {ci[1]:+.1f}%'} | "
            f"{'' if ai_budget is None else money(ai_budget)} |"
        )
        if fully_loaded:
            loaded_budget = budget_of(view, fully_loaded=True)
            row += (
                f" {loaded_money(view.get('fully_loaded_cost_per_resolution'))} | "
                f"{'' if loaded_budget is None else loaded_money(loaded_budget)} |"
            )
        rows.append(f"{row} {_STATUS.get(view.get('budget_status', ''), '')} |")
    if len(listed_scopes) > MAX_ROWS:
        rows.append(f"\n…and {len(listed_scopes) - MAX_ROWS} more.")
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
            f"| {escape_markdown(name)} | {escape_markdown(versions)} | {base} | {head} | {pct_text(change['delta_pct'])} | "
            f"{'' if not ci else f'{ci[0]:+.1f}% … {ci[1]:+.1f}%'} |"
        )
    return [*rows, "", "</details>", ""]


MAX_MESSAGE_CHARS = 300


def _short(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 1] + "…"


@dataclass
class _RuleFindings:
    """Of one rule's active findings: how many, whether one is an error, the first few."""

    count: int = 0
    error: bool = False
    first: list[Finding] = field(default_factory=list)


def _findings_by_rule(findings: Iterable[Finding]) -> tuple[dict[str, _RuleFindings], int]:
    """The active findings by rule (the first MAX_FINDINGS_PER_RULE of each kept), and
    how many are waived: one pass, never a list of them all."""
    by_rule: dict[str, _RuleFindings] = {}
    waived = 0
    for finding in findings:
        if finding.waived_by is not None:
            waived += 1
            continue
        group = by_rule.get(finding.rule)
        if group is None:
            group = by_rule[finding.rule] = _RuleFindings()
        group.count += 1
        group.error = group.error or finding.severity is Severity.ERROR
        if len(group.first) < MAX_FINDINGS_PER_RULE:
            group.first.append(finding)
    return by_rule, waived


def _findings(
    by_rule: dict[str, _RuleFindings],
    waived: int,
    options: RenderOptions,
    per_rule: int = MAX_FINDINGS_PER_RULE,
) -> list[str]:
    if not by_rule and not waived:
        return []
    lines = ["#### Findings", ""]
    order = sorted(by_rule, key=lambda code: (not by_rule[code].error, code))
    for code in order:
        group = by_rule[code]
        icon = "❌" if group.error else "⚠️"
        name = RULES[code].name if code in RULES else ""
        lines.append(f"{icon} **{code}** {name} ({group.count})")
        lines.append("")
        for finding in group.first[:per_rule]:
            where = f"`{options.repo_path(finding.path)}:{finding.line}`"
            item = f"{where} {_short(finding.message)}"
            lines.append(f"- {escape_markdown(item, table_cell=False)}")
        if group.count > per_rule:
            lines.append(f"- …and {group.count - per_rule} more")
        lines.append("")
    if waived:
        lines += [f"{plural(waived, 'finding')} waived by the policy.", ""]
    return lines


def _budget_views(policies: dict[str, Any], scope: str) -> dict[str, Any]:
    """Each group's budget view, from the first policy that has the group."""
    views: dict[str, Any] = {}
    for view in policies.values():
        for name, row in view.get(scope, {}).items():
            views.setdefault(name, row)
    return views


def render_comment(report: Report, options: RenderOptions) -> str:
    metrics = report.metrics or {}
    comparison = metrics["comparison"]
    currency = metrics.get("currency", "USD")
    policies = metrics.get("policies", {})
    sections = [
        [MARKER, verdict_line(report, comparison), ""],
        headline(comparison, currency),
        policy_changes_section(comparison),
        _scope_table("Intent", comparison["intents"], _budget_views(policies, "intents"), currency),
    ]
    optional = [
        _prompt_table(comparison["prompts"]),
        _details(
            "Queues",
            _scope_table(
                "Queue", comparison["queues"], _budget_views(policies, "queues"), currency
            ),
        ),
        _details(
            "Automation modes",
            _scope_table(
                "Automation",
                comparison["automation"],
                _budget_views(policies, "automation"),
                currency,
            ),
        ),
    ]
    # The findings shrink (fewer per rule) before they would be left out.
    by_rule, waived = _findings_by_rule(report.findings)
    findings = [
        _findings(by_rule, waived, options, per_rule) for per_rule in (MAX_FINDINGS_PER_RULE, 3, 1)
    ]
    head_size = sum(len(line) + 1 for section in sections for line in section)
    fitting = next(
        (lines for lines in findings if head_size + len("\n".join(lines)) < _BUDGET), findings[-1]
    )
    text = "\n".join(line for section in sections for line in section)
    for section in [fitting, *optional]:
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


def fit_to_comment(text: str) -> str:
    """`text` cut, at a line, to fit GitHub's comment size limit, saying so."""
    if len(text) <= GITHUB_COMMENT_LIMIT:
        return text
    cut = text.rfind("\n", 0, _BUDGET)
    return text[: cut if cut > 0 else _BUDGET] + (
        "\n\n_…cut to fit GitHub's comment size limit; see the full report._\n"
    )


def _details(summary: str, table: list[str]) -> list[str]:
    if len(table) <= 2:  # only the "nothing changed" line
        return []
    return [f"<details><summary>{summary}</summary>", "", *table, "</details>", ""]
