"""The fast path is exact: its reports are the plain path's, byte for byte.

The fast path is what makes a large check quick: worker processes over stretches of the
fixture files, token deltas counted only around template variables, and a scan of each
fixture line that skips the walk for personal data where there can be none. The plain path
(`check_project(fast=False)`) runs in one process and renders and tokenizes every
template whole. On the bench's own corpus generator (2,000 conversations, two released
prompt versions between `base` and `head`) and on the example project made to break
across stretches, both must write the same JSON, with and without `--base`.
"""

from __future__ import annotations

import datetime as dt
import json
import pickle
import shutil
import sys
from pathlib import Path

import cprlint.check
import cprlint.project
import cprlint.rules.context
import pytest
from cprlint.check import check_project
from cprlint.findings import Finding, Location, Scope, Severity
from cprlint.model import Conversation
from cprlint.pii import find_personal_data
from cprlint.project import load_project
from cprlint.reporters import REPORTERS, RenderOptions
from cprlint.rules.fixtures import might_hold_personal_data
from cprlint.trees import GitTree
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
sys.dont_write_bytecode = True
import make_corpus  # noqa: E402

TODAY = dt.date(2026, 11, 23)


def report_json(root: Path, *, fast: bool, base: str | None = None) -> str:
    project = load_project(root)
    base_project = None
    if base is not None:
        base_project = load_project(root, tree=GitTree(root, base), with_fixtures=False)
    report = check_project(
        project, today=TODAY, base=base_project, base_label=base or "base", fast=fast, jobs=2
    )
    return REPORTERS["json"](report, RenderOptions())


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bench") / "corpus"
    make_corpus.make_corpus(root, 2000)
    return root


