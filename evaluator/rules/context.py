"""What a rule may look at besides the object it checks."""

from __future__ import annotations

import datetime as dt
import itertools
from array import array
from dataclasses import dataclass, field

from cprlint.findings import Location
from cprlint.project import Project


@dataclass
class ConversationIds:
    """Every conversation's id as a hash, and the line where the conversation starts.

    16 bytes a conversation, whatever the id: the ids of a large fixture set are not kept
    as strings until the stream ends. Equal hashes only make candidates (`candidates`):
    CPR301 reads those conversations again, and a duplicate is an equal id.

    The ids of a stretch of the fixture stream merge into those of the stretches before
    it, so a duplicate is found, and names the same first place, however the stream was
    split between processes.
    """

    # `hash(id)`: the same in the worker processes, which are forked from one interpreter.
    hashes: array[int] = field(default_factory=lambda: array("q"))
    # (The file's place in `paths`) << 32 | the line: in stream order, as files are numbered
    # in the order they are first seen and tallies merge in stream order.
    places: array[int] = field(default_factory=lambda: array("q"))
    paths: list[str] = field(default_factory=list)
    _path_numbers: dict[str, int] = field(default_factory=dict)

    def add(self, conversation_id: str, path: str, line: int) -> None:
        self.hashes.append(hash(conversation_id))
        self.places.append(self._path_number(path) << 32 | line)

    def _path_number(self, path: str) -> int:
        number = self._path_numbers.get(path)
        if number is None:
            number = self._path_numbers[path] = len(self.paths)
            self.paths.append(path)
        return number

    def merge(self, later: ConversationIds) -> None:
        renumbered = [self._path_number(path) << 32 for path in later.paths]
        self.hashes.extend(later.hashes)
        self.places.extend(renumbered[place >> 32] | place & 0xFFFFFFFF for place in later.places)

    def candidates(self) -> list[list[Location]]:
        """The lines of conversations whose ids hash alike, a list per hash, in stream
        order: every duplicate id is among them."""
        ordered = sorted(self.hashes)
        repeated = {value for value, following in itertools.pairwise(ordered) if value == following}
        del ordered
        if not repeated:
            return []
        lines: dict[int, list[Location]] = {}
        for value, place in zip(self.hashes, self.places, strict=True):
            if value in repeated:
                location = Location(self.paths[place >> 32], place & 0xFFFFFFFF)
                lines.setdefault(value, []).append(location)
        return list(lines.values())


@dataclass
class RuleContext:
    project: Project
    # The date waivers are judged against (UTC today, or `--today`).
    today: dt.date
    conversation_ids: ConversationIds = field(default_factory=ConversationIds)
