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
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import cprlint.check
import cprlint.engine
import cprlint.finding_store
import cprlint.project
import cprlint.reporters.sarif
import cprlint.rules.context
import pytest
from cprlint.baseline import load_baseline, write_baseline
from cprlint.check import check_project
from cprlint.documents import canonical_json
from cprlint.finding_store import SortedFindings, SpilledRuns
from cprlint.findings import Finding, Location, Scope, Severity
from cprlint.model import MAX_COUNT, Conversation, ToolCall, Usage
from cprlint.pii import find_sensitive_data
from cprlint.pricing import PER_TOKENS, PriceCard, Rate
from cprlint.project import load_project
from cprlint.replay import _identical_tool_calls
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
    if any(find_sensitive_data(text)):
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


# --- the fast path's parts, each held to its reference -----------------------------------

FORMATS = ("json", "sarif", "markdown")


def reports(
    root: Path, *, fast: bool, base: str | None = None, baseline: Path | None = None
) -> dict[str, str]:
    """The check's report of `root` in each format that carries figures and findings."""
    project = load_project(root)
    base_project = None
    if base is not None:
        base_project = load_project(root, tree=GitTree(root, base), with_fixtures=False)
    report = check_project(
        project,
        today=TODAY,
        base=base_project,
        base_label=base or "base",
        baseline=None if baseline is None else load_baseline(baseline, baseline.name),
        fast=fast,
        jobs=2,
    )
    return {name: REPORTERS[name](report, RenderOptions()) for name in FORMATS}


def _edited_call(call: dict[str, Any], choice: int, earlier: dict[str, Any]) -> None:
    """One of the variables a recount reads differently, or the usage a price reads."""
    if choice == 0:
        call["vars"] = dict(earlier)  # the same variables as an earlier call of the line
    elif choice == 1:
        call["vars"] = {"customer_name": "Dana "}  # ends with a space: no cut after it
    elif choice == 2:
        call["vars"] = {"customer_name": "Dana\n", "channel": "web"}
    elif choice == 3:
        call["vars"] = {"customer_name": 7, "channel": True}  # equal to 7.0, printed apart
    elif choice == 4:
        call["vars"] = {"customer_name": ""}
    elif choice == 5:
        usage = call["usage"]
        usage.update(cache_write_tokens=300, cache_write_1h_tokens=120)
        usage["input_tokens"] += 300
    elif choice == 6:
        call.update(model="no-such-model-2026", fallback=True)


