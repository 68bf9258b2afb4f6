"""The rule registry: every finding cprlint can report has a rule here, with its docs.

A rule is a code, a name, a default severity and a docstring (what, why, a failing and
a passing example: `cprlint explain` prints it). Most rules also have a check function
that yields `Problem`s; the engine, never the rule, stamps code and severity on them.
Rules whose problems are found by a loader (syntax, schema) are registered for their
documentation only.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from cprlint.findings import Problem, Severity


class Target(StrEnum):
    INPUT = "input"  # found while reading files
    POLICY = "policy"
    PROMPT = "prompt"
    FIXTURE = "fixture"
    REPLAY = "replay"  # found by `check` while replaying fixtures
    IMPORT = "import"  # found by `import` while reading production traces


CheckFunction = Callable[..., Iterator[Problem]]
F = TypeVar("F", bound=CheckFunction)


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    target: Target
    doc: str
    check: CheckFunction | None = None

    @property
    def summary(self) -> str:
        """The docstring's first paragraph, on one line."""
        return " ".join(self.doc.strip().split("\n\n")[0].split())

    @property
    def explanation(self) -> str:
        """The docstring without its summary paragraph."""
        parts = self.doc.strip().split("\n\n", 1)
        return parts[1].strip() if len(parts) > 1 else ""


RULES: dict[str, Rule] = {}


def _register(rule: Rule) -> None:
    if rule.code in RULES:
        raise ValueError(f"rule {rule.code} is registered twice")
    RULES[rule.code] = rule


def rule(code: str, name: str, severity: Severity, target: Target) -> Callable[[F], F]:
    """Register the decorated check function as a rule; its docstring is the rule's doc."""

    def register(check: F) -> F:
        _register(Rule(code, name, severity, target, inspect.cleandoc(check.__doc__ or ""), check))
        return check

    return register


def documented_rule(code: str, name: str, severity: Severity, target: Target, doc: str) -> None:
    """Register a rule whose problems a loader finds; only its documentation lives here."""
    _register(Rule(code, name, severity, target, inspect.cleandoc(doc)))


def rules_for(target: Target) -> list[Rule]:
    return [rule for rule in RULES.values() if rule.target is target and rule.check is not None]


def describe(rule: Rule) -> dict[str, Any]:
    return {
        "code": rule.code,
        "name": rule.name,
        "severity": rule.severity.value,
        "target": rule.target.value,
        "summary": rule.summary,
    }
