"""What a rule may look at besides the object it checks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from cprlint.findings import Location
from cprlint.project import Project


@dataclass
class RuleContext:
    project: Project
    # The date waivers are judged against (UTC today, or `--today`).
    today: dt.date
    # Conversation id -> where it was first seen, for duplicate ids across files.
    first_seen_conversations: dict[str, Location] = field(default_factory=dict)
