"""Findings past what memory should hold, kept sorted on disk.

A broad routing drift over production-sized fixtures makes a finding in most calls:
800,000 of them at 300,000 conversations, about 500 bytes each as objects. The collector
keeps at most `SPILL_AT` at a time; each batch is sorted and written to a temporary file
as a run, and the runs are merged (`heapq.merge`, stable: of findings that sort alike,
the earlier one comes first) into one more file that reporters read a block at a time,
as often as they need. The order and the findings kept are those of the in-memory path,
`sorted(dict.fromkeys(findings), key=sort_key)`: equal findings sort alike, so each is
dropped where its group of ties is merged, and the first of it is kept.
"""

from __future__ import annotations

import heapq
import pickle
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from itertools import groupby
from operator import attrgetter
from typing import IO, overload

from cprlint.findings import Finding

# Findings the collector holds before it writes them out: some 25 MB.
SPILL_AT = 50_000
# Findings per block of a file: a block is read whole (pickle reads it in C).
BLOCK = 4_096

_SORT_KEY = attrgetter("sort_key")


class SpilledRuns:
    """Sorted runs of findings in one temporary file, each a list of blocks."""

    def __init__(self) -> None:
        # (Open as long as the runs are wanted: closed once merged, and gone from disk then.)
        self._file: IO[bytes] = tempfile.TemporaryFile(prefix="cprlint-findings-")  # noqa: SIM115
        self._runs: list[list[int]] = []  # per run, where each of its blocks starts

    def __len__(self) -> int:
        return len(self._runs)

    def write(self, findings: list[Finding]) -> None:
        """One more run: `findings` sorted (stably: stream order among ties)."""
        ordered = sorted(findings, key=_SORT_KEY)
        self._file.seek(0, 2)
        starts = []
        for start in range(0, len(ordered), BLOCK):
            starts.append(self._file.tell())
            pickle.dump(ordered[start : start + BLOCK], self._file, pickle.HIGHEST_PROTOCOL)
        self._runs.append(starts)

    def merged(self, last: list[Finding]) -> SortedFindings:
        """The runs and `last` (the findings still held, the latest in the stream) as one
        sorted sequence without duplicates."""
        streams: list[Iterable[Finding]] = [self._read(starts) for starts in self._runs]
        streams.append(sorted(last, key=_SORT_KEY))
        merged = heapq.merge(*streams, key=_SORT_KEY)
        result = SortedFindings.written(_first_of_each(merged))
        self._file.close()
        return result

    def _read(self, starts: list[int]) -> Iterator[Finding]:
        for start in starts:
            self._file.seek(start)
            block: list[Finding] = pickle.load(self._file)
            # (Runs are read in turns: the next block's place is sought afresh.)
            yield from block


def _first_of_each(findings: Iterable[Finding]) -> Iterator[Finding]:
    """Each finding once, the first kept: equal findings have the same sort key, so they
    are in one group of ties (in stream order)."""
    for _, ties in groupby(findings, key=_SORT_KEY):
        yield from dict.fromkeys(ties)


class SortedFindings(Sequence[Finding]):
    """A report's findings in a temporary file, in order: read a block at a time on each
    pass, so that holding them costs memory for one block and an offset per block."""

    def __init__(self, file: IO[bytes], starts: list[int], length: int) -> None:
        self._file = file
        self._starts = starts
        self._length = length
        self._cached: tuple[int, list[Finding]] = (-1, [])

    @classmethod
    def written(cls, findings: Iterable[Finding]) -> SortedFindings:
        # (Open while the report is: no name on disk, gone when the process ends.)
        file: IO[bytes] = tempfile.TemporaryFile(prefix="cprlint-findings-")  # noqa: SIM115
        starts: list[int] = []
        length = 0
        block: list[Finding] = []
        for finding in findings:
            block.append(finding)
            if len(block) == BLOCK:
                starts.append(file.tell())
                pickle.dump(block, file, pickle.HIGHEST_PROTOCOL)
                length += len(block)
                block = []
        if block:
            starts.append(file.tell())
            pickle.dump(block, file, pickle.HIGHEST_PROTOCOL)
            length += len(block)
        return cls(file, starts, length)

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[Finding]:
        for number in range(len(self._starts)):
            yield from self._block(number)

    @overload
    def __getitem__(self, index: int) -> Finding: ...

    @overload
    def __getitem__(self, index: slice) -> list[Finding]: ...

    def __getitem__(self, index: int | slice) -> Finding | list[Finding]:
        if isinstance(index, slice):
            return [self[at] for at in range(*index.indices(self._length))]
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError("finding index out of range")
        return self._block(index // BLOCK)[index % BLOCK]

    def _block(self, number: int) -> list[Finding]:
        cached_number, cached = self._cached
        if cached_number != number:
            self._file.seek(self._starts[number])
            cached = pickle.load(self._file)
            self._cached = (number, cached)
        return cached