@pytest.fixture(scope="module")
def edge_corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The bench corpus, with what the fast path treats apart: variables of a call's own,
    repeated, missing, of other types, ending in a space or a line break; a candidate
    template with logic; 1-hour cache writes; tool calls with the same arguments written
    apart; a model without a price. And a baseline from its base commit."""
    root = tmp_path_factory.mktemp("edges") / "corpus"
    make_corpus.make_corpus(root, 600)
    prompts = root / "prompts"
    router = prompts / "router" / "v2.md"
    router.write_text(router.read_text() + "Channel: {{ channel }}\n", encoding="utf-8")
    billing = prompts / "billing" / "v2.md"
    billing.write_text(
        billing.read_text() + "{% if plan %}Plan: {{ plan | upper }}.{% endif %}\n",
        encoding="utf-8",
    )
    fixtures = root / "fixtures" / "part-0000.jsonl"
    edited = []
    for number, line in enumerate(fixtures.read_text(encoding="utf-8").splitlines()):
        conversation = json.loads(line)
        earlier: dict[str, Any] = {"channel": "app", "customer_name": "Ana María"}
        for index, event in enumerate(conversation["events"]):
            if event["type"] == "llm_call":
                _edited_call(event, (number + index) % 9, earlier)
                earlier = event.get("vars") or earlier
        if number % 5 == 0:
            conversation["events"] += [
                {"type": "tool_call", "name": "lookup_order", "args": {"n": 1, "m": [1.0]}},
                {"type": "tool_call", "name": "lookup_order", "args": {"m": [1], "n": 1.0}},
                {"type": "tool_call", "name": "lookup_order", "args": {"n": 1e0, "m": [1]}},
            ]
        edited.append(json.dumps(conversation))
    fixtures.write_text("\n".join(edited) + "\n", encoding="utf-8")
    base = load_project(root, tree=GitTree(root, "base"))
    baseline = root.parent / "baseline.json"
    metrics = check_project(base, today=TODAY, jobs=1).metrics
    assert metrics is not None
    write_baseline(baseline, metrics, root=root)
    return root, baseline


@pytest.mark.parametrize("against", ["nothing", "base", "baseline"])
def test_reports_in_every_format_are_the_plain_path_s(
    edge_corpus: tuple[Path, Path], small_stretches: None, against: str
) -> None:
    root, baseline = edge_corpus
    options: dict[str, Any] = {
        "base": "base" if against == "base" else None,
        "baseline": baseline if against == "baseline" else None,
    }
    fast = reports(root, fast=True, **options)
    assert fast == reports(root, fast=False, **options)
    report = json.loads(fast["json"])
    rules = {finding["rule"] for finding in report["findings"]}
    assert {"CPR205", "CPR503", "CPR507"} <= rules  # missing variables, tool calls, prices
    if against != "nothing":
        assert report["comparison"]["summary"]["delta"]


# A rate per 1M tokens as a policy or the catalog writes it: any digits, any exponent, now
# and then negative or -0 (left to Decimal arithmetic).
RATES = st.builds(
    lambda sign, digits, exponent: Decimal((sign, tuple(digits), exponent)),
    st.sampled_from([0] * 9 + [1]),
    st.lists(st.integers(0, 9), min_size=1, max_size=14),
    st.integers(-20, 6),
)
COUNTS = st.one_of(st.integers(0, 10), st.integers(0, MAX_COUNT))


@settings(max_examples=3000, deadline=None)
@given(
    rates=st.lists(RATES, min_size=5, max_size=5), counts=st.lists(COUNTS, min_size=5, max_size=5)
)
def test_a_call_priced_in_whole_units_is_the_decimal_sum(
    rates: list[Decimal], counts: list[int]
) -> None:
    """`PriceCard.cost` adds whole units of the finest rate: the same Decimal, exponent and
    sign too, as the sum of products of Decimals it stands for."""
    card = PriceCard(
        "m", "m", "policy", None, *(Rate(rate) for rate in rates[:4]), cache_write_1h=Rate(rates[4])
    )
    usage = Usage(*counts)
    per_token = [rate / PER_TOKENS for rate in rates]
    written_1h = min(usage.cache_write_1h_tokens, usage.cache_write_tokens)
    uncached = max(usage.input_tokens - usage.cached_input_tokens - usage.cache_write_tokens, 0)
    expected = (
        uncached * per_token[0]
        + usage.cached_input_tokens * per_token[1]
        + (usage.cache_write_tokens - written_1h) * per_token[2]
        + usage.output_tokens * per_token[3]
    )
    if written_1h:
        expected += written_1h * per_token[4]
    assert card.cost(usage).as_tuple() == expected.as_tuple()


class _Said:
    """What a replay's findings are told: (message, event index, code)."""

    def __init__(self) -> None:
        self.said: list[tuple[str, int, str]] = []

    def add(self, message: str, event: ToolCall, code: str) -> None:
        self.said.append((message, event.index, code))


ARGUMENTS = st.sampled_from(
    [None, {}, {"n": 1}, {"n": 1.0}, {"n": Decimal("1.00")}, {"n": 2}, {"m": [1, "x"], "n": 1}]
)


@settings(max_examples=500, deadline=None)
@given(
    calls=st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), ARGUMENTS), max_size=12),
    cap=st.integers(-1, 4),
)
def test_identical_tool_calls_compare_only_the_arguments_that_can_be_over_the_cap(
    calls: list[tuple[str, Any]], cap: int
) -> None:
    tool_calls = [
        ToolCall(index=index, name=name, args=args) for index, (name, args) in enumerate(calls)
    ]
    lazy = _Said()
    if len(tool_calls) > cap:
        _identical_tool_calls(tool_calls, cap, lazy)  # type: ignore[arg-type]
    # Every call's arguments compared, by their RFC 8785 text.
    counts: Counter[tuple[str, str]] = Counter()
    first_over_cap: dict[tuple[str, str], ToolCall] = {}
    for call in tool_calls:
        key = (call.name, canonical_json(call.args))
        counts[key] += 1
        if counts[key] == cap + 1:
            first_over_cap[key] = call
    assert [(message.split(" with ")[0], index) for message, index, _ in lazy.said] == [
        (f"tool `{name}` called {counts[(name, arguments)]} times", call.index)
        for (name, arguments), call in first_over_cap.items()
    ]


