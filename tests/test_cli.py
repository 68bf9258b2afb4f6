"""The command line as users meet it: exit codes, formats, config, errors on one line."""

from __future__ import annotations

import json
from pathlib import Path

from cprlint import __version__
from cprlint.rules import RULES


def test_version(run_cli) -> None:
    result = run_cli("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"cprlint {__version__}"


def test_lint_example_project_is_clean(run_cli, example_project: Path) -> None:
    result = run_cli("lint", str(example_project))
    assert result.exit_code == 0, result.stdout
    assert "no findings" in result.stdout
    assert result.stderr == ""


def test_lint_finding_exits_1_and_names_file_and_line(run_cli, example_project: Path) -> None:
    policy = example_project / "policies" / "support.yaml"
    text = policy.read_text()
    policy.write_text(
        text.replace(
            "billing_dispute:       {risk: high, tier: premium",
            "billing_dispute:       {risk: high, tier: economy",
        )
    )
    line = next(
        n for n, row in enumerate(policy.read_text().splitlines(), 1) if "billing_dispute:  " in row
    )
    result = run_cli("lint", str(example_project), "--format", "json")
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["findings"]
    assert [(f["rule"], f["path"], f["line"], f.get("intent")) for f in findings] == [
        ("CPR101", "policies/support.yaml", line, "billing_dispute")
    ]


def test_fail_on_controls_the_exit_code(run_cli, example_project: Path) -> None:
    # One llm_call without usage: a warning (CPR305).
    fixture = example_project / "fixtures" / "extra.yaml"
    fixture.write_text(
        "id: T-9\nintent: card_arrival\noutcome: {status: resolved}\n"
        "events:\n  - {type: llm_call, model: gpt-4o-mini}\n"
    )
    assert run_cli("lint", str(example_project)).exit_code == 0
    assert run_cli("lint", str(example_project), "--fail-on", "warning").exit_code == 1
    (example_project / "cprlint.yaml").write_text("fail_on: warning\n")
    assert run_cli("lint", str(example_project)).exit_code == 1
    assert run_cli("lint", str(example_project), "--fail-on", "never").exit_code == 0


def test_config_rule_levels(run_cli, example_project: Path) -> None:
    fixture = example_project / "fixtures" / "extra.yaml"
    fixture.write_text(
        "id: T-9\nintent: card_arrival\noutcome: {status: resolved}\n"
        "events:\n  - {type: llm_call, model: gpt-4o-mini}\n"
    )
    (example_project / "cprlint.yaml").write_text("rules:\n  CPR305: {level: error}\n")
    result = run_cli("lint", str(example_project), "--format", "json")
    assert result.exit_code == 1
    assert [(f["rule"], f["severity"]) for f in json.loads(result.stdout)["findings"]] == [
        ("CPR305", "error")
    ]
    (example_project / "cprlint.yaml").write_text("rules:\n  CPR305: {level: 'off'}\n")
    result = run_cli("lint", str(example_project), "--format", "json")
    assert json.loads(result.stdout)["findings"] == []


def test_pyproject_config(run_cli, example_project: Path) -> None:
    (example_project / "pyproject.toml").write_text('[tool.cprlint]\nfixtures = "nowhere"\n')
    result = run_cli("lint", str(example_project), "--format", "json")
    # The setting is read: fixtures are looked for there, and there are none.
    assert result.exit_code == 2
    assert "looked for *.jsonl and *.yaml in `nowhere/`" in result.stderr


def test_output_file_and_several_formats(run_cli, example_project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli(
        "lint",
        str(example_project),
        "--format",
        f"sarif:{out}/report.sarif",
        "--format",
        "json",
        "--output",
        str(out / "report.json"),
    )
    assert result.exit_code == 0
    assert result.stdout == ""
    assert json.loads((out / "report.sarif").read_text())["version"] == "2.1.0"
    assert json.loads((out / "report.json").read_text())["findings"] == []


def test_same_input_same_bytes(run_cli, example_project: Path) -> None:
    (example_project / "fixtures" / "extra.yaml").write_text("id: [\n")
    first = run_cli("lint", str(example_project), "--format", "sarif").stdout
    second = run_cli("lint", str(example_project), "--format", "sarif").stdout
    assert first == second
    assert "CPR001" in first


def test_rules_lists_every_rule(run_cli) -> None:
    result = run_cli("rules", "--format", "json")
    listed = json.loads(result.stdout)
    assert [rule["code"] for rule in listed] == sorted(RULES)
    assert all(rule["summary"] and rule["severity"] in ("error", "warning") for rule in listed)


def test_explain_shows_failing_and_passing_examples(run_cli) -> None:
    for code in RULES:
        result = run_cli("explain", code.lower())
        assert result.exit_code == 0
        assert "Why:" in result.stdout
        assert "Failing:" in result.stdout
        assert "Passing:" in result.stdout


def test_schema_command_prints_valid_json_schemas(run_cli) -> None:
    for name in ("policy", "fixture"):
        schema = json.loads(run_cli("schema", name).stdout)
        assert schema["$schema"].startswith("https://json-schema.org/")


def test_bad_invocations_are_one_line_and_exit_2(run_cli, tmp_path: Path) -> None:
    for args in (
        ("lint", str(tmp_path / "missing")),
        ("lint", "--format", "xml"),
        ("lint", "--fail-on", "sometimes"),
        ("lint", "--today", "yesterday"),
        ("lint", "--no-such-flag"),
        ("explain", "CPR999"),
        ("schema", "prompt"),
        ("no-such-command",),
    ):
        result = run_cli(*args)
        assert result.exit_code == 2, args
        assert result.stderr.count("\n") == 1, (args, result.stderr)
        assert result.stderr.startswith("cprlint: error: ")
        assert "Traceback" not in result.stderr


def test_unreadable_config_is_exit_2(run_cli, example_project: Path) -> None:
    (example_project / "cprlint.yaml").write_text("rules: [\n")
    result = run_cli("lint", str(example_project))
    assert result.exit_code == 2
    assert result.stderr.startswith("cprlint: error: cprlint.yaml:")
    (example_project / "cprlint.yaml").write_text("rules: {CPR999: warning}\n")
    result = run_cli("lint", str(example_project))
    assert (result.exit_code, result.stderr) == (
        2,
        "cprlint: error: cprlint.yaml: unknown rule `CPR999` (see `cprlint rules`)\n",
    )
    (example_project / "cprlint.yaml").write_text("polices: [p]\n")
    assert "unknown setting `polices`" in run_cli("lint", str(example_project)).stderr


def test_internal_errors_are_one_line_with_exit_3(
    run_cli, example_project: Path, monkeypatch
) -> None:
    import cprlint.engine

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(cprlint.engine, "lint_project", broken)
    result = run_cli("lint", str(example_project))
    assert result.exit_code == 3
    assert (
        result.stderr
        == "cprlint: internal error: RuntimeError: boom (this is a bug in cprlint; please report it)\n"
    )


def test_console_script_runs(example_project: Path) -> None:
    import subprocess
    import sys

    completed = subprocess.run(
        [sys.executable, "-m", "cprlint", "lint", str(example_project)],
        capture_output=True,
        text=True,
        env={"NO_COLOR": "1", "PATH": ""},
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "\x1b[" not in completed.stdout
