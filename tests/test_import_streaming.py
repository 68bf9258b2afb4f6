"""Large exports: grouping spills to disk, output does not depend on it, memory stays flat."""

from __future__ import annotations

import json
import random
import tracemalloc
from pathlib import Path

import pytest
from cprlint.importers import grouping
from cprlint.importers.grouping import Grouper
from cprlint.importers.run import ImportRequest, import_traces

from tests.import_helpers import export, span


def test_grouper_spills_and_merges_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(grouping, "MAX_OPEN_RUNS", 2)  # force the staged merge too
    rng = random.Random(3)
    entries = [(f"k{rng.randrange(5)}", rng.randrange(3), seq, seq) for seq in range(40)]
    grouper = Grouper(buffer_size=3)
    for key, time, seq, payload in entries:
        grouper.add(key, time, seq, payload)
    groups = list(grouper.groups())
    scratch = grouper._scratch
    assert scratch is not None
    grouper.close()
    assert grouper.spilled == 13  # 40 entries, a run per 3: 13 runs, 1 left in memory
    assert not Path(scratch.name).exists()
    expected: dict[str, list[tuple[int, int]]] = {}
    for key, time, seq, _ in entries:
        expected.setdefault(key, []).append((time, seq))
    assert [key for key, _ in groups] == sorted(expected)
    for key, payloads in groups:
        assert payloads == [seq for _, seq in sorted(expected[key])]


def write_export(path: Path, lines: int, spans_per_line: int, traces: int) -> set[str]:
    """Calls of `traces` traces spread over the lines; every third trace names a
    conversation, which two such traces share. Returns the conversations' ids."""
    rng = random.Random(11)
    conversations = set()
    with path.open("w") as stream:
        for line in range(lines):
            spans = []
            for number in range(spans_per_line):
                trace = rng.randrange(traces)
                attributes = {
                    "gen_ai.operation.name": "chat",
                    "gen_ai.request.model": "gpt-4o-mini",
                    "gen_ai.usage.input_tokens": rng.randrange(100, 900),
                    "gen_ai.usage.output_tokens": rng.randrange(1, 90),
                    "support.intent": "order_status",
                }
                trace_id = f"{trace:032x}"
                if trace % 3 == 0:
                    attributes["gen_ai.conversation.id"] = f"conversation-{trace // 6}"
                conversations.add(attributes.get("gen_ai.conversation.id", trace_id))
                start = 10**18 + line * 1000 + number
                spans.append(span(trace_id, f"{line}-{number}", start, attributes))
            stream.write(json.dumps(export(*spans)) + "\n")
    return conversations


def test_spilling_does_not_change_the_output(tmp_path: Path) -> None:
    source = tmp_path / "spans.jsonl"
    expected = write_export(source, lines=40, spans_per_line=10, traces=60)
    outputs = []
    for buffer_size in (100_000, 7):
        output = tmp_path / f"out-{buffer_size}.jsonl"
        import_traces(
            ImportRequest(format="otel", sources=(source,), output=output, buffer_size=buffer_size)
        )
        outputs.append(output.read_bytes())
    assert outputs[0] == outputs[1]
    conversations = [json.loads(line) for line in outputs[0].decode().splitlines()]
    assert sum(len(c["events"]) for c in conversations) == 40 * 10
    assert [c["id"] for c in conversations] == sorted(expected)


def _peak_bytes(source: Path, output: Path, buffer_size: int) -> int:
    tracemalloc.start()
    try:
        import_traces(
            ImportRequest(format="otel", sources=(source,), output=output, buffer_size=buffer_size)
        )
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(grouping, "MAX_OPEN_RUNS", 4)  # open run files stay few, too
    small, large = tmp_path / "small.jsonl", tmp_path / "large.jsonl"
    write_export(small, lines=20, spans_per_line=20, traces=80)
    write_export(large, lines=80, spans_per_line=20, traces=320)  # four times as much
    output = tmp_path / "out.jsonl"
    small_peak = _peak_bytes(small, output, buffer_size=100)
    large_peak = _peak_bytes(large, output, buffer_size=100)
    held_peak = _peak_bytes(large, output, buffer_size=10**6)
    # Held in memory, the 1,600 calls of the large export make the peak; spilled 100 at a
    # time, the peak is one buffer, one parsed line, the merge's heads and one conversation.
    assert large_peak < 1.5 * small_peak, (small_peak, large_peak)
    assert large_peak < 0.4 * held_peak, (large_peak, held_peak)
