"""The figures of a policy's scopes as table cells, for the text and markdown formats.

One format per column: the amounts of a column share their decimals (enough for three
significant digits of the smallest), and a cost per resolution and its budget share one
format with enough decimals that they never print alike when they differ. A budget of
the fully loaded cost (human time included) stands beside the fully loaded cost per
resolution, in columns of their own, never beside the AI cost per resolution.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cprlint.money import amount_format, compared_amounts, format_amount, format_rate


@dataclass(frozen=True)
class Column:
    header: str
    numeric: bool = True  # right-aligned


@dataclass(frozen=True)
class ScopeTable:
    columns: list[Column]  # the scope's name first; the status is the reporter's to add
    rows: list[list[str]]
    statuses: list[str]  # "ok", "over", "no resolutions" or "none", per row


def budget_of(row: Mapping[str, Any], *, fully_loaded: bool) -> float | int | None:
    """The row's budget when it is of that kind (of the AI or the fully loaded CPR)."""
    if row.get("budget") is None or bool(row.get("budget_fully_loaded")) != fully_loaded:
        return None
    value: float | int = row["budget"]
    return value


def scope_table(rows: Mapping[str, Mapping[str, Any]], currency: str) -> ScopeTable:
    """`rows`: scope name -> its budget view (`check`'s JSON `policies.*.intents` etc.).
    CPR is the cost per resolution: the AI cost of all conversations over the resolved
    ones; fully loaded, human handling time is added to the AI cost."""
    views = list(rows.values())
    fully_loaded_budgets = any(row.get("budget_fully_loaded") for row in views)
    fully_loaded_shown = fully_loaded_budgets or any(row.get("human_cost") for row in views)
    ai_cost = amount_format([row["ai_cost"] for row in views], currency)
    cpr = amount_format(
        [row["cost_per_resolution"] for row in views]
        + [budget_of(row, fully_loaded=False) for row in views],
        currency,
        distinct=[
            (row["cost_per_resolution"], budget_of(row, fully_loaded=False)) for row in views
        ],
    )
    loaded = amount_format(
        [row.get("fully_loaded_cost_per_resolution") for row in views]
        + [budget_of(row, fully_loaded=True) for row in views],
        currency,
        distinct=[
            (row.get("fully_loaded_cost_per_resolution"), budget_of(row, fully_loaded=True))
            for row in views
        ],
    )
    columns = [
        Column("", numeric=False),
        Column("conversations"),
        Column("resolved"),
        Column("AI cost"),
        Column("AI CPR"),
        Column("budget"),
    ]
    if fully_loaded_shown:
        columns.append(Column("fully loaded CPR"))
    if fully_loaded_budgets:
        columns.append(Column("fully loaded budget"))
    cells = []
    for name, row in rows.items():
        ai_budget = budget_of(row, fully_loaded=False)
        line = [
            name,
            f"{row['conversations']:,}",
            format_rate(Decimal(str(row["resolution_rate"]))),
            ai_cost(row["ai_cost"]),
            cpr(row["cost_per_resolution"]),
            "" if ai_budget is None else cpr(ai_budget),
        ]
        if fully_loaded_shown:
            line.append(loaded(row.get("fully_loaded_cost_per_resolution")))
        if fully_loaded_budgets:
            loaded_budget = budget_of(row, fully_loaded=True)
            line.append("" if loaded_budget is None else loaded(loaded_budget))
        cells.append(line)
    statuses = [str(row.get("budget_status", "none")) for row in views]
    return ScopeTable(columns, cells, statuses)


def traffic_line(traffic: dict[str, Any] | None, currency: str) -> str | None:
    """The policy's monthly projection in words, or None without one."""
    if not traffic or traffic.get("projected_monthly_ai_cost") is None:
        return None
    spend = format_amount(Decimal(str(traffic["projected_monthly_ai_cost"])), currency)
    line = f"Projected monthly AI spend {spend} for {traffic['monthly_tickets']:,} tickets"
    weighted = traffic.get("weighted_cost_per_resolution")
    if weighted is not None:
        line += f"; cost per resolution weighted by the traffic mix {compared_amounts((weighted,), currency)[0]}"
    covered = Decimal(str(traffic["mix_covered"]))
    if covered != 1:
        line += f" (the mix's intents with fixtures cover {format_rate(covered)} of the tickets)"
    return line


