"""Every rule cprlint knows, registered on import. `RULES` maps code -> Rule."""

from __future__ import annotations

from cprlint.rules import creep, fixtures, imports, inputs, policy, prompts, replay
from cprlint.rules.registry import RULES, Rule, Target, rules_for

__all__ = [
    "RULES",
    "Rule",
    "Target",
    "creep",
    "fixtures",
    "imports",
    "inputs",
    "policy",
    "prompts",
    "replay",
    "rules_for",
]