# --- findings too many to hold: sorted runs on disk, merged -----------------------------

FINDINGS = st.builds(
    Finding,
    st.sampled_from(["CPR101", "CPR503", "CPR506"]),
    st.sampled_from(list(Severity)),
    st.sampled_from(["over", "drift", "same"]),
    st.builds(
        Location,
        st.sampled_from(["a.jsonl", "b.jsonl"]),
        st.integers(1, 4),
        st.none() | st.integers(1, 2),
        st.none() | st.sampled_from(["events[1].model", "events[2].model"]),
    ),
    st.builds(Scope, conversation=st.none() | st.sampled_from(["T-1", "T-2"])),
    st.none() | st.just("policies/p.yaml:9"),
)


@settings(max_examples=300, deadline=None)
@given(
    findings=st.lists(FINDINGS, max_size=60), spill_at=st.integers(1, 9), block=st.integers(1, 4)
)
def test_spilled_findings_come_back_as_the_held_ones_are_sorted(
    findings: list[Finding], spill_at: int, block: int
) -> None:
    """Runs of any size merged: the order and the findings kept of `sorted(dict.fromkeys(
    findings), key=sort_key)`, ties (equal sort keys, a json_path apart) in stream order."""
    held = sorted(dict.fromkeys(findings), key=lambda finding: finding.sort_key)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cprlint.finding_store, "BLOCK", block)
        runs = SpilledRuns()
        for start in range(0, len(findings), spill_at):
            if start + spill_at < len(findings):
                runs.write(findings[start : start + spill_at])
        last = findings[len(runs) * spill_at :]
        spilled = runs.merged(last)
        assert [(finding, finding.location.json_path) for finding in spilled] == [
            (finding, finding.location.json_path) for finding in held
        ]
        assert len(spilled) == len(held)
        assert [spilled[at] for at in range(len(held))] == held
        assert spilled[-1:] == held[-1:]


def test_a_report_with_its_findings_on_disk_is_the_same_in_every_format(
    edge_corpus: tuple[Path, Path], small_stretches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = edge_corpus
    project = load_project(root)
    base = load_project(root, tree=GitTree(root, "base"), with_fixtures=False)

    def every_format() -> tuple[dict[str, str], Any]:
        report = check_project(project, today=TODAY, base=base, base_label="base", jobs=2)
        return {name: REPORTERS[name](report, RenderOptions()) for name in REPORTERS}, report

    held, held_report = every_format()
    assert isinstance(held_report.findings, tuple)
    # Spilled every 50 findings, in blocks of 7; SARIF cut at 100 results, so that which
    # are kept is decided from the file too.
    monkeypatch.setattr(cprlint.engine, "SPILL_AT", 50)
    monkeypatch.setattr(cprlint.finding_store, "BLOCK", 7)
    monkeypatch.setattr(cprlint.reporters.sarif, "MAX_RESULTS", 100)
    spilled, spilled_report = every_format()
    assert isinstance(spilled_report.findings, SortedFindings)
    assert len(spilled_report.findings) > 200
    monkeypatch.undo()
    monkeypatch.setattr(cprlint.reporters.sarif, "MAX_RESULTS", 100)
    held["sarif"] = REPORTERS["sarif"](held_report, RenderOptions())
    assert spilled == held


@settings(max_examples=300, deadline=None)
@given(findings=st.lists(FINDINGS, max_size=40), limit=st.integers(0, 40))
def test_sarif_keeps_the_first_findings_by_rank_in_the_report_s_order(
    findings: list[Finding], limit: int
) -> None:
    ordered = sorted(findings, key=lambda finding: finding.sort_key)
    ranked = sorted(range(len(ordered)), key=lambda at: ordered[at].rank)
    expected = [ordered[at] for at in sorted(ranked[:limit])]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cprlint.reporters.sarif, "MAX_RESULTS", limit)
        kept = cprlint.reporters.sarif._within_the_limit(ordered)
    assert list(kept) == (expected if len(ordered) > limit else ordered)
