"""`check --base`: real git repositories built in temporary directories.

The project: 40 `order_status` tickets (queue orders) and 5 `refund` tickets (queue
refunds, a sample under `creep.min_conversations: 30`), each one resolved generate call
with prompt `answer` v1 on m-econ: 1,000 input and 100 output tokens at 1 and 4 per 1M,
so every ticket costs 1,000 + 400 = 1,400 per 1M = 0.0014, and so does every cost per
resolution.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cprlint.compare import PairedReplay
from cprlint.pricing import builtin_catalog
from cprlint.project import load_project

from tests.conftest import REPO, git

POLICY = """\
apiVersion: cprlint/v1
kind: Policy
metadata: {name: shop, version: 1}
pricing:
  catalog: none
  models:
    m-econ: {input: 1.00, output: 4.00}
tiers:
  economy: [m-econ]
risk:
  low: [economy]
intents:
  order_status: {risk: low, tier: economy}
  refund: {risk: low, tier: economy}
  default: {risk: low, tier: economy}
creep:
  max_tokens_pct: 5
  max_cost_pct: 5
  max_cumulative_pct: 15
  min_conversations: 30
"""
PROMPT_V1 = "You answer order questions for {{ customer }}."


def conversation(index: int, intent: str, queue: str) -> dict[str, Any]:
    call = {
        "type": "llm_call",
        "stage": "generate",
        "prompt": "answer",
        "prompt_version": "v1",
        "model": "m-econ",
        "attempt": 1,
        "status": "ok",
        "usage": {"input_tokens": 1000, "output_tokens": 100},
    }
    return {
        "id": f"T-{index}",
        "intent": intent,
        "queue": queue,
        "automation": "full",
        "vars": {"customer": f"Customer {index}"},
        "outcome": {"status": "resolved"},
        "events": [call],
    }


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "policies").mkdir(parents=True)
    (root / "policies" / "shop.yaml").write_text(POLICY)
    (root / "prompts" / "answer").mkdir(parents=True)
    (root / "prompts" / "answer" / "prompt.yaml").write_text("id: answer\nreleased: v1\n")
    (root / "prompts" / "answer" / "v1.md").write_text(PROMPT_V1)
    conversations = [conversation(i, "order_status", "orders") for i in range(40)]
    conversations += [conversation(i, "refund", "refunds") for i in range(40, 45)]
    (root / "fixtures").mkdir()
    (root / "fixtures" / "recorded.jsonl").write_text(
        "".join(json.dumps(c) + "\n" for c in conversations)
    )
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    return root


def release_v2(root: Path, extra: str) -> None:
    (root / "prompts" / "answer" / "v2.md").write_text(PROMPT_V1 + extra)
    (root / "prompts" / "answer" / "prompt.yaml").write_text("id: answer\nreleased: v2\n")


def check_json(run_cli, root: Path, *args: str) -> tuple[int, dict[str, Any]]:  # type: ignore[no-untyped-def]
    result = run_cli("check", str(root), "--base", "main", "--format", "json", *args)
    assert result.stderr == ""
    return result.exit_code, json.loads(result.stdout)


def active(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    return sorted(
        (f["rule"], f["severity"], f.get("prompt") or f.get("intent") or f.get("queue") or "")
        for f in report["findings"]
        if "waived_by" not in f
    )


def test_creep_found_with_interval_and_split(run_cli, repo: Path) -> None:
    # v2 adds " world" 100 times: 100 more o200k tokens (" world" is one token), so
    # every call goes 1,000 -> 1,100 input tokens: +10% > max_tokens_pct 5.
    # Cost 1,100 + 400 = 1,500 vs 1,400: +7.142857143% > max_cost_pct 5.
    release_v2(repo, " world" * 100)
    code, report = check_json(run_cli, repo)
    assert code == 1
    prompt = report["comparison"]["prompts"]["answer"]
    assert (prompt["base_version"], prompt["head_version"]) == ("v1", "v2")
    assert (prompt["base"], prompt["head"], prompt["delta_pct"]) == (1000, 1100, 10)
    # Every conversation changes alike, so every resample gives the same change.
    assert prompt["ci95"] == [10, 10]
    summary = report["comparison"]["summary"]
    assert (summary["base"], summary["head"], summary["delta"]) == (0.0014, 0.0015, 0.0001)
    assert summary["delta_pct"] == 7.142857143
    assert summary["ci95"] == [7.142857143, 7.142857143]
    # All of it is prompt text: same routing, same prices.
    assert summary["contributions"] == {"prompt_text": 0.0001, "routing": 0, "prices": 0}
    # The refund intent and queue have 5 conversations (< 30), but every one of them
    # changed alike (a degenerate interval): certain, so errors like the rest.
    assert active(report) == [
        ("CPR701", "error", "answer"),
        ("CPR702", "error", ""),  # overall
        ("CPR702", "error", ""),  # automation full
        ("CPR702", "error", "order_status"),
        ("CPR702", "error", "orders"),
        ("CPR702", "error", "refund"),
        ("CPR702", "error", "refunds"),
    ]
    refund = next(f for f in report["findings"] if f.get("intent") == "refund")
    assert refund["message"] == (
        "intent `refund` cost per resolution rose +7.1% vs base ($0.001400 → $0.001500), "
        "over `creep.max_cost_pct` (5%): every conversation changed alike "
        "(95% CI +7.1% … +7.1%)"
    )
    # Under min_conversations, an interval is kept only when it is degenerate.
    assert report["comparison"]["intents"]["refund"]["ci95"] == [7.142857143, 7.142857143]


def test_creep_within_thresholds_passes(run_cli, repo: Path) -> None:
    # 20 more tokens: 1,020 / 1,000 = +2% tokens; cost 1,420 / 1,400 = +1.43%.
    release_v2(repo, " world" * 20)
    code, report = check_json(run_cli, repo)
    assert code == 0, active(report)
    assert report["comparison"]["prompts"]["answer"]["delta_pct"] == 2
    assert report["comparison"]["summary"]["delta_pct"] == 1.428571429


def test_price_only_change_is_reported_as_prices(run_cli, repo: Path) -> None:
    # The head prices m-econ input at 1.10: 1,100 + 400 = 1,500 per 1M, +7.14%, all of it
    # prices; token counts do not move, so no token creep.
    policy = repo / "policies" / "shop.yaml"
    policy.write_text(
        POLICY.replace("input: 1.00", "input: 1.10").replace("version: 1", "version: 2")
    )
    code, report = check_json(run_cli, repo)
    assert code == 1
    summary = report["comparison"]["summary"]
    assert summary["contributions"] == {"prompt_text": 0, "routing": 0, "prices": 0.0001}
    assert report["comparison"]["prompts"]["answer"]["delta_pct"] == 0
    assert "CPR701" not in {rule for rule, _, _ in active(report)}


def test_edited_released_prompt_is_an_error(run_cli, repo: Path) -> None:
    (repo / "prompts" / "answer" / "v1.md").write_text(PROMPT_V1 + " Be brief.")
    code, report = check_json(run_cli, repo)
    assert code == 1
    edited = [f for f in report["findings"] if f["rule"] == "CPR209"]
    assert [(f["path"], f["severity"]) for f in edited] == [("prompts/answer/v1.md", "error")]


def test_deleted_referenced_version_is_an_error(run_cli, repo: Path) -> None:
    release_v2(repo, "")
    (repo / "prompts" / "answer" / "v1.md").unlink()
    code, report = check_json(run_cli, repo)
    assert code == 1
    rules = {f["rule"] for f in report["findings"]}
    assert "CPR210" in rules  # deleted although recorded
    assert "CPR308" in rules  # and the fixtures now name a version that does not exist


def test_release_moving_backwards_is_a_warning(run_cli, repo: Path) -> None:
    release_v2(repo, "")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "release v2")
    (repo / "prompts" / "answer" / "prompt.yaml").write_text("id: answer\nreleased: v1\n")
    code, report = check_json(run_cli, repo)
    assert code == 0
    assert [(f["rule"], f["severity"], f["line"]) for f in report["findings"]] == [
        ("CPR211", "warning", 2)
    ]


def test_base_is_read_from_git_without_touching_the_work_tree(run_cli, repo: Path) -> None:
    release_v2(repo, " world" * 100)
    before = subprocess.run(
        ["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True
    ).stdout
    check_json(run_cli, repo)
    after = subprocess.run(
        ["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True
    ).stdout
    assert before == after
    assert (repo / "prompts" / "answer" / "v2.md").exists()


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        (
            "no-such-branch",
            "cprlint: error: --base `no-such-branch`: no such commit in this repository\n",
        ),
        (
            "--upload-pack=touch /tmp/x",
            "cprlint: error: --base `--upload-pack=touch /tmp/x` is not a valid git ref\n",
        ),
    ],
)
def test_bad_refs_are_exit_2(run_cli, repo: Path, ref: str, message: str) -> None:
    result = run_cli("check", str(repo), f"--base={ref}")
    assert (result.exit_code, result.stderr) == (2, message)


def test_no_repository_is_exit_2(run_cli, tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    result = run_cli("check", str(tmp_path), "--base", "main")
    assert result.exit_code == 2
    assert (
        result.stderr
        == f"cprlint: error: {tmp_path}: not inside a git repository, which --base needs\n"
    )


def test_gate_blocks_a_prompt_version_that_creeps(run_cli, repo: Path) -> None:
    # v2 is the +100-token version of test_creep_found...: +10% tokens, +7.14% cost; its
    # 7 creep findings are certain (every conversation changed alike), so all 7 block.
    (repo / "prompts" / "answer" / "v2.md").write_text(PROMPT_V1 + " world" * 100)
    result = run_cli("gate", "answer@v2", str(repo))
    assert result.exit_code == 1
    last = result.stdout.strip().splitlines()[-1]
    assert last == (
        "✗ answer@v2 must not be released: cost per resolution +7.1%, answer input tokens per "
        "call +10.0% vs v1; blocked by 7 findings (CPR701, CPR702)"
    )


def test_gate_passes_a_prompt_version_within_thresholds(run_cli, repo: Path) -> None:
    # +20 tokens: +2% tokens, +1.43% cost; nothing over a threshold or a budget.
    (repo / "prompts" / "answer" / "v2.md").write_text(PROMPT_V1 + " world" * 20)
    result = run_cli("gate", "answer@v2", str(repo), "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["verdict"] == (
        "✓ answer@v2 may be released: cost per resolution +1.4%, answer input tokens per call "
        "+2.0% vs v1; within every threshold and budget"
    )


def test_gate_of_an_unknown_version_is_exit_2(run_cli, repo: Path) -> None:
    result = run_cli("gate", "answer@v7", str(repo))
    assert (result.exit_code, result.stderr) == (
        2,
        "cprlint: error: `answer@v7`: prompt `answer` has no version `v7` (v1)\n",
    )


def test_pr_comment_has_marker_verdict_headline_and_changed_scopes(run_cli, repo: Path) -> None:
    release_v2(repo, " world" * 100)
    result = run_cli("check", str(repo), "--base", "main", "--format", "markdown")
    lines = result.stdout.splitlines()
    assert lines[0] == "<!-- cprlint:report -->"
    assert lines[1] == "### ❌ cprlint: cost per resolution +7.1% vs `main` — 7 errors, 0 warnings"
    assert lines[3].startswith(
        "**Cost per resolution** $0.001400 → **$0.001500** (+7.1%, 95% CI +7.1% to +7.1%)"
    )
    assert "| order_status | $0.001400 | $0.001500 | +7.1% |" in result.stdout
    assert "<summary>Prompts: mean input tokens per call</summary>" in result.stdout
    assert "❌ **CPR702** cost-creep (6)" in result.stdout


def test_pr_comment_stays_under_githubs_limit_on_a_huge_diff() -> None:
    from cprlint.findings import Finding, Location, Scope, Severity
    from cprlint.report import Report
    from cprlint.reporters import REPORTERS, RenderOptions
    from cprlint.reporters.comment import GITHUB_COMMENT_LIMIT, MARKER

    change = {
        "base": 0.001,
        "head": 0.002,
        "delta": 0.001,
        "delta_pct": 100,
        "ci95": [90, 110],
        "conversations": 50,
    }
    scopes = {f"intent_{i:05d}_{'x' * 40}": dict(change) for i in range(20_000)}
    comparison = {
        "base": "main",
        "summary": change,
        "intents": scopes,
        "queues": scopes,
        "automation": scopes,
        "prompts": {
            name: {**change, "base_version": "v1", "head_version": "v2"} for name in scopes
        },
    }
    findings = tuple(
        Finding(
            "CPR702",
            Severity.ERROR,
            "cost per resolution rose " + "very " * 200,
            Location("policies/p.yaml", i),
            Scope(intent=f"i{i}"),
        )
        for i in range(1, 20_000)
    ) + tuple(
        Finding(f"CPR{code}", Severity.WARNING, "x" * 5_000, Location("fixtures/a.jsonl", i))
        for code in (305, 205, 211)
        for i in range(1, 500)
    )
    report = Report(
        "check", findings, metrics={"currency": "USD", "policies": {}, "comparison": comparison}
    )
    text = REPORTERS["markdown"](report, RenderOptions())
    assert len(text) <= GITHUB_COMMENT_LIMIT
    assert text.startswith(MARKER)
    assert "…and 19989 more" in text  # 19,999 CPR702 findings, 10 shown


def test_diff_classifies_changes_and_requires_a_version_bump(run_cli, repo: Path) -> None:
    policy = repo / "policies" / "shop.yaml"
    changed = (
        POLICY.replace(
            "  refund: {risk: low, tier: economy}",
            "  refund: {risk: low, tier: economy, budget: 0.01}",
        )
        .replace("max_cost_pct: 5", "max_cost_pct: 8")
        .replace(
            "  min_conversations: 30",
            "  min_conversations: 30\nwaivers:\n  - {rule: CPR702, intent: refund, reason: r, owner: '@o', expires: 2099-01-01}",
        )
    )
    policy.write_text(changed)
    result = run_cli("diff", str(repo), "--base", "main", "--format", "json")
    assert result.exit_code == 1  # changed without a version bump, and loosened
    report = json.loads(result.stdout)
    described = sorted((c["kind"], c["path"], c["old"], c["new"]) for c in report["changes"])
    waiver = {
        "rule": "CPR702",
        "intent": "refund",
        "reason": "r",
        "owner": "@o",
        "expires": "2099-01-01",
    }
    assert described == [
        ("loosened", "creep.max_cost_pct", 5, 8),
        ("loosened", "waivers[0]", None, waiver),
        ("tightened", "intents.refund.budget", None, 0.01),
    ]
    assert report["summary"] == {"loosened": 2, "tightened": 1, "neutral": 0}
    assert [f["rule"] for f in report["findings"]] == ["CPR120", "CPR121", "CPR121"]
    # Bumped: the version is right, but the two loosenings still need approvals.
    bumped = changed.replace("version: 1", "version: 2")
    policy.write_text(bumped)
    assert run_cli("diff", str(repo), "--base", "main").exit_code == 1
    approvals = (
        "approvals:\n"
        "  - {path: creep, version: 2, owner: '@shop/finance', reason: 'FIN-7'}\n"
        "  - {path: waivers, version: 2, owner: '@shop/finance', reason: 'FIN-8'}\n"
    )
    policy.write_text(bumped + approvals)
    result = run_cli("diff", str(repo), "--base", "main", "--format", "json")
    assert result.exit_code == 0
    approved = {c["path"]: c["approved_by"] for c in json.loads(result.stdout)["changes"]}
    # POLICY is 20 lines, the waiver 2 more, then `approvals:`: its first entry is line 24.
    assert approved["creep.max_cost_pct"] == {
        "owner": "@shop/finance",
        "reason": "FIN-7",
        "file": "policies/shop.yaml",
        "line": 24,
    }
    assert approved["waivers[0]"]["reason"] == "FIN-8"
    assert approved["intents.refund.budget"] is None  # tightened: nothing to approve


def test_diff_text_shows_control_characters_escaped(run_cli, repo: Path) -> None:
    # An intent's name is the pull request's text; its ESC must not reach the terminal.
    policy = repo / "policies" / "shop.yaml"
    policy.write_text(
        POLICY.replace("version: 1", "version: 2").replace(
            "  refund: {risk: low, tier: economy}",
            '  refund: {risk: low, tier: economy}\n  "x\\e]0;pwned\\a": {risk: low, tier: economy}',
        )
    )
    result = run_cli("diff", str(repo), "--base", "main")
    assert result.exit_code == 0, result.stderr
    assert "x\\x1b]0;pwned\\x07" in result.stdout
    assert not set(result.stdout) & {"\x1b", "\x07"}


def test_diff_projects_the_cost_of_a_tier_move(run_cli, repo: Path) -> None:
    # order_status moves to a premium tier served by m-prem at 10 / 40 per 1M: the
    # recorded m-econ calls are re-routed: 1,000 x 10 + 100 x 40 = 14,000 per 1M
    # = 0.014 per resolution, against 0.0014: +900%.
    policy = repo / "policies" / "shop.yaml"
    policy.write_text(
        POLICY.replace(
            "    m-econ: {input: 1.00, output: 4.00}",
            "    m-econ: {input: 1.00, output: 4.00}\n    m-prem: {input: 10.00, output: 40.00}",
        )
        .replace("  economy: [m-econ]", "  economy: [m-econ]\n  premium: [m-prem]")
        .replace("  low: [economy]", "  low: [economy, premium]")
        .replace(
            "  order_status: {risk: low, tier: economy}",
            "  order_status: {risk: low, tier: premium}",
        )
        .replace("version: 1", "version: 2")
    )
    result = run_cli("diff", str(repo), "--base", "main", "--format", "json")
    # A pricier tier for order_status, and premium allowed at low risk: both loosen.
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert ("loosened", "intents.order_status.tier: economy → premium") in {
        (c["kind"], c["description"]) for c in report["changes"]
    }
    assert report["projected_cost_per_resolution"]["order_status"]["delta_pct"] == 900
    assert report["projected_cost_per_resolution"]["refund"]["delta_pct"] == 0


def test_baseline_catches_creep_that_adds_up(run_cli, repo: Path) -> None:
    assert run_cli("baseline", str(repo)).exit_code == 0
    baseline = json.loads((repo / ".cprlint" / "baseline.json").read_text())
    assert baseline["summary"]["cost_per_resolution"] == 0.0014
    assert baseline["prices"]["m-econ"]["input"] == 1
    # Unchanged tree: no change against the baseline.
    code, report = check_json_baseline(run_cli, repo)
    assert code == 0
    assert report["comparison"]["summary"]["delta_pct"] == 0
    # Three pull requests of +100 tokens each (+7.1% per step against its base) add up
    # to 1,300 + 400 = 1,700 per 1M: +21.43% > max_cumulative_pct 15.
    release_v2(repo, " world" * 300)
    code, report = check_json_baseline(run_cli, repo)
    assert code == 1
    assert report["comparison"]["summary"]["delta_pct"] == 21.428571429
    cumulative = sorted(
        (f["severity"], f["message"].split(" cost per resolution")[0])
        for f in report["findings"]
        if f["rule"] == "CPR703"
    )
    # The 5-ticket refund scopes are under min_conversations: warnings.
    assert cumulative == [
        ("error", "automation `full`"),
        ("error", "intent `order_status`"),
        ("error", "overall"),
        ("error", "queue `orders`"),
        ("warning", "intent `refund`"),
        ("warning", "queue `refunds`"),
    ]


def test_price_change_since_baseline_is_not_creep(run_cli, repo: Path) -> None:
    run_cli("baseline", str(repo))
    # m-econ input 1.00 -> 1.10: 1,500 per 1M, +7.14% from prices alone.
    (repo / "policies" / "shop.yaml").write_text(POLICY.replace("input: 1.00", "input: 1.10"))
    code, report = check_json_baseline(run_cli, repo)
    rules = [(f["rule"], f["severity"]) for f in report["findings"]]
    assert ("CPR704", "warning") in rules
    assert "CPR703" not in {rule for rule, _ in rules}
    assert report["comparison"]["summary"]["delta_pct"] == 0  # at the baseline's prices
    price = next(f for f in report["findings"] if f["rule"] == "CPR704")
    assert "+7.1%" in price["message"]
    assert code == 0


def test_unreadable_baseline_is_exit_2(run_cli, repo: Path) -> None:
    (repo / ".cprlint").mkdir()
    (repo / ".cprlint" / "baseline.json").write_text("{not json")
    result = run_cli("check", str(repo))
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "cprlint: error: .cprlint/baseline.json: cannot read the baseline"
    )


def check_json_baseline(run_cli, root: Path) -> tuple[int, dict[str, Any]]:  # type: ignore[no-untyped-def]
    result = run_cli("check", str(root), "--format", "json")
    assert result.stderr == ""
    return result.exit_code, json.loads(result.stdout)


def test_diff_markdown_says_a_lowered_risk_level_loosens(run_cli, repo: Path) -> None:
    # On main, refund becomes high risk (a level that allows the economy tier too).
    base = (
        POLICY.replace("  low: [economy]", "  low: [economy]\n  high: [economy]")
        .replace("  refund: {risk: low", "  refund: {risk: high")
        .replace("version: 1", "version: 2")
    )
    (repo / "policies" / "shop.yaml").write_text(base)
    git(repo, "commit", "-q", "-am", "refund is high risk")
    # The pull request lowers it back to low: loosened. The value sits on line 15
    # (apiVersion .. intents is 13 lines, order_status 14), column 18 after "  refund: {risk: ".
    head = base.replace("  refund: {risk: high", "  refund: {risk: low").replace(
        "version: 2", "version: 3"
    )
    (repo / "policies" / "shop.yaml").write_text(head)
    result = run_cli("diff", str(repo), "--base", "main", "--format", "markdown")
    assert result.exit_code == 1  # nobody approved it
    lines = result.stdout.splitlines()
    assert lines[0] == "### ❌ Policy diff against `main`: 1 loosened, 0 tightened, 0 neutral"
    assert (
        "| ▲ loosened | intents.refund.risk: high → low | `policies/shop.yaml:15` "
        "| ❌ needs an approval (CPR121) |"
    ) in lines


def test_diff_markdown_mentions_nobody(run_cli, repo: Path) -> None:
    # A pull request that adds a waiver owned by a team: its comment shows the owner but
    # must not notify the team (GitHub mentions need `@` right before the name).
    waiver = "waivers:\n  - {rule: CPR702, intent: refund, reason: r, owner: '@acme/sec', expires: 2099-01-01}"
    head = POLICY.replace("  min_conversations: 30", f"  min_conversations: 30\n{waiver}")
    (repo / "policies" / "shop.yaml").write_text(head.replace("version: 1", "version: 2"))
    result = run_cli("diff", str(repo), "--base", "main", "--format", "markdown")
    assert result.exit_code == 1  # a waiver added: a loosening nobody approved
    assert "@\u2060acme/sec" in result.stdout
    assert "@acme" not in result.stdout


def test_a_tree_read_twice_replays_nothing_in_between() -> None:
    # Trees are compared by value (documents included): the same project read twice has
    # no in-between tree to replay, and one whose prompts alone changed shares the head's
    # replay for "base policies, head prompts".
    head, base = load_project(REPO), load_project(REPO)
    same = PairedReplay(head, base, catalog=builtin_catalog())
    assert same.prompt_text is None
    assert same.routing is None
    assert not same.prompt_text_is_head
    other_prompts = dataclasses.replace(base, prompts={})
    prompts_only = PairedReplay(head, other_prompts, catalog=builtin_catalog())
    assert prompts_only.prompt_text_is_head
    assert prompts_only.prompt_text is None
