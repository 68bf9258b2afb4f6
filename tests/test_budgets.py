"""The run's budgets (cprlint.budgets): a hostile pull request's templates and YAML
aliases cannot keep a check running, and a run over its budget reports the same bytes
however its work was shared among worker processes.

Budgets are made small here (monkeypatched) so that every test spends them in
milliseconds; what is asserted is counted work (steps, values), never time.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cprlint.check
import pytest
from cprlint import budgets
from cprlint.documents import MAX_ALIAS_VALUES_PER_FILE, load_yaml_documents

from tests.conftest import REPO

# A loop of 1,000 x 9 items: 9,000 items, 1,000 inner loop starts and 1,000 `range(9)`
# calls, the outer loop's start and `range(1000)`: 11,002 steps a rendering, under the
# 100,000 of one rendering, so only the run's budget can stop it.
HEAVY = "{% for i in range(1000) %}{% for j in range(9) %}{{ j }}{% endfor %}{% endfor %}\n"


@pytest.fixture
def example(tmp_path: Path) -> Path:
    root = tmp_path / "example"
    for name in ("policies", "prompts", "fixtures"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("*.py"))
    billing = root / "prompts" / "billing_answer"
    (billing / "v9.md").write_text((billing / "v3.md").read_text() + HEAVY)
    return root


def check_json(run_cli, root: Path, *args: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    result = run_cli(
        "check", str(root), "--no-cache", "--today", "2026-11-23", "--format", "json", *args
    )
    assert result.stderr == ""
    return result.exit_code, result.stdout


def test_a_run_over_its_rendering_budget_reports_no_figures(
    run_cli, example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 49 billing_dispute tickets replay v9 in place of v3, each rendering 11,002 steps:
    # 539,098 in all, over a budget of 200,000 (plus a unit per 4 fixture bytes).
    monkeypatch.setattr(budgets, "RUN_RENDER_UNITS", 200_000)
    monkeypatch.setattr(budgets, "FIXTURE_BYTES_PER_UNIT", 10**9)  # (no allowance)
    code, text = check_json(run_cli, example, "--prompt", "billing_answer@v9")
    assert code == 1
    report = json.loads(text)
    assert "summary" not in report  # no figures
    active = [f for f in report["findings"] if "waived_by" not in f]
    [finding] = active
    assert (finding["rule"], finding["path"], finding["line"]) == (
        "CPR207",
        "prompts/billing_answer/v9.md",  # the version replayed first: the likelier culprit
        1,
    )
    assert finding["message"].startswith(
        "the run's budget for template rendering is spent (200,000 units"
    )
    assert report["counts"]["conversations"] == 351  # every conversation was still read


def test_the_same_run_over_budget_is_the_same_bytes_with_worker_processes(
    run_cli, example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(budgets, "RUN_RENDER_UNITS", 200_000)
    monkeypatch.setattr(budgets, "FIXTURE_BYTES_PER_UNIT", 10**9)
    _, one_process = check_json(run_cli, example, "--prompt", "billing_answer@v9", "--jobs", "1")
    # Cut the fixtures into stretches of 64 KB, shared among two forked workers.
    monkeypatch.setattr(cprlint.check, "STRETCH_BYTES", 64 << 10)
    monkeypatch.setattr(cprlint.check, "PARALLEL_MIN_BYTES", 0)
    _, two_processes = check_json(run_cli, example, "--prompt", "billing_answer@v9", "--jobs", "2")
    assert two_processes == one_process
    # Within the budget, the same is true of the full report, figures and all.
    monkeypatch.setattr(budgets, "RUN_RENDER_UNITS", 10_000_000)
    _, within = check_json(run_cli, example, "--prompt", "billing_answer@v9", "--jobs", "2")
    monkeypatch.setattr(cprlint.check, "PARALLEL_MIN_BYTES", 8 << 20)
    _, within_alone = check_json(run_cli, example, "--prompt", "billing_answer@v9", "--jobs", "1")
    assert within == within_alone
    assert "CPR207" not in within
    assert json.loads(within)["summary"]["conversations"] == 351


# A document of 5 levels of 10 aliases; `e` alone builds 10 copies of d, each 11,111
# values: 111,110 through aliases, more than a file's budget of 100,000.
LAUGHS = (
    "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
)


def test_two_hundred_small_documents_share_one_budget_per_file() -> None:
    # 200 documents of 111,110 values: 22 million values, 38 s and MemoryError when each
    # document had a budget of its own. The file's budget stops the first, and the file.
    budgets.start_run()
    documents, problems = load_yaml_documents("p.yaml", "---\n".join([LAUGHS] * 200))
    assert documents == []
    assert [(p.code, p.location.line) for p in problems] == [("CPR004", 5)]
    assert problems[0].message == (
        f"the file builds more than {MAX_ALIAS_VALUES_PER_FILE:,} values through aliases; "
        "refusing to read the rest of it"
    )
    # What was built through aliases: the budget and the one value past it.
    assert budgets.current().alias_values_used == MAX_ALIAS_VALUES_PER_FILE + 1


def test_files_under_their_own_budget_share_the_run_s(
    run_cli, example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ten YAML fixture files of LAUGHS without `e`. Built through aliases: b's 10 copies
    # of a (a list and its 10 items: 11 values each) = 110; c's 10 copies of b (1 + 110)
    # = 1,110; d's 10 copies of c (1 + 1,110) = 11,110: 12,330 a file, under the file's
    # budget, but 123,300 in all, over a run's of 50,000: the run is over budget.
    monkeypatch.setattr(budgets, "RUN_ALIAS_VALUES", 50_000)
    document = LAUGHS.rsplit("e:", 1)[0] + "id: x\n"
    for number in range(10):
        (example / "fixtures" / f"laughs-{number}.yaml").write_text(document)
    code, text = check_json(run_cli, example)
    report = json.loads(text)
    assert code == 1
    assert "summary" not in report
    over = [f for f in report["findings"] if f["rule"] == "CPR207"]
    assert len(over) == 1
    assert over[0]["message"].startswith(
        "the run's budget for YAML alias expansion is spent (50,000 values built through aliases)"
    )
