"""Which shape an export file was read in, when it is not the one its format names (CPR807).

Exports come in shapes next to a format's own: the spans an SDK dumps rather than an OTLP
export request, a Langfuse trace download rather than its observations, responses
recorded without their requests. cprlint reads them, and says once per file and shape
what it understood, and how many records that gave, so that a wrong guess shows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from cprlint.findings import Location
from cprlint.importers.context import ImportContext
from cprlint.rules.imports import NEIGHBOUR_SHAPE


@dataclass
class _Seen:
    location: Location  # the first record read in this shape
    # What it gave, singular noun -> how many.
    counts: Counter[str] = field(default_factory=Counter)


class ShapesRead:
    """The shapes one file was read in, each with where it was first met."""

    def __init__(self, own: str) -> None:
        self.own = own  # the format's own shape, for the message
        self._seen: dict[str, _Seen] = {}

    def note(self, shape: str, locate: Callable[[], Location], noun: str, count: int = 1) -> None:
        seen = self._seen.get(shape)
        if seen is None:
            seen = self._seen[shape] = _Seen(locate())
        seen.counts[noun] += count

    def report(self, context: ImportContext) -> None:
        for shape, seen in self._seen.items():
            gave = ", ".join(
                f"{count:,} {noun if count == 1 else noun + 's'}"
                for noun, count in seen.counts.items()
            )
            context.problem(
                NEIGHBOUR_SHAPE,
                f"read as {shape}, not {self.own}: {gave}",
                seen.location,
            )
