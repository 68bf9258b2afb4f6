"""Whatever a log holds, `cprlint scorecard` answers with a scorecard or one line and
exit 2: never a traceback, never exit 3; and whatever its names hold, the formats for
people show them without a character a reader's tool would obey (hypothesis)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from cprlint.cli import run
from cprlint.scorecard.render import render
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.scorecard_helpers import (
    CONVERSATIONS,
    OBEYED,
    POLICY,
    hand_made_row,
    hand_made_scorecard,
    week,
)

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
KEYS = ("id", "intent", "queue", "project", "automation", "started_at", "outcome", "events")
EVENT_KEYS = (
    "type", "model", "attempt", "usage", "name", "handle_minutes", "context_tokens", "at", "role",
    "text",
)  # fmt: skip


@st.composite
def damaged(draw: st.DrawFn) -> dict[str, Any]:
    """A real conversation with one field (of the conversation, or of an event) replaced
    by any JSON value."""
    conversation = json.loads(json.dumps(draw(st.sampled_from(CONVERSATIONS))))
    events = conversation["events"]
    if events and draw(st.booleans()):
        event = events[draw(st.integers(0, len(events) - 1))]
        event[draw(st.sampled_from(EVENT_KEYS))] = draw(JSON)
    else:
        conversation[draw(st.sampled_from(KEYS))] = draw(JSON)
    return conversation


LINES = st.lists(
    st.one_of(
        damaged().map(json.dumps),
        JSON.map(json.dumps),
        st.text(max_size=20),
        st.sampled_from([json.dumps(c) for c in CONVERSATIONS]),
    ),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=LINES)
# DuckDB quoted this line into its error cut mid-character: the message was not UTF-8.
@example(lines=[json.dumps(CONVERSATIONS[0]), json.dumps([{"00\x1f\x0b\x80\U00010000": -1e16}])])
def test_any_log_gets_a_scorecard_or_one_line(
    tmp_path: Path, lines: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "acme.yaml").write_text(POLICY)
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join(line.replace("\n", " ") for line in lines) + "\n")
    code = run(["scorecard", str(log), "--policy", str(tmp_path / "acme.yaml"), "--format", "json"])
    captured = capsys.readouterr()
    assert code in (0, 2), captured.err
    if code == 2:
        assert captured.err.count("\n") == 1, captured.err
        assert captured.err.startswith("cprlint: error: ")
    else:
        json.loads(captured.out)


# Characters that start a formula, break a line, drive a terminal or reorder text, mixed
# with any others.
AWKWARD = "=+-@\t\r\n\x1b\x07\x9b\u061c\u200e\u200f\u202a\u202e\u2066\u2069\u2028\u2029|`<&#"
NAMES = st.text(
    st.sampled_from(AWKWARD) | st.characters(exclude_categories=("Cs",)), min_size=1, max_size=12
)


@settings(max_examples=200, deadline=None)
@given(groups=st.lists(NAMES, min_size=1, max_size=4, unique=True))
def test_any_name_is_shown_never_obeyed(groups: list[str]) -> None:
    card = hand_made_scorecard(*(hand_made_row(group, week(1)) for group in groups))
    for output_format in ("text", "markdown", "csv", "html"):
        assert not OBEYED.search(render(card, output_format)), output_format
    # One line a row: the markdown's title, blank line, header and rule, the week's
    # total, then the rows; the csv's header, the rows, then the total, none of whose
    # texts a spreadsheet would run.
    markdown = render(card, "markdown")
    assert markdown.count("\n") == 5 + len(groups)
    text = render(card, "csv")
    assert text.count("\n") == 2 + len(groups)
    cells = [row[1] for row in csv.reader(io.StringIO(text))][1:-1]
    assert len(cells) == len(groups)
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
