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


@pytest.mark.parametrize("folder", ["prompts", "fixtures", "policies"])
def test_a_project_folder_that_is_a_link_is_neither_listed_nor_read(
    run_cli, starter_project: Path, outside: Path, folder: str
) -> None:
    # `prompts -> /etc`, `fixtures -> ~`: nothing in there is listed or read, wherever
    # the link points; its name alone is reported.
    for index in range(50):  # what a listing would turn into findings: folder names
        (outside / f"{SECRET}-{index}").mkdir()
    real = starter_project / folder
    real.rename(starter_project / f"{folder}-real")
    real.symlink_to(outside, target_is_directory=True)
    result = run_cli("lint", str(starter_project), "--format", "json", *TODAY)
    assert SECRET not in result.stdout + result.stderr
    if folder != "prompts":  # no policy, or no fixture, left to check: exit 2
        assert result.exit_code == 2
        return
    report = json.loads(result.stdout)
    assert [(f["rule"], f["path"], f["message"]) for f in report["findings"]] == [
        (
            "CPR005",
            "prompts",
            "`prompts` is a link to a folder: neither listed nor read (the project's files "
            "are its own, not a link's)",
        )
    ]


def test_a_folder_linked_inside_the_project_is_not_read_either(
    run_cli, starter_project: Path
) -> None:
    # A link that stays inside the project is still a link: its folder is not walked.
    (starter_project / "fixtures" / "again").symlink_to(
        starter_project / "fixtures", target_is_directory=True
    )
    report = json.loads(_check(run_cli, starter_project).stdout)
    assert report["summary"]["conversations"] == 12  # the starter's, once
    assert [(f["rule"], f["path"]) for f in report["findings"] if f["rule"] == "CPR005"] == [
        ("CPR005", "fixtures/again")
    ]


@pytest.mark.parametrize("force", [False, True])
def test_init_writes_through_no_link(run_cli, tmp_path: Path, outside: Path, force: bool) -> None:
    target = tmp_path / "new"
    (target / "policies").mkdir(parents=True)
    victim = outside / "victim.txt"
    (target / "policies" / "policy.yaml").symlink_to(victim)  # dangling
    result = run_cli("init", str(target), *(["--force"] if force else []))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert not victim.exists()
    if force:
        assert "policies/policy.yaml: cannot write it:" in result.stderr
    else:
        assert "would overwrite policies/policy.yaml" in result.stderr


def test_a_report_is_not_written_through_a_link_in_the_project(
    run_cli, starter_project: Path, outside: Path
) -> None:
    victim = outside / "cron"
    (starter_project / "report.json").symlink_to(victim)
    result = run_cli(
        "check",
        str(starter_project),
        "--no-cache",
        *TODAY,
        "-o",
        str(starter_project / "report.json"),
    )
    assert result.exit_code == 2
    assert "cannot write the report" in result.stderr
    assert not victim.exists()
    # A folder of the project that is a link is not written into either.
    (starter_project / "out").symlink_to(outside, target_is_directory=True)
    result = run_cli(
        "check", str(starter_project), "--no-cache", *TODAY,
        "--format", f"json:{starter_project / 'out' / 'r.json'}",
    )  # fmt: skip
    assert result.exit_code == 2
    assert not (outside / "r.json").exists()
    # Outside the project, a path is the user's own choice.
    elsewhere = outside / "mine.txt"
    result = run_cli("check", str(starter_project), "--no-cache", *TODAY, "-o", str(elsewhere))
    assert result.exit_code == 0
    assert "12 conversations checked" in elsewhere.read_text()
