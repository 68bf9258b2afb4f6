"""Named resolution rules: what vendors that bill per resolution count as one.

A policy's `resolution: {preset: intercom-fin}` expands to the rule below; keys given
beside the preset override it. Each rests on the vendor's own help page, read on
2026-12-07 (docs/resolution.md quotes what each clause stands for):

- `intercom-fin` (https://www.intercom.com/help/en/articles/8205718-fin-resolutions):
  after Fin's last answer, the customer confirms it helped (confirmed) or leaves
  without asking for more help, with at least 24 hours to come back (assumed); a reply
  to a greeting alone is no answer; a customer who comes back to the conversation for
  help later, even in another billing period, takes the resolution back.
- `zendesk-messaging` (https://support.zendesk.com/hc/en-us/articles/5352026794010):
  resolved without live-agent intervention, counted after 72 hours of inactivity.
"""

from __future__ import annotations

from typing import Any

PRESETS: dict[str, dict[str, Any]] = {
    "intercom-fin": {
        "statuses": ["resolved"],
        "resolved_by": ["ai"],
        "exclude_reopened": True,
        "assumed_after": "24h",
        "void_when": {"greeting_only": True},
    },
    "zendesk-messaging": {
        "statuses": ["resolved"],
        "resolved_by": ["ai"],
        "exclude_reopened": True,
        "assumed_after": "72h",
        "void_when": {"agent_message": True},
    },
}


def expanded(rule: dict[Any, Any]) -> dict[Any, Any]:
    """The rule as written, its preset's keys filled in where it gives none."""
    name = rule.get("preset")
    preset = PRESETS.get(name) if isinstance(name, str) else None
    if preset is None:
        return rule
    merged = {**preset, **rule}
    if isinstance(preset.get("void_when"), dict) and isinstance(rule.get("void_when"), dict):
        merged["void_when"] = {**preset["void_when"], **rule["void_when"]}
    return merged
