"""The verdict a reviewer reads: tried as a team adopting cprlint would, on real git
repositories in temporary folders (`cprlint init`, a branch, the command).

The starter project (`cprlint init`) has 12 conversations: 7 `order_status` (queue
orders, economy model) and 5 `refund_request` (queue refunds, premium model); the
arithmetic of each expected number is in the test's comments.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import git


def commit_all(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


@pytest.fixture
def adopted(run_cli, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    """The starter project committed on `main`, and a branch `pr` checked out."""
    root = tmp_path / "shop"
    assert run_cli("init", str(root)).exit_code == 0
    git(root, "init", "-q", "-b", "main")
    commit_all(root, "adopt cprlint")
    git(root, "checkout", "-q", "-b", "pr")
    return root


# --- 1. no silent pass ------------------------------------------------------------------


@pytest.mark.parametrize("command", ["check", "lint", "baseline"])
def test_a_folder_without_a_policy_is_exit_2_saying_where_it_looked(
    run_cli, tmp_path: Path, command: str
) -> None:
    result = run_cli(command, str(tmp_path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert f"no policy in {tmp_path.resolve()}" in result.stderr
    assert "`policies/`" in result.stderr


def test_gate_without_a_policy_is_exit_2(run_cli, tmp_path: Path) -> None:
    (tmp_path / "prompts" / "answer").mkdir(parents=True)
    (tmp_path / "prompts" / "answer" / "prompt.yaml").write_text("id: answer\nreleased: v1\n")
    (tmp_path / "prompts" / "answer" / "v1.md").write_text("Hello\n")
    (tmp_path / "prompts" / "answer" / "v2.md").write_text("Hello there\n")
    result = run_cli("gate", "answer@v2", str(tmp_path))
    assert result.exit_code == 2
    assert "no policy in" in result.stderr


@pytest.mark.parametrize("command", ["check", "lint", "baseline"])
def test_a_policy_without_fixtures_is_exit_2(run_cli, starter_project: Path, command: str) -> None:
    for fixture in (starter_project / "fixtures").iterdir():
        fixture.unlink()
    result = run_cli(command, str(starter_project))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "no fixture conversation in" in result.stderr
    assert "`fixtures/`" in result.stderr


def test_fixture_files_that_are_all_empty_are_exit_2(run_cli, starter_project: Path) -> None:
    (starter_project / "fixtures" / "conversations.jsonl").write_text("\n\n")
    result = run_cli("check", str(starter_project))
    assert result.exit_code == 2
    assert "1 fixture file under `fixtures`, all empty" in result.stderr


def test_broken_fixtures_are_findings_not_a_missing_project(run_cli, starter_project: Path) -> None:
    (starter_project / "fixtures" / "conversations.jsonl").write_text('{"id": \n')
    result = run_cli("check", str(starter_project), "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    # The broken line; and the two intents of the traffic mix, with nothing to project.
    assert [f["rule"] for f in report["findings"]] == ["CPR001", "CPR408", "CPR408"]
    assert report["summary"]["conversations"] == 0


def test_a_broken_policy_file_is_a_finding_not_a_missing_policy(
    run_cli, starter_project: Path
) -> None:
    (starter_project / "policies" / "policy.yaml").write_text("apiVersion: [\n")
    result = run_cli("lint", str(starter_project), "--format", "json")
    assert result.exit_code == 1
    assert "CPR001" in {f["rule"] for f in json.loads(result.stdout)["findings"]}


def test_markdown_against_a_baseline_renders(run_cli, starter_project: Path) -> None:
    # `init`, `baseline`, `check --format markdown` crashed (KeyError) before.
    assert run_cli("baseline", str(starter_project)).exit_code == 0
    result = run_cli("check", str(starter_project), "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    # Nothing changed since the baseline: the same cost per resolution, +0.0%.
    assert "+0.0% vs `baseline .cprlint/baseline.json`" in result.stdout
    assert "over 12 conversations" in result.stdout


def test_the_job_summary_is_written_once_a_baseline_exists(
    run_cli, starter_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the shipped Action does on every push to main after `cprlint baseline`.
    assert run_cli("baseline", str(starter_project)).exit_code == 0
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = run_cli("check", str(starter_project), "--no-cache")
    assert result.exit_code == 0, result.stderr
    assert summary.read_text().startswith("<!-- cprlint:report -->")


# --- 5. honest comparisons: gate once the candidate is released --------------------------


def release_answer_v2(root: Path) -> None:
    """`answer` v2: v1 with one more sentence, released."""
    folder = root / "prompts" / "answer"
    v1 = (folder / "v1.md").read_text()
    (folder / "v2.md").write_text(v1 + "Always thank the customer for their patience.\n")
    (folder / "prompt.yaml").write_text(
        (folder / "prompt.yaml").read_text().replace("released: v1", "released: v2")
    )


def test_gate_of_the_released_version_needs_a_base(run_cli, adopted: Path) -> None:
    release_answer_v2(adopted)
    commit_all(adopted, "release answer v2")
    result = run_cli("gate", "answer@v2", str(adopted))
    assert result.exit_code == 2
    assert result.stderr == (
        "cprlint: error: answer@v2 is already the released version in this tree; "
        "give --base REF to compare it with the version released there\n"
    )


def test_gate_with_a_base_compares_with_the_version_released_there(run_cli, adopted: Path) -> None:
    release_answer_v2(adopted)
    commit_all(adopted, "release answer v2")
    result = run_cli("gate", "answer@v2", str(adopted), "--base", "main", "--format", "json")
    report = json.loads(result.stdout)
    prompt = report["comparison"]["prompts"]["answer"]
    # v1 against v2, not v2 against itself: the added sentence adds tokens to every call.
    assert (prompt["base_version"], prompt["head_version"]) == ("v1", "v2")
    assert prompt["delta_pct"] > 0
    assert report["comparison"]["base"] == "answer@v1 at main"


def test_gate_of_a_version_released_at_the_base_is_exit_2(run_cli, adopted: Path) -> None:
    result = run_cli("gate", "answer@v1", str(adopted), "--base", "main")
    assert result.exit_code == 2
    assert "answer@v1 is already released at main: nothing to gate" in result.stderr


def test_gate_names_the_warnings_it_lets_through(run_cli, adopted: Path) -> None:
    # v2 prints a variable no fixture provides: CPR205, a warning, is let through.
    folder = adopted / "prompts" / "answer"
    (folder / "v2.md").write_text((folder / "v1.md").read_text() + "Plan: {{ plan_name }}\n")
    result = run_cli("gate", "answer@v2", str(adopted))
    first_line = result.stdout.splitlines()[0]
    assert first_line.startswith("✓ answer@v2 may be released: ")
    assert first_line.endswith("letting through 1 warning (CPR205)")
    assert result.exit_code == 0
