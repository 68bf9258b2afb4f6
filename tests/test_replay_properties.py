"""Properties of replay, pricing and aggregation that hold for any fixtures (SPEC §1, §3, §6).

The hand-computed cases live in test_replay.py. Here hypothesis writes small projects
(tests/projects.py: two policies that price every model themselves, two prompts with
two versions each) and checks what must hold whatever the fixtures say: an unresolved
ticket never makes a resolution cheaper, prices scale costs linearly, an unchanged
prompt leaves recorded tokens alone, shards of aggregates merge to the whole. Then the
run as a whole: the same bytes every time and everywhere, no network, broken lines
reported and the rest replayed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import fields, is_dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import cprlint.pricing
import cprlint.tokens
import pytest
from cprlint.aggregates import Aggregates, Totals
from cprlint.check import CheckRun, check_project, metrics
from cprlint.cli import run
from cprlint.model import Conversation, Usage
from cprlint.project import load_project
from cprlint.replay import ConversationResult, Replayer
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import REPO
from tests.projects import (
    CAPS_AND_PIN,
    PROMPT_IDS,
    VERSIONS,
    conversation_lists,
    conversations,
    write_fixture,
    write_project,
)

TODAY = dt.date(2026, 11, 15)
# Every amount of the metrics that is a price, or a sum or ratio of prices times counts.
MONEY_KEYS = frozenset(
    {
        "ai_cost",
        "human_cost",
        "cost_per_resolution",
        "fully_loaded_cost_per_resolution",
        "cost",  # per model
        "cost_per_ticket",  # traffic projection
        "projected_monthly_ai_cost",
        "weighted_cost_per_resolution",
    }
)
PRICE_CARD_KEYS = frozenset({"input", "cached_input", "cache_write", "output"})
NINE_PLACES = Decimal("1e-9")

# Each example writes a project and replays it (tens of ms); these budgets keep the
# whole file around 15 s on an idle 2-core machine, 30 s on a busy one.
PROPERTY = settings(max_examples=30, deadline=None)
# `--prompt ID@VERSION` for some prompts, or none.
prompt_overrides = st.dictionaries(st.sampled_from(PROMPT_IDS), st.sampled_from(VERSIONS))


def checked(root: Path, overrides: Mapping[str, str] | None = None) -> CheckRun:
    """The full `check` of the project at `root`: findings, aggregates and the run."""
    check_run = CheckRun(load_project(root), today=TODAY, catalog=None, prompt_overrides=overrides)
    check_run.run()
    return check_run


def replayed(root: Path, overrides: Mapping[str, str]) -> list[ConversationResult]:
    project = load_project(root)
    replayer = Replayer(project, catalog=None, prompt_overrides=overrides)
    return [
        replayer.replay(item)
        for item in project.iter_conversations()
        if isinstance(item, Conversation)
    ]


def scoped_totals(aggregates: Aggregates) -> Iterator[tuple[str, Totals]]:
    """Every Totals of the aggregates, named by where it sits."""
    scopes = [("overall", aggregates.overall)]
    scopes += [(f"policy {name!r}", scope) for name, scope in sorted(aggregates.by_policy.items())]
    for scope_name, scope in scopes:
        yield f"{scope_name} summary", scope.summary
        for dimension in ("intents", "queues", "automation", "projects"):
            for key, totals in sorted(getattr(scope, dimension).items()):
                yield f"{scope_name} {dimension}[{key!r}]", totals


def snapshot(value: Any) -> Any:
    """Plain, ordered data of an Aggregates tree (defaultdicts and Counters included)."""
    if isinstance(value, Counter):
        return dict(sorted(value.items()))
    if isinstance(value, Mapping):
        return {key: snapshot(item) for key, item in sorted(value.items())}
    if is_dataclass(value):
        return {field.name: snapshot(getattr(value, field.name)) for field in fields(value)}
    return value


def copy_example_project(destination: Path) -> Path:
    destination.mkdir(parents=True)
    for name in ("policies", "prompts", "fixtures"):
        shutil.copytree(REPO / name, destination / name)
    return destination


# --- 1. an unresolved ticket never makes a resolution cheaper ------------------------


def assert_not_lower(before: Decimal | None, after: Decimal | None, where: str) -> None:
    if before is None:
        # No resolution before, and the extra ticket is not one: still none.
        assert after is None, where
    else:
        assert after is not None, where
        assert after >= before, f"{where}: {after} < {before}"


@PROPERTY
@given(
    base=conversation_lists(max_size=6),
    extra=conversations(
        conversation_id="T-extra",
        unresolved=True,
        min_llm_calls=1,
        usage_optional=False,
        min_input_tokens=1,
    ),
)
def test_an_unresolved_conversation_never_lowers_cost_per_resolution(
    base: list[dict[str, Any]], extra: dict[str, Any]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_project(root, base, front_matter=CAPS_AND_PIN)
        before = checked(root)
        write_fixture(root / "fixtures" / "extra.jsonl", [extra])
        after = checked(root)

    old, new = before.aggregates, after.aggregates
    assert new.overall.summary.conversations == old.overall.summary.conversations + 1
    assert new.overall.summary.resolved == old.overall.summary.resolved
    # Every call of the extra ticket has input tokens and every model a positive price.
    assert new.overall.summary.ai_cost > old.overall.summary.ai_cost
    assert_not_lower(
        old.overall.summary.cost_per_resolution,
        new.overall.summary.cost_per_resolution,
        "overall",
    )
    intent = extra["intent"]
    old_intent = old.overall.intents.get(intent, Totals())
    assert_not_lower(
        old_intent.cost_per_resolution,
        new.overall.intents[intent].cost_per_resolution,
        f"intent {intent}",
    )
    # The scope budgets are judged on: the policy that governs the extra ticket.
    for name, new_scope in new.by_policy.items():
        old_scope = old.by_policy.get(name)
        assert_not_lower(
            old_scope.summary.cost_per_resolution if old_scope else None,
            new_scope.summary.cost_per_resolution,
            f"policy {name}",
        )
        old_intent = old_scope.intents.get(intent, Totals()) if old_scope else Totals()
        if intent in new_scope.intents:
            assert_not_lower(
                old_intent.cost_per_resolution,
                new_scope.intents[intent].cost_per_resolution,
                f"policy {name} intent {intent}",
            )
    # The rounded JSON numbers keep the order (rounding is monotonic).
    old_json, new_json = metrics(before)["summary"], metrics(after)["summary"]
    if old_json["cost_per_resolution"] is not None:
        assert new_json["cost_per_resolution"] >= old_json["cost_per_resolution"]


# --- 2. prices scale costs linearly ----------------------------------------------------


def money_pairs(base: Any, doubled: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    """(where, base value, doubled value) for every money number of two metrics trees."""
    if isinstance(base, dict):
        assert isinstance(doubled, dict), path
        assert sorted(base) == sorted(doubled), path
        money_keys = PRICE_CARD_KEYS if path.endswith(".price") else MONEY_KEYS
        for key in sorted(base):
            if key in money_keys and not isinstance(base[key], dict):
                yield f"{path}.{key}", base[key], doubled[key]
            else:
                yield from money_pairs(base[key], doubled[key], f"{path}.{key}")
    elif isinstance(base, list):
        assert isinstance(doubled, list), path
        assert len(base) == len(doubled), path
        for index, (left, right) in enumerate(zip(base, doubled, strict=True)):
            yield from money_pairs(left, right, f"{path}[{index}]")


@PROPERTY
@given(fixture=conversation_lists(max_size=6), overrides=prompt_overrides)
def test_doubling_every_price_doubles_every_cost(
    fixture: list[dict[str, Any]], overrides: dict[str, str]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base_root, doubled_root = Path(tmp) / "base", Path(tmp) / "doubled"
        write_project(base_root, fixture, price_factor=1, front_matter=CAPS_AND_PIN)
        write_project(doubled_root, fixture, price_factor=2, front_matter=CAPS_AND_PIN)
        base_run = checked(base_root, overrides)
        doubled_run = checked(doubled_root, overrides)

    # Exact, on the aggregates themselves.
    base_scopes = dict(scoped_totals(base_run.aggregates))
    doubled_scopes = dict(scoped_totals(doubled_run.aggregates))
    assert sorted(base_scopes) == sorted(doubled_scopes)
    for where, base in base_scopes.items():
        doubled = doubled_scopes[where]
        assert (doubled.conversations, doubled.resolved, doubled.input_tokens) == (
            base.conversations,
            base.resolved,
            base.input_tokens,
        ), where
        assert doubled.ai_cost == 2 * base.ai_cost, where
        assert doubled.human_cost == 2 * base.human_cost, where
        if base.resolved:
            # Division rounds at Decimal's 28 digits, so 2 * (a / r) may differ from
            # (2a) / r in the last digit: compare with the same division.
            assert doubled.cost_per_resolution == 2 * base.ai_cost / base.resolved, where
            assert doubled.fully_loaded_cost_per_resolution == (
                2 * (base.ai_cost + base.human_cost) / base.resolved
            ), where
        else:
            assert doubled.cost_per_resolution is None, where
    assert sorted(base_run.aggregates.models) == sorted(doubled_run.aggregates.models)
    for model, base_model in base_run.aggregates.models.items():
        assert doubled_run.aggregates.models[model].cost == 2 * base_model.cost, model

    # In the JSON numbers: each side is rounded once to 9 places, and both are multiples
    # of 1e-9, so the doubled number is within 1e-9 of twice the base number.
    compared = 0
    for where, base_number, doubled_number in money_pairs(metrics(base_run), metrics(doubled_run)):
        compared += 1
        if base_number is None:
            assert doubled_number is None, where
            continue
        assert doubled_number is not None, where
        difference = Decimal(str(doubled_number)) - 2 * Decimal(str(base_number))
        assert abs(difference) <= NINE_PLACES, f"{where}: {doubled_number} vs 2 * {base_number}"
    assert compared >= 4 + 2 * 4  # the summary's four amounts, each policy's summary


# --- 3. an unchanged prompt leaves the recorded tokens alone ---------------------------


@st.composite
def released_and_fixture(draw: st.DrawFn) -> tuple[dict[str, str], list[dict[str, Any]]]:
    released = {prompt_id: draw(st.sampled_from(VERSIONS)) for prompt_id in PROMPT_IDS}
    recorded = {prompt_id: (version,) for prompt_id, version in released.items()}
    return released, draw(conversation_lists(max_size=6, recorded_versions=recorded))


@PROPERTY
@given(case=released_and_fixture())
def test_replay_with_the_recorded_versions_keeps_recorded_tokens(
    case: tuple[dict[str, str], list[dict[str, Any]]],
) -> None:
    released, fixture = case
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        # Model pins re-route calls, which must not touch their tokens either.
        pins = {
            version: {"model": settings["model"]}
            for version, settings in CAPS_AND_PIN.items()
            if "model" in settings
        }
        write_project(root, fixture, released=released, front_matter=pins)
        project = load_project(root)
        replayer = Replayer(project, catalog=None)
        replays = [
            (item, replayer.replay(item))
            for item in project.iter_conversations()
            if isinstance(item, Conversation)
        ]
        summary = metrics(checked(root))["summary"]

    recorded_input = recorded_output = 0
    for conversation, result in replays:
        for call in result.calls:
            event = conversation.events[call.event_index]
            recorded = getattr(event, "usage", None) or Usage(0, 0)
            where = f"{conversation.id} event {call.event_index}"
            assert call.usage.input_tokens == recorded.input_tokens, where
            assert call.usage.output_tokens == recorded.output_tokens, where
            assert call.usage.cached_input_tokens == recorded.cached_input_tokens, where
            assert call.usage.cache_write_tokens == recorded.cache_write_tokens, where
            assert not call.estimated_tokens, where
            recorded_input += recorded.input_tokens
            recorded_output += recorded.output_tokens
    assert summary["conversations"] == len(fixture)
    assert summary["input_tokens"] == recorded_input
    assert summary["output_tokens"] == recorded_output


# --- 4. shards of aggregates merge to the whole ----------------------------------------


@PROPERTY
@given(fixture=conversation_lists(max_size=10), overrides=prompt_overrides, data=st.data())
def test_sharded_aggregates_merge_to_the_whole(
    fixture: list[dict[str, Any]], overrides: dict[str, str], data: st.DataObject
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        write_project(Path(tmp), fixture, front_matter=CAPS_AND_PIN)
        results = replayed(Path(tmp), overrides)
    assert len(results) == len(fixture)

    whole = Aggregates()
    for result in results:
        whole.add(result)

    order = data.draw(st.permutations(range(len(results))), label="order")
    shard_count = data.draw(st.integers(1, len(results) + 1), label="shards")
    shard_of = data.draw(
        st.lists(st.integers(0, shard_count - 1), min_size=len(results), max_size=len(results)),
        label="shard of each result",
    )
    shards = [Aggregates() for _ in range(shard_count)]  # some may stay empty
    for index in order:
        shards[shard_of[index]].add(results[index])

    merged = Aggregates()
    for shard in shards:
        merged.merge(shard)
    assert snapshot(merged) == snapshot(whole)

    # Merging into a shard that already holds results (a reducer's accumulator) as well.
    accumulator = shards[0]
    for shard in reversed(shards[1:]):
        accumulator.merge(shard)
    assert snapshot(accumulator) == snapshot(whole)


# --- 5. the same trees give the same bytes ---------------------------------------------


REPORT_FORMATS = ("json", "sarif", "text")
# `--prompt router@v1` replays the recorded v2 router calls, so tokens are re-counted.
RUN_ARGS = ("--today", TODAY.isoformat(), "--prompt", "router@v1")


def report_args(out_dir: Path) -> list[str]:
    """One run writes every format to its own file (`--format FORMAT:FILE`)."""
    out_dir.mkdir(parents=True)
    return [arg for name in REPORT_FORMATS for arg in ("--format", f"{name}:{out_dir / name}")]


def read_reports(out_dir: Path) -> dict[str, bytes]:
    reports = {name: (out_dir / name).read_bytes() for name in REPORT_FORMATS}
    assert all(reports.values()), out_dir
    return reports


def check_reports(root: Path, out_dir: Path) -> dict[str, bytes]:
    code = run(["check", str(root), *report_args(out_dir), *RUN_ARGS])
    assert code in (0, 1)
    return read_reports(out_dir)


def test_check_reports_are_the_same_bytes_run_to_run_and_place_to_place(
    tmp_path: Path,
) -> None:
    here = copy_example_project(tmp_path / "project")
    there = tmp_path / "elsewhere" / "a deeper folder"
    there.parent.mkdir()
    shutil.copytree(here, there)

    first = check_reports(here, tmp_path / "first")
    second = check_reports(here, tmp_path / "second")
    elsewhere = check_reports(there, tmp_path / "elsewhere-reports")

    for name in REPORT_FORMATS:
        assert second[name] == first[name], f"{name}: differs from run to run"
        assert elsewhere[name] == first[name], f"{name}: differs in another directory"


def test_check_reports_do_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    # In one process string hashing is fixed; a set iterated into a report would only
    # show as a difference between processes.
    root = copy_example_project(tmp_path / "project")
    outputs = []
    for seed in ("1", "2"):
        out_dir = tmp_path / f"seed-{seed}"
        command = [sys.executable, "-m", "cprlint", "check", str(root)]
        completed = subprocess.run(
            [*command, *report_args(out_dir), *RUN_ARGS],
            capture_output=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=False,
        )
        assert completed.returncode in (0, 1), completed.stderr
        outputs.append(read_reports(out_dir))
    assert outputs[0] == outputs[1]


# --- 6. no network ----------------------------------------------------------------------


def test_check_runs_without_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_example_project(tmp_path / "project")

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OSError("network access attempted in an offline test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    with pytest.raises(OSError, match="offline"):
        socket.create_connection(("pypi.org", 443))
    # Build the token vocabularies and the price catalog inside this test, from an empty
    # user cache (earlier tests' runs remember token counts there).
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    cprlint.tokens.encoding.cache_clear()
    cprlint.tokens.shared_counter.cache_clear()
    cprlint.pricing.builtin_catalog.cache_clear()

    capsys.readouterr()
    code = run(["check", str(root), "--format", "json", *RUN_ARGS])
    captured = capsys.readouterr()
    assert code in (0, 1), captured.err
    assert captured.err == ""
    report = json.loads(captured.out)

    # The recorded v2 router calls were re-counted under v1, so a vocabulary was built
    # here, offline; and the catalog priced the models the policy does not.
    assert cprlint.tokens.encoding.cache_info().currsize >= 1
    assert cprlint.pricing.builtin_catalog.cache_info().currsize == 1
    assert report["prompts"]["router"]["version"] == "v1"
    sources = {(model["price"] or {}).get("source") for model in report["models"].values()}
    assert "catalog" in sources
    summary = report["summary"]
    assert summary["conversations"] > 0
    assert summary["input_tokens"] > 0
    assert isinstance(summary["ai_cost"], int | float)
    assert summary["ai_cost"] > 0
    assert isinstance(summary["cost_per_resolution"], int | float)


# --- 7. a broken line is a finding, the others still count -----------------------------


@pytest.mark.parametrize(
    "broken_line",
    [
        '{"id": "T-2", "intent": "billing", "outcome": {"status": "resolved"}, "events": [',
        '{"id": "T-2", "intent": "billing",}',
        "{'id': 'T-2'}",
        '{"id": "T-2"} trailing',
    ],
    ids=["truncated", "trailing-comma", "single-quotes", "extra-data"],
)
def test_a_broken_fixture_line_is_reported_and_the_rest_replayed(
    tmp_path: Path, broken_line: str
) -> None:
    good = [
        {
            "id": f"T-{number}",
            "intent": "order_status",
            "queue": "orders",
            "outcome": {"status": "resolved", "resolved_by": "ai"},
            "events": [
                {
                    "type": "llm_call",
                    "stage": "generate",
                    "prompt": "answer",
                    "prompt_version": "v2",
                    "model": "gpt-4o-mini",
                    "usage": {"input_tokens": 1000, "output_tokens": 100},
                }
            ],
        }
        for number in (1, 3, 4)
    ]
    fixture = write_project(tmp_path, [])
    lines = [json.dumps(good[0]), broken_line, json.dumps(good[1]), json.dumps(good[2])]
    fixture.write_text("\n".join(lines) + "\n")

    report = check_project(load_project(tmp_path), today=TODAY)

    assert report.metrics is not None
    summary = report.metrics["summary"]
    assert summary["conversations"] == 3
    assert summary["resolved"] == 3
    # 3 calls * (1000 * 0.15 + 100 * 0.60) / 1M = 3 * 0.00021 = 0.00063
    assert Decimal(str(summary["ai_cost"])) == Decimal("0.00063")
    syntax = [finding for finding in report.findings if finding.rule == "CPR001"]
    assert [(finding.path, finding.line) for finding in syntax] == [("fixtures/recorded.jsonl", 2)]


def test_a_fixture_line_with_an_unpaired_surrogate_escape_is_not_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Valid JSON syntax (RFC 8259 §8.2 allows the escape), but not encodable text.
    lines = [
        '{"id": "T-1", "intent": "billing", "outcome": {"status": "resolved"}, "events": []}',
        '{"id": "T-2", "intent": "x\\udfff", "outcome": {"status": "resolved"}, "events": []}',
    ]
    fixture = write_project(tmp_path / "project", [])
    fixture.write_text("\n".join(lines) + "\n")
    output = tmp_path / "report.json"

    code = run(
        ["check", str(tmp_path / "project"), "--format", f"json:{output}", "--today", "2026-11-15"]
    )

    assert code in (0, 1), capsys.readouterr().err
    report = json.loads(output.read_text("utf-8"))
    assert report["summary"]["conversations"] >= 1
