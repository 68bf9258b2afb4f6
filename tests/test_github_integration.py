"""The GitHub Action, the workflows and the pre-commit hooks: valid, injection-safe, working.

The action's shell scripts run here for real, with the environment a runner gives them
(GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, RUNNER_TEMP) pointing at temporary files, against
the example project in a temporary git repository. `gh` is replaced by a fake that
records its calls, so no test reaches GitHub.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import GIT_ENV, REPO, git

SCRIPTS = REPO / ".github" / "actions-scripts"
WORKFLOWS = sorted(
    [
        *(REPO / ".github" / "workflows").glob("*.yml"),
        # The workflow that `cprlint init` writes into a team's repository.
        *(REPO / "evaluator" / "data" / "starter" / ".github" / "workflows").glob("*.yml"),
    ]
)
MARKER = "<!-- cprlint:report -->"


def run_module(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, check=False
    )


# --- validity -------------------------------------------------------------------------


def test_action_validates_against_githubs_action_schema() -> None:
    completed = run_module(
        "check_jsonschema", "--builtin-schema", "vendor.github-actions", "action.yml"
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda path: str(path.relative_to(REPO)))
def test_workflow_validates_against_githubs_workflow_schema(workflow: Path) -> None:
    completed = run_module(
        "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(workflow)
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_both_of_the_repositorys_workflows_are_checked() -> None:
    names = {path.name for path in WORKFLOWS if path.parent == REPO / ".github" / "workflows"}
    assert {"ci.yml", "cprlint.yml"} <= names


def test_pre_commit_manifest_validates() -> None:
    completed = run_module("pre_commit", "validate-manifest", ".pre-commit-hooks.yaml")
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_pre_commit_hooks_run_on_cprlint_files_only() -> None:
    hooks = {
        hook["id"]: hook for hook in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    }
    lint, check = hooks["cprlint-lint"], hooks["cprlint-check"]
    assert (lint["entry"], lint["language"], lint["pass_filenames"]) == (
        "cprlint lint",
        "python",
        False,
    )
    assert (check["entry"], check["stages"]) == ("cprlint check", ["manual"])
    for hook in (lint, check):
        for path in (
            "policies/support.yaml",
            "prompts/router/v2.md",
            "fixtures/recorded.jsonl",
            "cprlint.yaml",
        ):
            assert re.search(hook["files"], path), (hook["id"], path)
        for path in ("README.md", "evaluator/cli.py", "docs/policies/x.md", "cprlint.yaml.bak"):
            assert not re.search(hook["files"], path), (hook["id"], path)


def test_the_workflow_uploads_the_actions_sarif_and_comments() -> None:
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "cprlint.yml").read_text())
    assert workflow["permissions"] == {
        "contents": "read",
        "pull-requests": "write",
        "security-events": "write",
    }
    steps = workflow["jobs"]["cprlint"]["steps"]
    checkout = next(step for step in steps if step.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    action = next(step for step in steps if step.get("uses") == "./")
    assert action["with"]["comment"] == "true"
    upload = next(step for step in steps if "upload-sarif" in step.get("uses", ""))
    assert upload["with"]["sarif_file"] == "${{ steps." + action["id"] + ".outputs.sarif }}"
    assert upload["if"].startswith("always()")


# --- no expression in a script -----------------------------------------------------------


def run_bodies(document: Any) -> Iterator[tuple[str, str]]:
    """Every `run:` script of a workflow or action, with where it is."""
    if isinstance(document, Mapping):
        for key, value in document.items():
            if key == "run" and isinstance(value, str):
                yield str(document.get("name", document.get("id", "a step"))), value
            else:
                yield from run_bodies(value)
    elif isinstance(document, list):
        for item in document:
            yield from run_bodies(item)


def expressions_in_scripts(path: Path) -> list[str]:
    """Where an expression `${{ }}` would be pasted into a shell script's text."""
    text = path.read_text()
    if path.suffix in (".yml", ".yaml"):
        return [name for name, body in run_bodies(yaml.safe_load(text)) if "${{" in body]
    return [path.name] if "${{" in text else []


