"""The shipped JSON Schemas work for editors and other tools, not only inside cprlint."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from cprlint.model import (
    AUTOMATION_MODES,
    MAX_AMOUNT,
    MAX_COUNT,
    MESSAGE_ROLES,
    OUTCOME_STATUSES,
    RESOLVERS,
)

from tests.conftest import REPO


def _check_jsonschema(schema: Path, instance: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--schemafile", str(schema), str(instance)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_example_policy_validates_with_check_jsonschema(run_cli, tmp_path: Path) -> None:
    schema = tmp_path / "policy.schema.json"
    schema.write_text(run_cli("schema", "policy").stdout)
    completed = _check_jsonschema(schema, REPO / "policies" / "support.yaml")
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_misspelt_policy_key_fails_check_jsonschema(run_cli, tmp_path: Path) -> None:
    schema = tmp_path / "policy.schema.json"
    schema.write_text(run_cli("schema", "policy").stdout)
    policy = yaml.safe_load((REPO / "policies" / "support.yaml").read_text())
    policy["budgets"]["cost_per_resolutoin"] = policy["budgets"].pop("cost_per_resolution")
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(policy, default=str))
    completed = _check_jsonschema(schema, broken)
    assert completed.returncode == 1
    assert "cost_per_resolutoin" in completed.stdout


def test_example_fixtures_validate_with_check_jsonschema(run_cli, tmp_path: Path) -> None:
    schema = tmp_path / "fixture.schema.json"
    schema.write_text(run_cli("schema", "fixture").stdout)
    for number, line in enumerate((REPO / "fixtures" / "recorded.jsonl").read_text().splitlines()):
        instance = tmp_path / f"conversation-{number}.json"
        instance.write_text(line)
        completed = _check_jsonschema(schema, instance)
        assert completed.returncode == 0, completed.stdout


def test_the_models_names_are_the_fixture_schemas() -> None:
    """The strict reader and the fast shape check take their names from the model; the
    schema is what users' editors see. They are one list each."""
    schema = json.loads((REPO / "evaluator" / "data" / "fixture.schema.json").read_text())
    outcome = schema["properties"]["outcome"]["properties"]
    (message,) = [
        branch["then"]
        for branch in schema["properties"]["events"]["items"]["allOf"]
        if "role" in branch["then"].get("properties", {})
    ]
    assert list(AUTOMATION_MODES) == schema["properties"]["automation"]["enum"]
    assert list(OUTCOME_STATUSES) == outcome["status"]["enum"]
    assert list(RESOLVERS) == outcome["resolved_by"]["enum"]
    assert list(MESSAGE_ROLES) == message["properties"]["role"]["enum"]


def _numeric_nodes(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, list):
        return [found for item in node for found in _numeric_nodes(item)]
    if not isinstance(node, dict):
        return []
    own = [node] if node.get("type") in ("number", "integer") else []
    return own + [found for value in node.values() for found in _numeric_nodes(value)]


@pytest.mark.parametrize("name", ["policy", "fixture"])
def test_every_number_has_the_models_maximum(name: str) -> None:
    """The model drops what the schema reports: both bound numbers alike (rates at 1)."""
    schema = json.loads((REPO / "evaluator" / "data" / f"{name}.schema.json").read_text())
    maxima = {(node["type"], node.get("maximum")) for node in _numeric_nodes(schema)}
    # (A CSAT score is on a scale of 1 to 5: its maximum is the scale's, which the model
    # checks too, not a bound on magnitude.)
    allowed = {("number", MAX_AMOUNT), ("number", 1), ("integer", MAX_COUNT), ("integer", 5)}
    assert maxima <= allowed


def test_a_token_count_past_the_maximum_is_a_bad_token_count() -> None:
    from cprlint.documents import json_document
    from cprlint.schemas import validate

    line = (
        '{"id": "T-1", "intent": "x", "outcome": {"status": "resolved"}, "events": '
        '[{"type": "llm_call", "model": "m", "usage": {"input_tokens": 10000000000, '
        '"output_tokens": 1}}]}'
    )
    (problem,) = validate(json_document("f.jsonl", line, 1), "fixture")
    assert problem.code == "CPR304"
    assert problem.location.column == line.index("10000000000") + 1
    # 10^10 tokens against MAX_COUNT = 10^9, written with separators.
    assert problem.message == (
        "`events[0].usage.input_tokens` is 10000000000 tokens, more than any call has "
        "(1,000,000,000 at most)"
    )


def test_an_amount_past_the_maximum_names_the_maximum_not_another_type() -> None:
    # The budget is a number or a mapping (oneOf): the number branch, which the value's
    # type matched, says what is wrong, not "must be a mapping".
    from cprlint.documents import load_yaml_documents
    from cprlint.schemas import validate

    text = (REPO / "policies" / "support.yaml").read_text(encoding="utf-8")
    budget = "  cost_per_resolution: 0.0055\n"
    line = text[: text.index(budget)].count("\n") + 1
    text = text.replace(budget, "  cost_per_resolution: 1.0e+400\n", 1)
    (document,), _ = load_yaml_documents("policies/support.yaml", text)
    (problem,) = validate(document, "policy")
    # "  cost_per_resolution: " is 23 characters: the value starts in column 24.
    assert (problem.location.line, problem.location.column) == (line, 24)
    assert problem.message == (
        "`budgets.cost_per_resolution` is 1.0E+400; it must be at most 1,000,000"
    )