# Why a conversation did not count, by the clause of the rule that decided it.
_NOT_COUNTED = {
    "status": "by their status",
    "resolved_by": "resolved by someone the rule leaves out",
    "unattributed": "not saying who resolved them",
    "reopened": "reopened",
    "agent_message": "voided by a human agent's message",
    "csat": "voided by a low CSAT",
    "greeting_only": "answering only a greeting",
    "unconfirmed": "not confirmed by the customer",
    "assumed_after": "the customer wrote again",
}


def resolution_line(resolution: dict[str, Any] | None) -> str | None:
    """Which rule counted the resolutions, and how many conversations each clause decided."""
    if not resolution:
        return None
    rule = resolution["rule"]
    named = f"preset {rule['preset']}" if rule.get("preset") else "the policy's own rule"
    decided: dict[str, int] = dict(resolution["decided"])
    counted = decided.pop("counted", 0)
    judged = counted + sum(decided.values())
    line = f"Resolutions by {named}: {counted:,} of {judged:,} conversations counted"
    if decided:
        line += "; not counted: " + ", ".join(
            f"{count:,} {_NOT_COUNTED.get(clause, clause)}" for clause, count in decided.items()
        )
    untimed = resolution.get("untimed") or {}
    if untimed:
        lacking = ", ".join(f"{count:,} for {clause}" for clause, count in untimed.items())
        line += f" (without the times: {lacking}; judged by the rest of the rule)"
    return line


def overhead_line(overhead: dict[str, Any] | None, currency: str) -> str | None:
    """The fixed monthly overhead, and each ticket's share of it."""
    if not overhead:
        return None
    monthly = sum((Decimal(str(amount)) for amount in overhead["monthly"].values()), Decimal(0))
    line = f"Overhead {format_amount(monthly, currency)} a month"
    if overhead.get("per_ticket") is None:
        return line + ": no `traffic.monthly_tickets` to spread it over, so not counted"
    per_ticket = compared_amounts((overhead["per_ticket"],), currency)[0]
    return (
        f"{line} over {overhead['monthly_tickets']:,} tickets: {per_ticket} a ticket, "
        f"{format_amount(Decimal(str(overhead['allocated'])), currency)} here, in the fully "
        "loaded cost per resolution only"
    )


def compared_table(compared: dict[str, Any] | None, currency: str) -> ScopeTable | None:
    """What the vendor of `compare_with` would charge, overall and per intent, beside the
    AI and fully loaded cost per resolution."""
    if not compared:
        return None
    rows = {"all conversations": compared["summary"], **compared["intents"]}
    money = amount_format(
        [
            value
            for row in rows.values()
            for value in (
                row["charge_per_resolution"],
                row["cost_per_resolution"],
                row["fully_loaded_cost_per_resolution"],
            )
        ],
        currency,
    )
    charges = amount_format([row["charge"] for row in rows.values()], currency)
    columns = [
        Column("", numeric=False),
        Column("resolved"),
        Column("by its rule"),
        Column("its charge"),
        Column("its charge/resolution"),
        Column("AI CPR"),
        Column("fully loaded CPR"),
    ]
    cells = [
        [
            name,
            f"{row['resolved']:,}",
            f"{row['resolved_under_vendor_rule']:,}",
            charges(row["charge"]),
            money(row["charge_per_resolution"]),
            money(row["cost_per_resolution"]),
            money(row["fully_loaded_cost_per_resolution"]),
        ]
        for name, row in rows.items()
    ]
    return ScopeTable(columns, cells, ["none"] * len(cells))


def compared_title(compared: dict[str, Any], currency: str) -> str:
    price = compared_amounts((compared["price"],), currency)[0]
    return f"Compared with {compared['name']} ({price} a {compared['per']}, counted by its rule)"
