"""`cprlint init`, and what `check` does by itself inside GitHub Actions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml


def test_init_writes_a_project_that_passes_check(run_cli, tmp_path: Path) -> None:
    target = tmp_path / "new"
    result = run_cli("init", str(target))
    assert result.exit_code == 0
    assert (target / ".github" / "workflows" / "cprlint.yml").is_file()
    check = run_cli("check", str(target), "--format", "json")
    assert check.exit_code == 0, check.stdout
    report = json.loads(check.stdout)
    assert report["findings"] == []
    assert report["summary"]["conversations"] == 12
    assert set(report["prompts"]) == {"router", "answer"}


def test_init_policy_comments_every_key(tmp_path: Path, run_cli) -> None:
    run_cli("init", str(tmp_path))
    lines = (tmp_path / "policies" / "policy.yaml").read_text().splitlines()
    keyed = [
        line for line in lines if line.strip() and not line.lstrip().startswith("#") and ":" in line
    ]
    assert keyed
    assert [line for line in keyed if "#" not in line] == []


def test_init_refuses_to_overwrite_and_names_the_files(run_cli, tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "policy.yaml").write_text("mine\n")
    result = run_cli("init", str(tmp_path))
    assert result.exit_code == 2
    assert (
        result.stderr
        == f"cprlint: error: {tmp_path}: would overwrite policies/policy.yaml; use --force to replace them\n"
    )
    assert (tmp_path / "policies" / "policy.yaml").read_text() == "mine\n"
    assert run_cli("init", str(tmp_path), "--force").exit_code == 0
    assert (tmp_path / "policies" / "policy.yaml").read_text().startswith("# A cprlint policy")


def test_init_workflow_is_valid_yaml_using_the_action(run_cli, tmp_path: Path) -> None:
    run_cli("init", str(tmp_path))
    workflow = yaml.safe_load((tmp_path / ".github" / "workflows" / "cprlint.yml").read_text())
    steps = workflow["jobs"]["cprlint"]["steps"]
    assert any(str(step.get("uses", "")).startswith("cprlint/cprlint@") for step in steps)


@pytest.fixture
def in_github_actions(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    return summary


def test_check_in_github_actions_writes_summary_and_annotations(
    run_cli, example_project: Path, in_github_actions: Path
) -> None:
    # A budget of a tenth of a cent for billing disputes fails (their CPR is about 1.3 cents).
    policy = example_project / "policies" / "support.yaml"
    policy.write_text(
        policy.read_text().replace("tier: premium, budget: 0.02}", "tier: premium, budget: 0.001}")
    )
    result = run_cli("check", str(example_project), "--today", "2026-11-23")
    assert result.exit_code == 1
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::error ")]
    assert any("title=CPR402 error" in line for line in annotations)
    summary = in_github_actions.read_text()
    assert summary.startswith("❌ **cprlint check failed**")
    assert "CPR402" in summary


def test_machine_output_on_stdout_stays_clean_in_github_actions(
    run_cli, example_project: Path, in_github_actions: Path
) -> None:
    result = run_cli("check", str(example_project), "--format", "json", "--today", "2026-11-23")
    json.loads(result.stdout)  # annotations went to stderr, not into the JSON
    assert "cprlint check:" in result.stderr