@pytest.fixture
def small_stretches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stretches of 64 KiB, and workers for any size: many stretches, two processes."""
    monkeypatch.setattr(cprlint.check, "STRETCH_BYTES", 64 << 10)
    monkeypatch.setattr(cprlint.check, "PARALLEL_MIN_BYTES", 0)


@pytest.mark.parametrize("base", [None, "base"])
def test_fast_and_plain_reports_are_the_same_bytes(
    corpus: Path, small_stretches: None, base: str | None
) -> None:
    fast = report_json(corpus, fast=True, base=base)
    plain = report_json(corpus, fast=False, base=base)
    assert fast == plain
    report = json.loads(fast)
    assert report["counts"]["conversations"] == 2000
    # The corpus re-counts tokens under new versions: the comparison has something in it.
    if base is not None:
        assert report["comparison"]["prompts"]
        assert any(change["delta"] for change in report["comparison"]["prompts"].values()), (
            "v2 prompts change token counts"
        )


def _project_with_repeats(tmp_path: Path) -> Path:
    """The example project, with two of its conversations repeated at the end of a file,
    one conversation on an unpriced model and a broken line."""
    root = tmp_path / "project"
    shutil.copytree(REPO, root, ignore=shutil.ignore_patterns(".git", ".cprlint", "tests"))
    generated = root / "fixtures" / "generated" / "conversations.jsonl"
    lines = generated.read_text(encoding="utf-8").splitlines(keepends=True)
    first = json.loads(lines[0])
    unpriced = json.loads(lines[1])
    unpriced["id"] = "T-UNPRICED"
    for event in unpriced["events"]:
        if event.get("type") == "llm_call":
            # A fallback keeps the model that served it (routing would re-route it).
            event.update(model="no-such-model-2026", fallback=True)
    lines += [json.dumps(first) + "\n", json.dumps(unpriced) + "\n", "{not json\n", lines[5]]
    generated.write_text("".join(lines), encoding="utf-8")
    return root


def test_findings_across_stretches_are_the_same(tmp_path: Path, small_stretches: None) -> None:
    """Duplicate ids in different stretches, an unpriced model first seen in a late
    stretch, a broken line: what a worker cannot know alone comes out the same."""
    root = _project_with_repeats(tmp_path)
    fast = report_json(root, fast=True)
    assert fast == report_json(root, fast=False)
    codes = [finding["rule"] for finding in json.loads(fast)["findings"]]
    assert codes.count("CPR301") == 2  # lines[0] and lines[5] repeated at the end
    assert "CPR507" in codes
    assert "CPR002" in codes or "CPR001" in codes


def test_ids_that_only_hash_alike_are_not_duplicates(
    tmp_path: Path, small_stretches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every id hashing alike makes every conversation a candidate: the ids read again
    # tell the two real duplicates from the rest.
    root = _project_with_repeats(tmp_path)
    expected = report_json(root, fast=True)
    monkeypatch.setattr(cprlint.rules.context, "hash", lambda _: 7, raising=False)
    assert report_json(root, fast=True) == expected
    duplicates = [
        finding for finding in json.loads(expected)["findings"] if finding["rule"] == "CPR301"
    ]
    lines = (root / "fixtures" / "generated" / "conversations.jsonl").read_text().splitlines()
    repeated_ids = [json.loads(lines[0])["id"], json.loads(lines[5])["id"]]
    assert [finding["message"].split(" (")[0] for finding in duplicates] == [
        f"conversation id `{conversation_id}` is used again" for conversation_id in repeated_ids
    ]
    # (The patched hash is the one the ids are kept by: two ids, one candidate pair.)
    ids = cprlint.rules.context.ConversationIds()
    ids.add("T-1", "a.jsonl", 1)
    ids.add("T-2", "b.jsonl", 1)
    assert ids.candidates() == [[Location("a.jsonl", 1), Location("b.jsonl", 1)]]


def test_a_tally_crosses_processes_with_its_findings_as_they_were() -> None:
    # Findings are pickled by their own `__reduce__` (Finding, Location, Scope): every
    # field, text that is not Unicode too, and the strings they share stay shared.
    scope = Scope("refund", "billing", "conv-1", "triage")
    findings = [
        Finding("CPR506", Severity.ERROR, "drift", Location("f.jsonl", 3, 9), scope),
        Finding("CPR506", Severity.ERROR, "drift", Location("f.jsonl", 3, 40), scope),
        Finding("CPR305", Severity.WARNING, "usage", Location("f.jsonl", 4), waived_by="p.yaml:2"),
        Finding("CPR302", Severity.ERROR, "bad\udfffintent", Location("o.yaml")),
    ]
    tally = cprlint.check.Tally(findings=findings, conversations=2)
    copy = pickle.loads(pickle.dumps(tally))
    assert copy.findings == findings
    assert [finding.severity for finding in copy.findings] == [
        Severity.ERROR,
        Severity.ERROR,
        Severity.WARNING,
        Severity.ERROR,
    ]
    assert copy.findings[0].scope is copy.findings[1].scope
    assert copy.conversations == 2


def test_stretches_cover_every_line_once(tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(REPO, root, ignore=shutil.ignore_patterns(".git", ".cprlint", "tests"))
    project = load_project(root)
    whole = [
        (item.document.path, item.document.start_line, item.id)
        for item in project.iter_conversations()
        if not hasattr(item, "code")
    ]
    stretches = list(project.fixture_stretches(4096))
    assert len(stretches) > len(project.fixture_files)  # the JSONL files were cut
    pieced = [
        (item.document.path, item.document.start_line, item.id)
        for stretch in stretches
        for item in project.iter_conversations([stretch])
        if not hasattr(item, "code")
    ]
    assert pieced == whole


# Text that comes close to personal data: digit groups with every separator the
# detectors know, `@`, brackets, other scripts' digits, and characters JSON escapes.
NEAR_PERSONAL = st.lists(
    st.sampled_from(
        ["4111", "1111", "0132", "555", "415", "12", "7", " ", "-", ".", "(", ")", "+", "@",
         "x", "dana", ".com", "٣", "٤٥٦", "\n", "\t", '"', "\\", "\u2028", "é"]
    ),
    max_size=30,
).map("".join)  # fmt: skip


# Digit runs in any script (the detectors' `\d` is Unicode's), split by the separators
# the prescreen deletes and by characters it does not: 1-, 2-, 3- and 4-byte UTF-8.
DIGITS_OF_ANY_SCRIPT = st.text(
    alphabet=st.characters(categories=["Nd"]) | st.sampled_from(" .()+-/x,é€😀"),
    max_size=40,
)


@settings(max_examples=1500, deadline=None)
@given(text=NEAR_PERSONAL | DIGITS_OF_ANY_SCRIPT, ascii_only=st.booleans())
def test_the_personal_data_prescreen_never_skips_a_finding(text: str, ascii_only: bool) -> None:
    line = json.dumps({"events": [{"type": "message", "text": text}]}, ensure_ascii=ascii_only)
    if any(find_personal_data(text)):
        assert might_hold_personal_data(line)


def test_conversations_are_found_again_without_reading_other_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A duplicate id seen by a worker is located again in the parent: only its line is
    decoded, not the whole file."""
    path = "fixtures/generated/conversations.jsonl"
    project = load_project(REPO, with_fixtures=False)
    decoded: list[int] = []
    read_line = cprlint.project.conversation_from_json_line

    def counting(path: str, text: str, line: int) -> Conversation | None:
        decoded.append(line)
        return read_line(path, text, line)

    monkeypatch.setattr(cprlint.project, "conversation_from_json_line", counting)
    found = project.conversations_at([Location(path, 3), Location(path, 7)])
    assert decoded == [3, 7]
    assert sorted(conversation.document.start_line for conversation in found.values()) == [3, 7]
