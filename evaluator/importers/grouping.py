"""Grouping records by key in bounded memory: sorted runs spilled to temporary files.

Spans of one conversation are spread over a whole export (a trace's spans arrive in
several batches, a session's traces hours apart), so nothing can be written before the
input ends. Holding every call until then would make memory grow with the export; instead
records are buffered, and a full buffer is sorted and written to a temporary file (a
"run"). At the end the runs are merged (`heapq.merge`), which yields each key's records
together, in order, holding one record per run in memory. Output order is by key: the
same input always gives the same output.
"""

from __future__ import annotations

import heapq
import itertools
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

DEFAULT_BUFFER = 20_000
# Runs merged at once; more are merged in stages, so open files stay few.
MAX_OPEN_RUNS = 64

Entry = tuple[str, int, int, Any]  # key, time, seq, payload


class Grouper:
    """Collects (key, time, seq, payload) entries; `groups()` yields them by key."""

    def __init__(self, *, buffer_size: int = DEFAULT_BUFFER, directory: str | None = None) -> None:
        self.buffer_size = max(1, buffer_size)
        self._buffer: list[Entry] = []
        self._runs: list[Path] = []
        self._directory = directory
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        self.spilled = 0  # runs written, for tests and curiosity

    def add(self, key: str, time: int, seq: int, payload: Any) -> None:
        self._buffer.append((key, time, seq, payload))
        if len(self._buffer) >= self.buffer_size:
            self._spill()

    def _scratch_dir(self) -> Path:
        if self._scratch is None:
            self._scratch = tempfile.TemporaryDirectory(
                prefix="cprlint-import-", dir=self._directory
            )
        return Path(self._scratch.name)

    def _spill(self) -> None:
        self._buffer.sort(key=_order)
        self._runs.append(self._write_run(iter(self._buffer)))
        self._buffer = []
        self.spilled += 1

    def _write_run(self, entries: Iterator[Entry]) -> Path:
        descriptor, name = tempfile.mkstemp(suffix=".jsonl", dir=self._scratch_dir())
        # surrogatepass: a lone surrogate a YAML escape made comes back as it went in.
        with os.fdopen(descriptor, "w", encoding="utf-8", errors="surrogatepass") as run:
            for entry in entries:
                run.write(json.dumps(entry, ensure_ascii=False, separators=(",", ":")))
                run.write("\n")
        return Path(name)

    def groups(self) -> Iterator[tuple[str, list[Any]]]:
        """Each key once, in key order, with its payloads in (time, seq) order."""
        self._buffer.sort(key=_order)
        while len(self._runs) > MAX_OPEN_RUNS:
            batch, self._runs = self._runs[:MAX_OPEN_RUNS], self._runs[MAX_OPEN_RUNS:]
            files = [run.open(encoding="utf-8", errors="surrogatepass") for run in batch]
            try:
                merged = self._write_run(heapq.merge(*(_read(f) for f in files), key=_order))
            finally:
                for handle in files:
                    handle.close()
            for run in batch:
                run.unlink()
            self._runs.append(merged)
        files = [run.open(encoding="utf-8", errors="surrogatepass") for run in self._runs]
        try:
            streams = [_read(handle) for handle in files]
            merged_entries = heapq.merge(iter(self._buffer), *streams, key=_order)
            for key, entries in itertools.groupby(merged_entries, key=lambda entry: entry[0]):
                yield key, [entry[3] for entry in entries]
        finally:
            for handle in files:
                handle.close()

    def close(self) -> None:
        self._buffer = []
        self._runs = []
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None


def _order(entry: Entry) -> tuple[str, int, int]:
    return entry[0], entry[1], entry[2]


def _read(handle: IO[str]) -> Iterator[Entry]:
    for line in handle:
        key, time, seq, payload = json.loads(line)
        yield key, time, seq, payload
