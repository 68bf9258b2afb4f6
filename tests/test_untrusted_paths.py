"""Nothing outside the project is read or written: a pull request controls every file
cprlint reads, including symlinks and the paths its config names, and what cprlint
reads ends up in the report it posts on that pull request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import CliResult

TODAY = ["--today", "2026-11-23"]
SECRET = "ghp_not_for_the_report"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory on the same machine, outside the project, holding a fixture-shaped
    file whose values must not reach any report."""
    directory = tmp_path / "elsewhere"
    directory.mkdir()
    line = {
        "id": SECRET,
        "intent": SECRET,
        "outcome": {"status": "resolved"},
        "events": [{"type": "message", "role": "user", "text": SECRET}],
    }
    (directory / "creds.jsonl").write_text(json.dumps(line) + "\n")
    (directory / "policy.yaml").write_text(f"version: 1\nname: {SECRET}\n")
    return directory


def _check(run_cli, root: Path) -> CliResult:  # type: ignore[no-untyped-def]
    result: CliResult = run_cli("check", str(root), "--format", "json", "--no-cache", *TODAY)
    return result


@pytest.mark.parametrize(
    ("link", "target"),
    [("fixtures/linked.jsonl", "creds.jsonl"), ("policies/linked.yaml", "policy.yaml")],
)
def test_a_file_linked_from_outside_is_not_read(
    run_cli, starter_project: Path, outside: Path, link: str, target: str
) -> None:
    (starter_project / link).symlink_to(outside / target)
    result = _check(run_cli, starter_project)
    assert SECRET not in result.stdout + result.stderr
    report = json.loads(result.stdout)
    refused = [finding for finding in report["findings"] if finding["path"] == link]
    assert [(finding["rule"], finding["message"]) for finding in refused] == [
        ("CPR005", "cannot read: it is a link to a file outside the project")
    ]


def test_a_folder_linked_from_outside_is_not_listed(
    run_cli, starter_project: Path, outside: Path
) -> None:
    before = json.loads(_check(run_cli, starter_project).stdout)["summary"]["conversations"]
    (starter_project / "fixtures" / "more").symlink_to(outside, target_is_directory=True)
    result = _check(run_cli, starter_project)
    assert SECRET not in result.stdout + result.stderr
    assert json.loads(result.stdout)["summary"]["conversations"] == before


def test_a_link_inside_the_project_is_read(run_cli, starter_project: Path) -> None:
    # Links are not refused as such: one to a file of the project reads like the file.
    before = json.loads(_check(run_cli, starter_project).stdout)
    (starter_project / "shared").mkdir()
    fixture = starter_project / "fixtures" / "conversations.jsonl"
    fixture.rename(starter_project / "shared" / "conversations.jsonl")
    fixture.symlink_to(starter_project / "shared" / "conversations.jsonl")
    after = json.loads(_check(run_cli, starter_project).stdout)
    assert after["summary"] == before["summary"]
    assert after["summary"]["conversations"] > 0
    assert "CPR005" not in {finding["rule"] for finding in after["findings"]}


@pytest.mark.parametrize(
    "setting",
    [
        "fixtures: /etc",
        "fixtures: [fixtures, ../elsewhere]",
        "policies: policies/../../elsewhere",
        "prompts: /etc",
        "baseline: ../elsewhere/baseline.json",
    ],
)
def test_config_paths_must_stay_in_the_project(
    run_cli, starter_project: Path, outside: Path, setting: str
) -> None:
    (starter_project / "cprlint.yaml").write_text(setting + "\n")
    result = _check(run_cli, starter_project)
    key = setting.split(":")[0]
    assert result.exit_code == 2
    assert result.stderr.startswith(f"cprlint: error: cprlint.yaml: `{key}` must be a path inside")
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_a_config_linked_from_outside_is_refused(
    run_cli, starter_project: Path, outside: Path
) -> None:
    (outside / "cprlint.yaml").write_text(f"fixtures: {SECRET}\n")
    (starter_project / "cprlint.yaml").symlink_to(outside / "cprlint.yaml")
    result = _check(run_cli, starter_project)
    assert result.exit_code == 2
    assert SECRET not in result.stderr
    assert "it is a link to a file outside the project" in result.stderr


def test_the_baseline_is_not_read_or_written_through_a_link(
    run_cli, starter_project: Path, outside: Path
) -> None:
    (starter_project / ".cprlint").mkdir()
    (starter_project / ".cprlint" / "baseline.json").symlink_to(outside / "baseline.json")
    written = run_cli("baseline", str(starter_project), *TODAY)
    assert written.exit_code == 2
    assert "baseline .cprlint/baseline.json: it is a link" in written.stderr
    assert not (outside / "baseline.json").exists()
    # Nothing there to read: no baseline. Something there: refused, not read.
    assert _check(run_cli, starter_project).exit_code in (0, 1)
    (outside / "baseline.json").write_text(json.dumps({"version": SECRET}))
    read = _check(run_cli, starter_project)
    assert read.exit_code == 2
    assert "baseline .cprlint/baseline.json: it is a link" in read.stderr
    assert SECRET not in read.stderr
