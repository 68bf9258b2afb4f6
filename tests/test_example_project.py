"""The repo's own example project: healthy as committed, failing in the ways that matter
when a pull request breaks it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
from lxml import etree

from tests.conftest import VALIDATORS

TODAY = "2026-11-23"


def _check(run_cli, root: Path, *args: str):  # type: ignore[no-untyped-def]
    return run_cli("check", str(root), "--today", TODAY, *args)


def test_example_project_passes_check_with_a_report_worth_reading(
    run_cli, example_project: Path
) -> None:
    result = _check(run_cli, example_project)
    assert result.exit_code == 0, result.stdout[-3000:]
    assert "By intent" in result.stdout
    assert "Projected monthly AI spend" in result.stdout
    report = json.loads(_check(run_cli, example_project, "--format", "json").stdout)
    summary = report["summary"]
    assert summary["conversations"] >= 300
    assert len(report["intents"]) >= 6
    assert len(report["queues"]) >= 3
    assert set(report["automation"]) == {"full", "partial", "assisted"}
    assert summary["retries"] > 0
    assert summary["escalated"] > 0
    assert 0 < summary["resolution_rate"] < 1  # an unresolved tail
    # The retry storm and the tool-call loops are recorded on purpose, and waived.
    waived = {finding["rule"] for finding in report["findings"] if "waived_by" in finding}
    assert {"CPR501", "CPR503"} <= waived
    assert report["tool"]["catalog_date"] == "2026-11-01"


def release_grown_billing_prompt(root: Path, repeats: int) -> None:
    """A new billing prompt version with a pasted policy document, released."""
    prompt = root / "prompts" / "billing_answer"
    grown = (
        (prompt / "v3.md").read_text()
        + "\nRefund policy:\n"
        + "Refunds are reviewed case by case. " * repeats
    )
    (prompt / "v4.md").write_text(grown)
    manifest = prompt / "prompt.yaml"
    manifest.write_text(manifest.read_text().replace("released: v3", "released: v4"))


def test_a_grown_prompt_breaks_the_budget(run_cli, example_project: Path) -> None:
    # The billing prompt grows by a pasted policy document of about 5,600 tokens (7 per
    # repeat); every billing_dispute generate call is re-counted under v4 and repriced.
    release_grown_billing_prompt(example_project, repeats=800)
    result = _check(run_cli, example_project, "--format", "json")
    assert result.exit_code == 1
    rules = {
        finding["rule"]
        for finding in json.loads(result.stdout)["findings"]
        if "waived_by" not in finding
    }
    assert "CPR402" in rules  # billing_dispute over its budget
    assert "CPR504" in rules  # calls over max_input_tokens


def test_an_expired_waiver_fails_the_run(run_cli, example_project: Path) -> None:
    result = run_cli("check", str(example_project), "--today", "2029-01-01", "--format", "json")
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["findings"]
    assert any(finding["rule"] == "CPR108" for finding in findings)
    # Without an active waiver the storm is an error again.
    assert any(finding["rule"] == "CPR501" and "waived_by" not in finding for finding in findings)


def test_billing_moved_to_the_premium_model_of_another_provider(
    run_cli, example_project: Path
) -> None:
    # A pull request pins the router prompt to the premium model: every classify call is
    # re-routed to gpt-4o and the economy intents blow their budgets.
    released = example_project / "prompts" / "router" / "v2.md"
    text = released.read_text()
    released.write_text(re.sub(r"^---\n", "---\nmodel: gpt-4o\n", text, count=1))
    result = _check(run_cli, example_project, "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["models"]["gpt-4o"]["rerouted_calls"] >= report["summary"]["conversations"] // 2
    assert any(finding["rule"] == "CPR402" for finding in report["findings"])


def test_check_outputs_validate_against_the_official_schemas(
    run_cli, example_project: Path, tmp_path: Path
) -> None:
    release_grown_billing_prompt(example_project, repeats=400)
    sarif_path, junit_path = tmp_path / "out.sarif", tmp_path / "out.xml"
    result = _check(
        run_cli,
        example_project,
        "--format",
        f"sarif:{sarif_path}",
        "--format",
        f"junit:{junit_path}",
    )
    assert result.exit_code == 1
    schema = json.loads((VALIDATORS / "sarif-schema-2.1.0.json").read_text())
    sarif = json.loads(sarif_path.read_text())
    jsonschema.Draft4Validator(schema).validate(sarif)
    results = sarif["runs"][0]["results"]
    budget = next(r for r in results if r["ruleId"] == "CPR402")
    assert (
        budget["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        == "policies/support.yaml"
    )
    xsd = etree.XMLSchema(etree.parse(str(VALIDATORS / "jenkins-junit.xsd")))
    assert xsd.validate(etree.parse(str(junit_path)))
