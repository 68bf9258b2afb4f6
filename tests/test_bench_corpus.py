"""The bench's corpus generator: `--join` puts conversations made in a row on one line, and
`bench/run.py --drift` copies a corpus under a policy that most calls break."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

from cprlint.check import check_project
from cprlint.project import load_project

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
sys.dont_write_bytecode = True
import make_corpus  # noqa: E402
import run as bench_run  # noqa: E402

TODAY = dt.date(2026, 11, 23)


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


def test_the_drift_copy_breaks_the_routing_of_every_call_off_the_economy_tier(
    tmp_path: Path,
) -> None:
    totals = make_corpus.make_corpus(tmp_path / "corpus", 120)
    corpus = bench_run.Corpus(tmp_path / "corpus", totals.conversations, totals.llm_calls, 0)
    drifted = bench_run.drift_corpus_for(corpus)
    assert (drifted.root / "fixtures" / "part-0000.jsonl").stat().st_nlink == 2  # linked
    # What the economy-only policy says of each call, worked out from the fixtures: a
    # fallback is never drift; a stage with its own tier (classify: economy, handoff:
    # standard) keeps it; every other call must be served by the economy model.
    stage_models = {"classify": {make_corpus.ECONOMY}, "handoff": {make_corpus.STANDARD}}
    expected = 0
    for line in (drifted.root / "fixtures" / "part-0000.jsonl").open():
        for event in json.loads(line)["events"]:
            if event["type"] != "llm_call" or event.get("fallback"):
                continue
            expected += event["model"] not in stage_models.get(
                event["stage"], {make_corpus.ECONOMY}
            )
    report = check_project(load_project(drifted.root), today=TODAY)
    drift = [finding for finding in report.findings if finding.rule == "CPR506"]
    assert len(drift) == expected > totals.llm_calls // 3
    # The corpus as made, under its own policy, has none.
    clean = check_project(load_project(corpus.root), today=TODAY)
    assert not [finding for finding in clean.findings if finding.rule == "CPR506"]
