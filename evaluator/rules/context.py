"""What a rule may look at besides the object it checks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from cprlint.findings import Location, Scope
from cprlint.project import Project


@dataclass
class ConversationIds:
    """Where each conversation id was first seen, and where it was seen again.

    The ids of a stretch of the fixture stream merge into those of the stretches before
    it, so a duplicate is found, and names the same first place, however the stream was
    split between processes.
    """

    # Id -> the line of its first conversation.
    first: dict[str, Location] = field(default_factory=dict)
    # Seen again with the conversation at hand: id, where its `id` is, scope.
    repeats: list[tuple[str, Location, Scope]] = field(default_factory=list)
    # Seen again in a later stretch, as that stretch's first: id, the conversation's line.
    repeats_to_locate: list[tuple[str, Location]] = field(default_factory=list)

    def merge(self, later: ConversationIds) -> None:
        for conversation_id, line in later.first.items():
            if conversation_id in self.first:
                self.repeats_to_locate.append((conversation_id, line))
            else:
                self.first[conversation_id] = line
        self.repeats.extend(later.repeats)
        self.repeats_to_locate.extend(later.repeats_to_locate)


@dataclass
class RuleContext:
    project: Project
    # The date waivers are judged against (UTC today, or `--today`).
    today: dt.date
    conversation_ids: ConversationIds = field(default_factory=ConversationIds)
