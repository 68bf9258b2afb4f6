"""What a policy change means: loosened, tightened or neutral, and whether it is approved.

Policies of both trees are paired by `metadata.project`. Most of a policy is compared
with deepdiff, key by key; what is a set is compared as a set (the tiers a risk level
allows, the statuses and resolvers that count as a resolution), and waivers by what
they waive.

A change is *loosened* when it lets more money or risk through: a budget, cap or creep
threshold raised or removed, a quality floor lowered, a tier allowed at a risk level or
a model added to a tier, an intent's risk lowered or its tier moved up (as a stage's), a
price lowered (spend then looks smaller), more conversations counted as resolved, a
waiver added, widened or extended, a policy removed. *Tightened* is the opposite; the
rest is *neutral*.

Loosening a guardrail is an error finding (CPR121) at the changed line, unless the head
policy acknowledges it in `approvals` (its path, the policy version that makes the
change, an owner and a reason). Any change needs a `metadata.version` bump (CPR120).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from cprlint.documents import key_path_text
from cprlint.findings import Location, Problem
from cprlint.model import RESOLVERS, Approval, Policy, ResolutionRule, Waiver
from cprlint.money import json_number
from cprlint.project import Project
from cprlint.resolution import duration_text

LOOSENED, TIGHTENED, NEUTRAL = "loosened", "tightened", "neutral"
KINDS = (LOOSENED, TIGHTENED, NEUTRAL)
VERSION_NOT_BUMPED = "CPR120"
GUARDRAIL_LOOSENED = "CPR121"


class _Absent:
    """The value of a key that is not there (added: old; removed: new)."""

    def __repr__(self) -> str:
        return "absent"


ABSENT: Any = _Absent()

# Compared apart, by meaning (`_set_changes`, `_waiver_changes`), or not at all: the
# version is what changes with every change, approvals are about the changes.
_APART = ("tiers", "risk", "resolution", "waivers", "approvals")
# Price keys: a lower price makes the same calls look cheaper.
_PRICE_KEYS = frozenset({"input", "output", "cached_input", "cache_write", "per_query"})


@dataclass(frozen=True)
class Acknowledgement:
    """The approval that accepts a loosened guardrail: who, why, and where it is written."""

    owner: str
    reason: str
    location: Location

    def to_json(self) -> dict[str, Any]:
        return {
            "owner": self.owner,
            "reason": self.reason,
            "file": self.location.path,
            "line": self.location.line,
        }


@dataclass(frozen=True)
class PolicyChange:
    policy: str
    path: str  # the changed key: "budgets.cost_per_resolution", "waivers[2]"
    old: Any  # ABSENT when added
    new: Any  # ABSENT when removed
    kind: str  # loosened | tightened | neutral
    location: Location
    # Words for the change where "path: old → new" says too little (a waiver's).
    words: str | None = None
    approved_by: Acknowledgement | None = None

    @property
    def needs_approval(self) -> bool:
        return self.kind == LOOSENED and self.approved_by is None

    def describe(self) -> str:
        if self.words is not None:
            return f"{self.path}: {self.words}"
        if self.old is ABSENT:
            return f"{self.path}: added {_show(self.new)}"
        if self.new is ABSENT:
            return f"{self.path}: removed (was {_show(self.old)})"
        return f"{self.path}: {_show(self.old)} → {_show(self.new)}"

    def to_json(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "path": self.path,
            "old": None if self.old is ABSENT else _jsonable(self.old),
            "new": None if self.new is ABSENT else _jsonable(self.new),
            "kind": self.kind,
            "file": self.location.path,
            "line": self.location.line,
            "description": self.describe(),
            "approved_by": None if self.approved_by is None else self.approved_by.to_json(),
        }


def _jsonable(value: Any) -> Any:
    def convert(item: Any) -> Any:
        return json_number(item) if isinstance(item, Decimal) else str(item)

    return json.loads(json.dumps(value, default=convert))


def _show(value: Any) -> str:
    if isinstance(value, dict | list | tuple):
        text = json.dumps(_jsonable(value), separators=(", ", ": "), ensure_ascii=False)
        return text if len(text) <= 80 else text[:77] + "..."
    return str(value)


# --- classifying a change ----------------------------------------------------------------


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict) and "cost_per_resolution" in value:
        return _number(value["cost_per_resolution"])
    return None


def _by_number(old: Any, new: Any, *, higher: str) -> str:
    """A limit's change: a new limit tightens, a removed one loosens; otherwise `higher`
    says what a higher number does."""
    if old is ABSENT:
        return TIGHTENED
    if new is ABSENT:
        return LOOSENED
    old_number, new_number = _number(old), _number(new)
    if old_number is None or new_number is None or old_number == new_number:
        return NEUTRAL
    lower = TIGHTENED if higher == LOOSENED else LOOSENED
    return higher if new_number > old_number else lower


def _by_order(old: Any, new: Any, order: list[str], *, later: str) -> str:
    if old in order and new in order and old != new:
        earlier = TIGHTENED if later == LOOSENED else LOOSENED
        return later if order.index(new) > order.index(old) else earlier
    return NEUTRAL


def classify_leaf(path: tuple[Any, ...], old: Any, new: Any, base: Policy, head: Policy) -> str:
    """Whether a change of one value lets more money (or risk) through, less, or neither."""
    if not path:
        return NEUTRAL
    section, last = path[0], path[-1]
    budget = section == "budgets" or (
        section == "intents" and len(path) >= 3 and path[2] == "budget"
    )
    if budget and last == "fully_loaded":
        # A budget on the fully loaded cost (human time included) is the stricter one.
        was, now = old is True, new is True
        return NEUTRAL if was == now else TIGHTENED if now else LOOSENED
    if budget or section in ("retries", "creep") or path[:2] == ("quality", "max_escalation_rate"):
        return _by_number(old, new, higher=LOOSENED)
    if path[:2] == ("quality", "min_resolution_rate"):
        return _by_number(old, new, higher=TIGHTENED)
    if path[:2] == ("pricing", "overhead"):  # more overhead counted is stricter
        return _by_number(old, new, higher=TIGHTENED)
    is_price = last in _PRICE_KEYS or path[:2] in {("pricing", "tools"), ("pricing", "human")}
    if section == "pricing" and is_price:
        if old is ABSENT or new is ABSENT:
            return NEUTRAL  # a price added or dropped: the catalog's, or none, takes over
        return _by_number(old, new, higher=TIGHTENED)
    tier_order = list(head.tiers) or list(base.tiers)
    if (section == "intents" and len(path) == 3 and last == "tier") or (
        path[:2] == ("routing", "stages") and len(path) == 3
    ):
        return _by_order(old, new, tier_order, later=LOOSENED)  # a pricier tier
    if section == "intents" and len(path) == 3 and last == "risk":
        return _by_order(old, new, list(head.risk) or list(base.risk), later=TIGHTENED)
    return NEUTRAL


def _leaves(value: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path, value


def classify(path: tuple[Any, ...], old: Any, new: Any, base: Policy, head: Policy) -> str:
    """A change of a value or of a whole section (added, removed, or of another type):
    loosened when any value in it loosens, else tightened when any tightens."""
    if _is_budget(path):
        # A budget is a number or {cost_per_resolution: N, fully_loaded: true}: the same
        # amount in the other form changes only what it is a budget of.
        if old is not ABSENT and new is not ABSENT and _number(old) == _number(new):
            return _fully_loaded_change(old, new)
        return _by_number(old, new, higher=LOOSENED)
    if not isinstance(old, dict | list) and not isinstance(new, dict | list):
        return classify_leaf(path, old, new, base, head)
    old_leaves = {} if old is ABSENT else dict(_leaves(old, path))
    new_leaves = {} if new is ABSENT else dict(_leaves(new, path))
    kinds = {
        classify_leaf(leaf, old_leaves.get(leaf, ABSENT), new_leaves.get(leaf, ABSENT), base, head)
        for leaf in old_leaves.keys() | new_leaves.keys()
    }
    return LOOSENED if LOOSENED in kinds else TIGHTENED if TIGHTENED in kinds else NEUTRAL


def _is_budget(path: tuple[Any, ...]) -> bool:
    """Whether `path` is where a cost-per-resolution budget is written."""
    if len(path) == 3 and path[0] == "intents" and path[2] == "budget":
        return True
    if path == ("budgets", "cost_per_resolution"):
        return True
    return len(path) == 3 and path[:2] in {("budgets", "queues"), ("budgets", "automation")}


def _fully_loaded_change(old: Any, new: Any) -> str:
    was = isinstance(old, dict) and old.get("fully_loaded") is True
    now = isinstance(new, dict) and new.get("fully_loaded") is True
    return NEUTRAL if was == now else TIGHTENED if now else LOOSENED


# --- the changes -------------------------------------------------------------------------


def policy_changes(base: Policy, head: Policy) -> list[PolicyChange]:
    """Every change from `base` to `head` (the same project's policy), classified and,
    where loosened, matched with the approval that acknowledges it."""
    # Imported here: a plain `check` never compares policies, and deepdiff is slow to load.
    from deepdiff import DeepDiff

    def compared(data: Any) -> dict[str, Any]:
        mapping = dict(data) if isinstance(data, dict) else {}
        metadata = mapping.get("metadata")
        if isinstance(metadata, dict):
            mapping["metadata"] = {key: v for key, v in metadata.items() if key != "version"}
        return {key: value for key, value in mapping.items() if key not in _APART}

    difference = DeepDiff(
        compared(base.document.data), compared(head.document.data), verbose_level=2
    )
    changes: list[PolicyChange] = []
    for report_type, items in difference.tree.items():
        for item in items:
            path = tuple(item.path(output_format="list"))
            old = ABSENT if "added" in report_type else item.t1
            new = ABSENT if "removed" in report_type else item.t2
            changes.append(
                PolicyChange(
                    head.name,
                    key_path_text(path),
                    old,
                    new,
                    classify(path, old, new, base, head),
                    head.locate(*path),
                )
            )
    changes += _tier_changes(base, head)
    changes += _set_changes(base, head)
    changes += _waiver_changes(base, head)
    changes = [_approved(change, head) for change in changes]
    return sorted(changes, key=lambda change: (change.location.line, change.path))


def _set_change(
    policy: Policy,
    key_path: tuple[str, ...],
    old: tuple[str, ...] | None,
    new: tuple[str, ...] | None,
    *,
    more_is: str,
) -> PolicyChange | None:
    """A list whose order means nothing: the items added make it `more_is`."""
    old_set, new_set = set(old or ()), set(new or ())
    if old_set == new_set:
        return None
    less_is = TIGHTENED if more_is == LOOSENED else LOOSENED
    kind = more_is if new_set - old_set else less_is
    return _change_at(policy, key_path, old, new, kind)


def _change_at(
    policy: Policy, key_path: tuple[str, ...], old: Any, new: Any, kind: str
) -> PolicyChange:
    """A change of the value at `key_path` of `policy`, located there; a value not set
    (None) is absent, and a sequence is shown as a list."""

    def shown(value: Any) -> Any:
        if value is None:
            return ABSENT
        return list(value) if isinstance(value, tuple) else value

    return PolicyChange(
        policy.name, key_path_text(key_path), shown(old), shown(new), kind, policy.locate(*key_path)
    )


def _tier_changes(base: Policy, head: Policy) -> list[PolicyChange]:
    """The models of a tier: one added is allowed where it was routing drift (looser), one
    removed is drift now (tighter); the first is what calls are re-routed to, so a new
    order alone is a (neutral) change too. A tier added or removed whole allows nothing
    by itself: the risk levels and intents that name it are compared on their own."""
    found: list[PolicyChange] = []
    for tier in list(head.tiers) + [tier for tier in base.tiers if tier not in head.tiers]:
        old, new = base.tiers.get(tier), head.tiers.get(tier)
        if old == new:
            continue
        path = ("tiers", tier)
        if old is not None and new is not None and set(old) != set(new):
            change = _set_change(head, path, old, new, more_is=LOOSENED)
            if change is not None:
                found.append(change)
            continue
        found.append(_change_at(head, path, old, new, NEUTRAL))
    return found


def _set_changes(base: Policy, head: Policy) -> list[PolicyChange]:
    """The tiers each risk level allows (more is looser), and what counts as a resolution
    (more counted is looser), compared as sets, with the defaults of what is left out."""
    found = [
        _set_change(
            head, ("risk", level), base.risk.get(level), head.risk.get(level), more_is=LOOSENED
        )
        for level in sorted(base.risk.keys() | head.risk.keys())
    ]
    old, new = base.resolution, head.resolution
    found.append(
        _set_change(head, ("resolution", "statuses"), old.statuses, new.statuses, more_is=LOOSENED)
    )
    found.append(
        _set_change(
            head,
            ("resolution", "resolved_by"),
            tuple(old.resolved_by or RESOLVERS),
            tuple(new.resolved_by or RESOLVERS),
            more_is=LOOSENED,
        )
    )
    found += _resolution_clause_changes(head, old, new)
    return [change for change in found if change is not None]


def _resolution_clause_changes(
    head: Policy, old: ResolutionRule, new: ResolutionRule
) -> list[PolicyChange]:
    """The rule's other clauses, by what each lets count: loosened when more
    conversations would count as resolved (a voiding clause dropped or narrowed)."""

    # (key path, old, new, kind): each clause that differs, and which way it moves.
    clauses: list[tuple[tuple[str, ...], Any, Any, str]] = []

    def flag(path: tuple[str, ...], was: bool, now: bool) -> None:
        if was != now:  # a voiding clause turned on tightens; off loosens
            clauses.append((path, was, now, TIGHTENED if now else LOOSENED))

    flag(("resolution", "exclude_reopened"), old.exclude_reopened, new.exclude_reopened)
    flag(("resolution", "confirmed_only"), old.confirmed_only, new.confirmed_only)
    flag(
        ("resolution", "void_when", "agent_message"),
        old.void_on_agent_message,
        new.void_on_agent_message,
    )
    flag(
        ("resolution", "void_when", "greeting_only"), old.void_greeting_only, new.void_greeting_only
    )
    if old.csat_below != new.csat_below:  # a higher bar voids more
        higher = new.csat_below is not None and (
            old.csat_below is None or new.csat_below > old.csat_below
        )
        clauses.append(
            (
                ("resolution", "void_when", "csat_below"),
                old.csat_below,
                new.csat_below,
                TIGHTENED if higher else LOOSENED,
            )
        )
    if old.assumed_after != new.assumed_after:  # a longer wait voids more
        longer = new.assumed_after is not None and (
            old.assumed_after is None or new.assumed_after > old.assumed_after
        )
        clauses.append(
            (
                ("resolution", "assumed_after"),
                duration_text(old.assumed_after),
                duration_text(new.assumed_after),
                TIGHTENED if longer else LOOSENED,
            )
        )
    if old.reopened_within != new.reopened_within:
        # No window: any reopening voids; a window voids only the reopenings within it.
        wider = new.reopened_within is None or (
            old.reopened_within is not None and new.reopened_within > old.reopened_within
        )
        clauses.append(
            (
                ("resolution", "reopened_within"),
                duration_text(old.reopened_within),
                duration_text(new.reopened_within),
                TIGHTENED if wider else LOOSENED,
            )
        )
    if old.preset != new.preset:  # (what it changes is in the clauses above)
        clauses.append((("resolution", "preset"), old.preset, new.preset, NEUTRAL))
    return [_change_at(head, path, was, now, kind) for path, was, now, kind in clauses]


def _waiver_key(waiver: Waiver) -> tuple[str | None, ...]:
    return (waiver.rule, waiver.intent, waiver.queue, waiver.prompt, waiver.conversation)


def _waiver_words(waiver: Waiver) -> str:
    scope = ", ".join(
        f"{name} `{value}`"
        for name, value in (
            ("intent", waiver.intent),
            ("queue", waiver.queue),
            ("prompt", waiver.prompt),
            ("conversation", waiver.conversation),
        )
        if value is not None
    )
    until = f" until {waiver.expires.isoformat()}" if waiver.expires else " without an expiry"
    owner = f", owner {waiver.owner}" if waiver.owner else ""
    return f"{waiver.rule or '?'}{f' for {scope}' if scope else ' everywhere'}{until}{owner}"


def _raw_waiver(policy: Policy, waiver: Waiver) -> Any:
    """The waiver as written in the policy (what a change shows as old or new)."""
    data = policy.document.data
    waivers = data.get("waivers") if isinstance(data, dict) else None
    return waivers[waiver.index] if isinstance(waivers, list) else None


def _waiver_changes(base: Policy, head: Policy) -> list[PolicyChange]:
    """Waivers matched by what they waive (rule and scope): one added waives more (a
    wider one is a new one), one extended waives longer, one removed waives less."""
    unmatched: dict[tuple[str | None, ...], list[Waiver]] = {}
    for waiver in base.waivers:
        unmatched.setdefault(_waiver_key(waiver), []).append(waiver)
    changes = []
    for waiver in head.waivers:
        path = f"waivers[{waiver.index}]"
        location = head.locate("waivers", waiver.index)
        earlier = unmatched.get(_waiver_key(waiver))
        if not earlier:
            words = f"added: {_waiver_words(waiver)}"
            changes.append(
                PolicyChange(
                    head.name, path, ABSENT, _raw_waiver(head, waiver), LOOSENED, location, words
                )
            )
            continue
        old = earlier.pop(0)
        if old.expires != waiver.expires:
            later = waiver.expires is None or (
                old.expires is not None and waiver.expires > old.expires
            )
            was = old.expires.isoformat() if old.expires else "no expiry"
            words = f"{'extended' if later else 'shortened'}: {_waiver_words(waiver)} (was {was})"
            changes.append(
                PolicyChange(
                    head.name,
                    path,
                    _raw_waiver(base, old),
                    _raw_waiver(head, waiver),
                    LOOSENED if later else TIGHTENED,
                    location,
                    words,
                )
            )
        elif (old.owner, old.reason) != (waiver.owner, waiver.reason):
            words = f"owner or reason of {_waiver_words(waiver)} changed"
            changes.append(
                PolicyChange(
                    head.name,
                    path,
                    _raw_waiver(base, old),
                    _raw_waiver(head, waiver),
                    NEUTRAL,
                    location,
                    words,
                )
            )
    for waivers in unmatched.values():
        for old in waivers:
            words = f"removed: {_waiver_words(old)}"
            changes.append(
                PolicyChange(
                    head.name,
                    f"waivers[{old.index}]",
                    _raw_waiver(base, old),
                    ABSENT,
                    TIGHTENED,
                    head.locate("waivers"),
                    words,
                )
            )
    return changes


def _approved(change: PolicyChange, head: Policy) -> PolicyChange:
    if change.kind != LOOSENED:
        return change
    approval: Approval | None = next(
        (approval for approval in head.approvals if approval.covers(change.path, head.version)),
        None,
    )
    if approval is None:
        return change
    acknowledgement = Acknowledgement(
        approval.owner or "", approval.reason or "", head.locate("approvals", approval.index)
    )
    return replace(change, approved_by=acknowledgement)


def changes_and_problems(head: Project, base: Project) -> tuple[list[PolicyChange], list[Problem]]:
    """Every policy change, a CPR120 for each changed policy whose version stayed, and a
    CPR121 for each loosened guardrail that no approval acknowledges."""
    base_by_key: Mapping[str | None, Policy] = {policy.project: policy for policy in base.policies}
    head_keys = {policy.project for policy in head.policies}
    changes: list[PolicyChange] = []
    problems: list[Problem] = []
    for policy in head.policies:
        old = base_by_key.get(policy.project)
        if old is None:
            changes.append(
                PolicyChange(policy.name, "policy", ABSENT, policy.name, NEUTRAL, policy.locate())
            )
            continue
        found = policy_changes(old, policy)
        changes.extend(found)
        if found and (policy.version or 0) <= (old.version or 0):
            count = len(found)
            problems.append(
                Problem(
                    f"policy `{policy.name}` changed ({count} change{'s' if count != 1 else ''}) "
                    f"but `metadata.version` is still {policy.version}; bump it",
                    policy.locate("metadata", "version"),
                    code=VERSION_NOT_BUMPED,
                )
            )
    for key, old in base_by_key.items():
        if key not in head_keys:
            governs = f"project `{key}`" if key else "conversations of no other policy"
            changes.append(
                PolicyChange(
                    old.name,
                    "policy",
                    old.name,
                    ABSENT,
                    LOOSENED,
                    Location(old.path, 1),
                    f"removed: `{old.name}`, which governed {governs}, and every guardrail in it",
                )
            )
    versions = {policy.name: policy.version for policy in head.policies}
    for change in changes:
        if change.needs_approval:
            problems.append(_unapproved(change, versions.get(change.policy)))
    return changes, problems


def _unapproved(change: PolicyChange, version: int | None) -> Problem:
    if change.new is ABSENT and change.path == "policy":
        remedy = "a removed policy takes its approvals with it: keep it, or decide in review"
    else:
        remedy = (
            f"approve it under `approvals` with {{path: {change.path}, version: "
            f"{version if version is not None else 'N'}, owner: ..., reason: ...}}, or undo it"
        )
    return Problem(
        f"{change.describe()} loosens a guardrail of policy `{change.policy}`; {remedy}",
        change.location,
        code=GUARDRAIL_LOOSENED,
    )
