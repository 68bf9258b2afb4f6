"""Every rule, as a table of cases: files written over an empty project, findings expected.

The cases live in tests/rule_cases/*.yaml; each expects exactly the listed findings
("CODE path:line"), so a rule that fires too often fails its case as surely as one that
does not fire.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from cprlint.engine import lint_project
from cprlint.project import load_project
from cprlint.rules import RULES, Target

CASES_DIR = Path(__file__).parent / "rule_cases"

MINIMAL_POLICY = """\
apiVersion: cprlint/v1
kind: Policy
metadata: {name: t, version: 1}
tiers:
  economy: [gpt-4o-mini]
risk:
  low: [economy]
intents:
  order_status: {risk: low, tier: economy}
  default: {risk: low, tier: economy}
"""


def _cases() -> list[Any]:
    params = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text()):
            params.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return params


def write_project(root: Path, files: dict[str, str]) -> None:
    if not any(name.startswith("policies/") for name in files):
        files = {"policies/policy.yaml": MINIMAL_POLICY, **files}
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


@pytest.mark.parametrize("case", _cases())
def test_rule_case(case: dict[str, Any], tmp_path: Path) -> None:
    write_project(tmp_path, case.get("files") or {})
    today = case.get("today", dt.date(2026, 11, 23))
    report = lint_project(load_project(tmp_path), today=today)
    found = sorted(f"{f.rule} {f.path}:{f.line}" for f in report.findings)
    assert found == sorted(case["expect"]), "\n".join(
        f"{f.location} {f.rule} {f.message}" for f in report.findings
    )


def test_every_static_rule_has_a_failing_case() -> None:
    expected_codes = {
        entry.split()[0]
        for path in CASES_DIR.glob("*.yaml")
        for case in yaml.safe_load(path.read_text())
        for entry in case["expect"]
    }
    # Replay and import rules are found by `check` and `import`; their cases are elsewhere
    # (tests/test_import_cases.py for import).
    static = [
        code
        for code, rule in RULES.items()
        if rule.target is not Target.REPLAY and rule.target is not Target.IMPORT
    ]
    untested = sorted(code for code in static if code not in expected_codes)
    # CPR003 and CPR005 need files too large or undecodable for a YAML table; they are
    # covered in test_documents.py.
    assert untested == ["CPR003", "CPR005"]
