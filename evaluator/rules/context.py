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

    # Id -> the line of its first conversation, as (its file's place in `paths`) << 32 |
    # line: one small integer an id, where a Location took five times the memory (every id
    # of the fixture set is kept here until the stream ends).
    first: dict[str, int] = field(default_factory=dict)
    paths: list[str] = field(default_factory=list)
    # Seen again with the conversation at hand: id, where its `id` is, scope.
    repeats: list[tuple[str, Location, Scope]] = field(default_factory=list)
    # Seen again in a later stretch, as that stretch's first: id, the conversation's line.
    repeats_to_locate: list[tuple[str, Location]] = field(default_factory=list)
    _path_numbers: dict[str, int] = field(default_factory=dict)

    def __contains__(self, conversation_id: str) -> bool:
        return conversation_id in self.first

    def add_first(self, conversation_id: str, path: str, line: int) -> None:
        number = self._path_numbers.get(path)
        if number is None:
            number = self._path_numbers[path] = len(self.paths)
            self.paths.append(path)
        self.first[conversation_id] = number << 32 | line

    def first_line(self, conversation_id: str) -> Location:
        packed = self.first[conversation_id]
        return Location(self.paths[packed >> 32], packed & 0xFFFFFFFF)

    def merge(self, later: ConversationIds) -> None:
        for conversation_id, packed in later.first.items():
            path, line = later.paths[packed >> 32], packed & 0xFFFFFFFF
            if conversation_id in self.first:
                self.repeats_to_locate.append((conversation_id, Location(path, line)))
            else:
                self.add_first(conversation_id, path, line)
        self.repeats.extend(later.repeats)
        self.repeats_to_locate.extend(later.repeats_to_locate)


@dataclass
class RuleContext:
    project: Project
    # The date waivers are judged against (UTC today, or `--today`).
    today: dt.date
    conversation_ids: ConversationIds = field(default_factory=ConversationIds)