def script_files() -> list[Path]:
    return sorted(path for path in SCRIPTS.iterdir() if path.is_file())


@pytest.mark.parametrize(
    "path",
    [REPO / "action.yml", *WORKFLOWS, *script_files()],
    ids=lambda path: str(path.relative_to(REPO)),
)
def test_no_expression_is_pasted_into_a_script(path: Path) -> None:
    # A branch name or a pull-request title is attacker-controlled text: pasted into a
    # script by `${{ }}` it becomes shell code. Expressions belong in env:, with: and if:.
    assert expressions_in_scripts(path) == []


def test_the_injection_check_finds_a_pasted_expression(tmp_path: Path) -> None:
    workflow = tmp_path / "bad.yml"
    workflow.write_text(
        "on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - name: greet\n        run: echo '${{ github.head_ref }}'\n"
        "      - name: safe\n        env: {REF: '${{ github.head_ref }}'}\n"
        '        run: echo "$REF"\n'
    )
    assert expressions_in_scripts(workflow) == ["greet"]


def test_action_steps_run_bash_and_call_scripts_that_exist() -> None:
    action = yaml.safe_load((REPO / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    called = set()
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert step["shell"] == "bash", step["name"]
            called |= set(re.findall(r"\.github/actions-scripts/([\w.-]+)", step["run"]))
    assert called == {path.name for path in script_files()}
    for path in script_files():
        lines = path.read_text().splitlines()
        assert lines[0] == "#!/usr/bin/env bash"
        assert "set -euo pipefail" in lines


def test_action_inputs_and_outputs() -> None:
    action = yaml.safe_load((REPO / "action.yml").read_text())
    defaults = {name: spec.get("default") for name, spec in action["inputs"].items()}
    assert defaults == {
        "path": ".",
        "base": "${{ github.event.pull_request.base.sha }}",
        "fail-on": "error",
        "comment": "false",
        "github-token": "${{ github.token }}",
        "python-version": "3.12",
    }
    assert set(action["outputs"]) == {"cost_per_resolution", "verdict", "sarif"}


# --- the scripts, run ----------------------------------------------------------------------


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    """First on PATH: a fake `gh` that logs every call (one JSON line) to $FAKE_GH_LOG.

    `gh api user` fails as it does for GITHUB_TOKEN; listing comments prints
    $FAKE_GH_LISTING, the lines `--jq` would have printed; with `--input` the body sent
    is logged too.
    """
    directory = tmp_path / "bin"
    directory.mkdir()
    fake = directory / "gh"
    fake.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        "args = sys.argv[1:]\n"
        "entry = {'args': args}\n"
        "if '--input' in args:\n"
        "    with open(args[args.index('--input') + 1], encoding='utf-8') as handle:\n"
        "        entry['input'] = json.load(handle)\n"
        "with open(os.environ['FAKE_GH_LOG'], 'a', encoding='utf-8') as log:\n"
        "    log.write(json.dumps(entry) + '\\n')\n"
        "if args[:2] == ['api', 'user']:\n"
        "    sys.exit('gh: Resource not accessible by integration (HTTP 403)')\n"
        "if '--paginate' in args:\n"
        "    sys.stdout.write(os.environ.get('FAKE_GH_LISTING', ''))\n"
    )
    fake.chmod(0o755)
    return directory


def gh_calls(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


@pytest.fixture
def runner(tmp_path: Path, bin_dir: Path) -> dict[str, str]:
    """The environment a GitHub runner gives a step; cprlint and python from this test's Python."""
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GITHUB_", "RUNNER_", "INPUT_", "GH_"))
    }
    return {
        **inherited,
        **GIT_ENV,
        "PATH": os.pathsep.join(
            [str(bin_dir), str(Path(sys.executable).parent), os.environ.get("PATH", "")]
        ),
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(tmp_path / "github-output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "step-summary.md"),
        "RUNNER_TEMP": str(temp),
        "FAKE_GH_LOG": str(tmp_path / "gh-calls.jsonl"),
    }


def run_script(name: str, env: Mapping[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPTS / name)],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def step_outputs(env: Mapping[str, str]) -> dict[str, str]:
    path = Path(env["GITHUB_OUTPUT"])
    lines = path.read_text().splitlines() if path.exists() else []
    return dict(line.split("=", 1) for line in lines)


@pytest.fixture
def workspace(example_project: Path) -> tuple[Path, str]:
    """The example project as a repository with one commit; returns it and that commit."""
    git(example_project, "init", "-q", "-b", "main")
    git(example_project, "add", "-A")
    git(example_project, "commit", "-q", "-m", "base")
    return example_project, git(example_project, "rev-parse", "HEAD")


def test_action_scripts_check_the_example_project(
    workspace: tuple[Path, str], runner: dict[str, str]
) -> None:
    root, commit = workspace
    env = {**runner, "INPUT_PATH": ".", "BASE": commit}

    fetched = run_script("fetch-base.sh", env, cwd=root)
    assert fetched.returncode == 0, fetched.stderr
    assert step_outputs(env) == {"sha": commit}  # present already: nothing fetched

    Path(env["GITHUB_OUTPUT"]).unlink()
    checked = run_script("check.sh", {**env, "FAIL_ON": "error"}, cwd=root)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    outputs = step_outputs(env)
    assert outputs["verdict"] == "pass"
    assert outputs["exit_code"] == "0"
    assert re.fullmatch(r"\d+\.\d+", outputs["cost_per_resolution"])
    report = json.loads((Path(env["RUNNER_TEMP"]) / "cprlint.json").read_text())
    assert Decimal(outputs["cost_per_resolution"]) == Decimal(
        str(report["summary"]["cost_per_resolution"])
    )
    assert report["counts"]["errors"] == 0
    assert outputs["sarif"] == str(Path(env["RUNNER_TEMP"]) / "cprlint.sarif")
    assert json.loads(Path(outputs["sarif"]).read_text())["version"] == "2.1.0"
    assert Path(outputs["markdown"]).read_text().startswith(MARKER + "\n")
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text()
    assert summary.startswith(MARKER)
    assert summary.count(MARKER) == 1  # not once by the script and again by cprlint
    assert gh_calls(Path(env["FAKE_GH_LOG"])) == []


def test_findings_give_verdict_fail_and_the_exit_code_for_the_last_step(
    workspace: tuple[Path, str], runner: dict[str, str]
) -> None:
    root, commit = workspace
    # A budget of a tenth of a cent for billing disputes fails (their CPR is about 1.3 cents).
    policy = root / "policies" / "support.yaml"
    policy.write_text(
        policy.read_text().replace("tier: premium, budget: 0.02}", "tier: premium, budget: 0.001}")
    )
    env = {**runner, "INPUT_PATH": str(root), "BASE": commit, "FAIL_ON": "error"}
    checked = run_script("check.sh", env, cwd=root)
    assert checked.returncode == 0, checked.stderr  # the step goes on to the comment
    outputs = step_outputs(env)
    assert (outputs["verdict"], outputs["exit_code"]) == ("fail", "1")
    assert "::error " in checked.stdout  # the annotations
    assert "CPR402" in Path(env["GITHUB_STEP_SUMMARY"]).read_text()


def test_a_run_that_cannot_be_done_gives_verdict_error(
    tmp_path: Path, runner: dict[str, str]
) -> None:
    env = {**runner, "INPUT_PATH": str(tmp_path / "missing"), "BASE": "", "FAIL_ON": "error"}
    checked = run_script("check.sh", env, cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert step_outputs(env) == {
        "cost_per_resolution": "",
        "verdict": "error",
        "sarif": "",
        "markdown": "",
        "exit_code": "2",
    }
    assert "could not run (exit code 2)" in Path(env["GITHUB_STEP_SUMMARY"]).read_text()


def test_fetch_base_fetches_a_commit_missing_from_a_shallow_checkout(
    tmp_path: Path, runner: dict[str, str]
) -> None:
    origin = tmp_path / "origin"
    origin.mkdir()
    git(origin, "init", "-q", "-b", "main")
    (origin / "a.txt").write_text("base\n")
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "base")
    base = git(origin, "rev-parse", "HEAD")
    git(origin, "branch", "release")
    (origin / "a.txt").write_text("head\n")
    git(origin, "commit", "-q", "-am", "head")
    checkout = tmp_path / "checkout"
    git(tmp_path, "clone", "-q", "--depth=1", f"file://{origin}", str(checkout))
    with pytest.raises(subprocess.CalledProcessError):
        git(checkout, "cat-file", "-e", f"{base}^{{commit}}")

    for ref in (base, "release"):
        env = {**runner, "INPUT_PATH": ".", "BASE": ref, "GITHUB_OUTPUT": str(tmp_path / ref)}
        fetched = run_script("fetch-base.sh", env, cwd=checkout)
        assert fetched.returncode == 0, fetched.stderr
        assert step_outputs(env) == {"sha": base}


@pytest.mark.parametrize("base", ["--upload-pack=touch pwned", "+main:refs/heads/x", "a b"])
def test_fetch_base_refuses_what_is_no_ref(
    workspace: tuple[Path, str], runner: dict[str, str], base: str
) -> None:
    root, _ = workspace
    env = {**runner, "INPUT_PATH": ".", "BASE": base}
    fetched = run_script("fetch-base.sh", env, cwd=root)
    assert fetched.returncode == 2
    assert "neither a commit SHA nor a ref name" in fetched.stderr
    assert not (root / "pwned").exists()
    assert step_outputs(env) == {}


def test_fetch_base_without_a_base_checks_without_one(
    workspace: tuple[Path, str], runner: dict[str, str]
) -> None:
    root, _ = workspace
    env = {**runner, "INPUT_PATH": ".", "BASE": ""}
    assert run_script("fetch-base.sh", env, cwd=root).returncode == 0
    assert step_outputs(env) == {"sha": ""}


# --- the pull-request comment ----------------------------------------------------------


@pytest.fixture
def comment_env(tmp_path: Path, runner: dict[str, str]) -> dict[str, str]:
    report = tmp_path / "cprlint.md"
    report.write_text(f"{MARKER}\n### ✅ cprlint: all checks pass `$(touch pwned)`\n")
    return {
        **runner,
        "GH_TOKEN": "t0ken",
        "REPO": "acme/support",
        "PR": "7",
        "MARKDOWN": str(report),
    }


def test_comment_updates_the_one_cprlint_posted(
    tmp_path: Path, comment_env: dict[str, str]
) -> None:
    env = {
        **comment_env,
        # A stranger's comment quoting the marker comes first: it is not the one to update.
        "FAKE_GH_LISTING": "11\tmallory\n12\tgithub-actions[bot]\n13\tgithub-actions[bot]\n",
    }
    completed = run_script("comment.sh", env, cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    calls = gh_calls(Path(env["FAKE_GH_LOG"]))
    assert calls[1]["args"][:4] == [
        "api",
        "--paginate",
        "repos/acme/support/issues/7/comments",
        "--jq",
    ]
    assert calls[2]["args"][:4] == [
        "api",
        "--method",
        "PATCH",
        "repos/acme/support/issues/comments/12",
    ]
    assert calls[2]["input"] == {"body": Path(env["MARKDOWN"]).read_text()}
    assert len(calls) == 3
    assert not (tmp_path / "pwned").exists()


def test_comment_is_posted_when_there_is_none_yet(
    tmp_path: Path, comment_env: dict[str, str]
) -> None:
    env = {**comment_env, "FAKE_GH_LISTING": "11\tmallory\n"}
    completed = run_script("comment.sh", env, cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    last = gh_calls(Path(env["FAKE_GH_LOG"]))[-1]
    assert last["args"][:4] == ["api", "--method", "POST", "repos/acme/support/issues/7/comments"]
    assert last["input"] == {"body": Path(env["MARKDOWN"]).read_text()}


def test_no_comment_without_a_report(tmp_path: Path, comment_env: dict[str, str]) -> None:
    env = {**comment_env, "MARKDOWN": ""}
    completed = run_script("comment.sh", env, cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert gh_calls(Path(env["FAKE_GH_LOG"])) == []
