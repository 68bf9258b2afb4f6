"""The bench's corpus generator: `--join` puts conversations made in a row on one line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
sys.dont_write_bytecode = True
import make_corpus  # noqa: E402


def test_joined_lines_hold_the_events_of_conversations_made_in_a_row(tmp_path: Path) -> None:
    plain = make_corpus.write_fixtures(tmp_path / "plain", 6, seed=7)
    joined = make_corpus.write_fixtures(tmp_path / "joined", 2, seed=7, join=3)
    made = [json.loads(line) for line in (tmp_path / "plain" / "part-0000.jsonl").open()]
    lines = [json.loads(line) for line in (tmp_path / "joined" / "part-0000.jsonl").open()]
    # Line 1 is conversation 1 with the events of 1, 2 and 3; line 2 is 4 with 4, 5, 6.
    assert len(lines) == 2
    for line, first in zip(lines, (0, 3), strict=True):
        header = {key: value for key, value in made[first].items() if key != "events"}
        assert {key: value for key, value in line.items() if key != "events"} == header
        assert line["events"] == [event for c in made[first : first + 3] for event in c["events"]]
    assert joined.conversations == 2
    assert joined.llm_calls == plain.llm_calls  # every call of the six, counted once
