"""Every import finding, as a table of cases (tests/import_cases.yaml).

Each case writes its files, imports them with the labels mapped (or with its own map),
and expects exactly the listed findings and number of conversations, so a finding that
fires too often fails its case as surely as one that does not fire.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from cprlint.rules import RULES, Target

from tests.import_helpers import LABELLED

CASES = yaml.safe_load((Path(__file__).parent / "import_cases.yaml").read_text())


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_import_case(case: dict[str, Any], tmp_path: Path, run_cli: Any) -> None:
    sources = []
    for name, text in case["files"].items():
        (tmp_path / name).write_text(text)
        sources.append(str(tmp_path / name))
    (tmp_path / "map.yaml").write_text(case.get("map", LABELLED))
    output = tmp_path / "out.jsonl"
    result = run_cli(
        "import", case["format"], *sources, "-o", str(output), "--format", "json",
        "--map", str(tmp_path / "map.yaml"),
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.stderr
    report = json.loads(result.stdout)
    found = sorted(
        f"{finding['rule']} {Path(finding['path']).name}:{finding['line']}"
        for finding in report["findings"]
    )
    assert found == sorted(case["expect"]), "\n".join(
        f"{f['rule']} {f['line']} {f['message']}" for f in report["findings"]
    )
    assert len(output.read_text().splitlines()) == case["conversations"]


def test_every_import_rule_has_a_failing_case() -> None:
    expected = {entry.split()[0] for case in CASES for entry in case["expect"]}
    import_rules = sorted(code for code, rule in RULES.items() if rule.target is Target.IMPORT)
    assert import_rules == [
        "CPR801", "CPR802", "CPR803", "CPR804", "CPR805", "CPR806", "CPR807"
    ]  # fmt: skip
    assert [code for code in import_rules if code not in expected] == []
