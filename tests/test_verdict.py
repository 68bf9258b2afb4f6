"""The verdict a reviewer reads: tried as a team adopting cprlint would, on real git
repositories in temporary folders (`cprlint init`, a branch, the command).

The starter project (`cprlint init`) has 12 conversations: 7 `order_status` (queue
orders, economy model) and 5 `refund_request` (queue refunds, premium model); the
arithmetic of each expected number is in the test's comments.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import git


def commit_all(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


@pytest.fixture
def adopted(run_cli, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    """The starter project committed on `main`, and a branch `pr` checked out."""
    root = tmp_path / "shop"
    assert run_cli("init", str(root)).exit_code == 0
    git(root, "init", "-q", "-b", "main")
    commit_all(root, "adopt cprlint")
    git(root, "checkout", "-q", "-b", "pr")
    return root


# --- 1. no silent pass ------------------------------------------------------------------


@pytest.mark.parametrize("command", ["check", "lint", "baseline"])
def test_a_folder_without_a_policy_is_exit_2_saying_where_it_looked(
    run_cli, tmp_path: Path, command: str
) -> None:
    result = run_cli(command, str(tmp_path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert f"no policy in {tmp_path.resolve()}" in result.stderr
    assert "`policies/`" in result.stderr


def test_gate_without_a_policy_is_exit_2(run_cli, tmp_path: Path) -> None:
    (tmp_path / "prompts" / "answer").mkdir(parents=True)
    (tmp_path / "prompts" / "answer" / "prompt.yaml").write_text("id: answer\nreleased: v1\n")
    (tmp_path / "prompts" / "answer" / "v1.md").write_text("Hello\n")
    (tmp_path / "prompts" / "answer" / "v2.md").write_text("Hello there\n")
    result = run_cli("gate", "answer@v2", str(tmp_path))
    assert result.exit_code == 2
    assert "no policy in" in result.stderr


@pytest.mark.parametrize("command", ["check", "lint", "baseline"])
def test_a_policy_without_fixtures_is_exit_2(run_cli, starter_project: Path, command: str) -> None:
    for fixture in (starter_project / "fixtures").iterdir():
        fixture.unlink()
    result = run_cli(command, str(starter_project))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "no fixture conversation in" in result.stderr
    assert "`fixtures/`" in result.stderr


def test_fixture_files_that_are_all_empty_are_exit_2(run_cli, starter_project: Path) -> None:
    (starter_project / "fixtures" / "conversations.jsonl").write_text("\n\n")
    result = run_cli("check", str(starter_project))
    assert result.exit_code == 2
    assert "1 fixture file under `fixtures`, all empty" in result.stderr


def test_broken_fixtures_are_findings_not_a_missing_project(run_cli, starter_project: Path) -> None:
    (starter_project / "fixtures" / "conversations.jsonl").write_text('{"id": \n')
    result = run_cli("check", str(starter_project), "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    # The broken line; and the two intents of the traffic mix, with nothing to project.
    assert [f["rule"] for f in report["findings"]] == ["CPR001", "CPR408", "CPR408"]
    assert report["summary"]["conversations"] == 0


def test_a_broken_policy_file_is_a_finding_not_a_missing_policy(
    run_cli, starter_project: Path
) -> None:
    (starter_project / "policies" / "policy.yaml").write_text("apiVersion: [\n")
    result = run_cli("lint", str(starter_project), "--format", "json")
    assert result.exit_code == 1
    assert "CPR001" in {f["rule"] for f in json.loads(result.stdout)["findings"]}


def test_markdown_against_a_baseline_renders(run_cli, starter_project: Path) -> None:
    # `init`, `baseline`, `check --format markdown` crashed (KeyError) before.
    assert run_cli("baseline", str(starter_project)).exit_code == 0
    result = run_cli("check", str(starter_project), "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    # Nothing changed since the baseline: the same cost per resolution, +0.0%.
    assert "+0.0% vs `baseline .cprlint/baseline.json`" in result.stdout
    assert "over 12 conversations" in result.stdout


def test_the_job_summary_is_written_once_a_baseline_exists(
    run_cli, starter_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the shipped Action does on every push to main after `cprlint baseline`.
    assert run_cli("baseline", str(starter_project)).exit_code == 0
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = run_cli("check", str(starter_project), "--no-cache")
    assert result.exit_code == 0, result.stderr
    assert summary.read_text().startswith("<!-- cprlint:report -->")


# --- 5. honest comparisons: gate once the candidate is released --------------------------


def release_answer_v2(root: Path) -> None:
    """`answer` v2: v1 with one more sentence, released."""
    folder = root / "prompts" / "answer"
    v1 = (folder / "v1.md").read_text()
    (folder / "v2.md").write_text(v1 + "Always thank the customer for their patience.\n")
    (folder / "prompt.yaml").write_text(
        (folder / "prompt.yaml").read_text().replace("released: v1", "released: v2")
    )


def test_gate_of_the_released_version_needs_a_base(run_cli, adopted: Path) -> None:
    release_answer_v2(adopted)
    commit_all(adopted, "release answer v2")
    result = run_cli("gate", "answer@v2", str(adopted))
    assert result.exit_code == 2
    assert result.stderr == (
        "cprlint: error: answer@v2 is already the released version in this tree; "
        "give --base REF to compare it with the version released there\n"
    )


def test_gate_with_a_base_compares_with_the_version_released_there(run_cli, adopted: Path) -> None:
    release_answer_v2(adopted)
    commit_all(adopted, "release answer v2")
    result = run_cli("gate", "answer@v2", str(adopted), "--base", "main", "--format", "json")
    report = json.loads(result.stdout)
    prompt = report["comparison"]["prompts"]["answer"]
    # v1 against v2, not v2 against itself: the added sentence adds tokens to every call.
    assert (prompt["base_version"], prompt["head_version"]) == ("v1", "v2")
    assert prompt["delta_pct"] > 0
    assert report["comparison"]["base"] == "answer@v1 at main"


def test_gate_of_a_version_released_at_the_base_is_exit_2(run_cli, adopted: Path) -> None:
    result = run_cli("gate", "answer@v1", str(adopted), "--base", "main")
    assert result.exit_code == 2
    assert "answer@v1 is already released at main: nothing to gate" in result.stderr


def test_gate_names_the_warnings_it_lets_through(run_cli, adopted: Path) -> None:
    # v2 prints a variable no fixture provides: CPR205, a warning, is let through.
    folder = adopted / "prompts" / "answer"
    (folder / "v2.md").write_text((folder / "v1.md").read_text() + "Plan: {{ plan_name }}\n")
    result = run_cli("gate", "answer@v2", str(adopted))
    first_line = result.stdout.splitlines()[0]
    assert first_line.startswith("✓ answer@v2 may be released: ")
    assert first_line.endswith("letting through 1 warning (CPR205)")
    assert result.exit_code == 0


# --- a project whose every number is worked out by hand ---------------------------------
#
# Prices per 1M tokens: m-econ 1 in / 4 out, m-prem 10 in / 40 out; the catalog is off.
# 10 `order_status` tickets (queue orders): one m-econ call of 1,000 in / 100 out each,
#   1,000 x 1 + 100 x 4 = 1,400 per 1M = $0.0014; 8 resolved, 2 escalated.
# 10 `refund` tickets (queue refunds): one m-econ call of 2,000 in / 200 out each,
#   2,000 x 1 + 200 x 4 = 2,800 per 1M = $0.0028; 5 resolved, 5 escalated.
# Traffic: 10,000 tickets a month, 60% order_status, 40% refund.

SHOP_POLICY = """\
apiVersion: cprlint/v1
kind: Policy
metadata: {name: shop, version: 1}
pricing:
  catalog: none
  models:
    m-econ: {input: 1, output: 4}
    m-prem: {input: 10, output: 40}
tiers:
  economy: [m-econ]
  premium: [m-prem]
risk:
  low: [economy]
  high: [economy, premium]
intents:
  order_status: {risk: low, tier: economy, budget: 0.01}
  refund: {risk: high, tier: economy}
  default: {risk: low, tier: economy}
budgets:
  cost_per_resolution: 0.05
creep:
  max_tokens_pct: 5
  max_cost_pct: 5
  min_conversations: 10
traffic:
  monthly_tickets: 10000
  mix: {order_status: 0.6, refund: 0.4}
"""


def shop_ticket(
    number: int, intent: str, tokens: tuple[int, int], resolved: bool
) -> dict[str, Any]:
    return {
        "id": f"T-{number}",
        "intent": intent,
        "queue": "orders" if intent == "order_status" else "refunds",
        "automation": "full",
        "outcome": {"status": "resolved", "resolved_by": "ai"}
        if resolved
        else {"status": "escalated"},
        "events": [
            {
                "type": "llm_call",
                "stage": "generate",
                "model": "m-econ",
                "usage": {"input_tokens": tokens[0], "output_tokens": tokens[1]},
            }
        ],
    }


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    (root / "policies").mkdir(parents=True)
    (root / "policies" / "shop.yaml").write_text(SHOP_POLICY)
    tickets = [shop_ticket(n, "order_status", (1000, 100), n < 8) for n in range(10)]
    tickets += [shop_ticket(n, "refund", (2000, 200), n < 15) for n in range(10, 20)]
    (root / "fixtures").mkdir()
    (root / "fixtures" / "tickets.jsonl").write_text(
        "".join(json.dumps(ticket) + "\n" for ticket in tickets)
    )
    git(root, "init", "-q", "-b", "main")
    commit_all(root, "shop")
    git(root, "checkout", "-q", "-b", "pr")
    return root


def edit_policy(root: Path, *replacements: tuple[str, str]) -> None:
    path = root / "policies" / "shop.yaml"
    text = path.read_text()
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text)


def check_report(run_cli, root: Path, *args: str) -> tuple[int, dict[str, Any]]:  # type: ignore[no-untyped-def]
    result = run_cli("check", str(root), "--format", "json", "--no-cache", *args)
    assert result.stderr == ""
    return result.exit_code, json.loads(result.stdout)


# --- 3. the monthly projection ----------------------------------------------------------


def test_the_projection_is_spend_over_resolutions(run_cli, shop: Path) -> None:
    code, report = check_report(run_cli, shop)
    assert code == 0
    traffic = report["policies"]["shop"]["traffic"]
    # Spend per ticket: 0.6 x 0.0014 + 0.4 x 0.0028 = 0.00084 + 0.00112 = 0.00196;
    # a month: 10,000 x 0.00196 = $19.60.
    assert traffic["cost_per_ticket"] == 0.00196
    assert traffic["projected_monthly_ai_cost"] == 19.6
    # Resolutions per ticket: 0.6 x 8/10 + 0.4 x 5/10 = 0.48 + 0.20 = 0.68: 6,800 a month.
    assert traffic["projected_monthly_resolutions"] == 6800
    # Weighted CPR = 19.60 / 6,800 = 0.002882352941... (not 0.6 x 0.00175 + 0.4 x 0.0056
    # = 0.00329, the mix-weighted CPRs, 14% high).
    assert traffic["weighted_cost_per_resolution"] == 0.002882353
    assert (traffic["mix_covered"], traffic["intents_without_data"]) == (1, [])


def test_a_mix_intent_without_fixtures_is_a_finding_and_default_covers_the_rest(
    run_cli, shop: Path
) -> None:
    # `returns` has no conversation: a warning, and the projection covers 90% of the mix.
    # `default` stands for the intents the policy does not list: none here.
    edit_policy(
        shop,
        (
            "mix: {order_status: 0.6, refund: 0.4}",
            "mix: {order_status: 0.5, refund: 0.4, returns: 0.1}",
        ),
    )
    code, report = check_report(run_cli, shop)
    assert code == 0
    [finding] = [f for f in report["findings"] if f["rule"] == "CPR408"]
    # (The mix is the policy's line 27.)
    assert (finding["severity"], finding["intent"], finding["line"]) == ("warning", "returns", 27)
    traffic = report["policies"]["shop"]["traffic"]
    # 0.5 x 0.0014 + 0.4 x 0.0028 = 0.0007 + 0.00112 = 0.00182 a ticket, over 90% of them.
    assert (traffic["mix_covered"], traffic["cost_per_ticket"]) == (0.9, 0.00182)
    assert traffic["intents_without_data"] == ["returns"]


def test_the_comment_gives_the_monthly_spend_base_to_head(run_cli, shop: Path) -> None:
    # refund moves to the premium tier: its calls are re-routed to m-prem, 2,000 x 10 +
    # 200 x 40 = 28,000 per 1M = $0.028 a ticket. Spend per ticket: 0.00084 + 0.4 x 0.028
    # = 0.01204; a month $120.40 against $19.60: +$100.80, +514.3% (120.40 / 19.60 =
    # 6.142857...).
    edit_policy(
        shop,
        ("refund: {risk: high, tier: economy}", "refund: {risk: high, tier: premium}"),
        ("version: 1", "version: 2"),
    )
    _, report = check_report(run_cli, shop, "--base", "main")
    monthly = report["comparison"]["monthly"]
    assert (monthly["base"], monthly["head"], monthly["delta"]) == (19.6, 120.4, 100.8)
    assert monthly["delta_pct"] == 514.285714286
    result = run_cli("check", str(shop), "--base", "main", "--format", "markdown", "--no-cache")
    assert (
        "**Projected monthly AI spend** +$100.80/month ($19.60 → $120.40, +514.3%) "
        "at 10,000 tickets a month."
    ) in result.stdout


# --- 2. policy changes in the verdict ---------------------------------------------------


def test_a_pull_request_that_only_raises_budgets_fails(run_cli, shop: Path) -> None:
    # The case that passed with "all checks pass, +0.0%": budgets raised 50x and 20x.
    edit_policy(
        shop,
        ("budget: 0.01}", "budget: 0.5}"),
        ("cost_per_resolution: 0.05", "cost_per_resolution: 1.0"),
        ("version: 1", "version: 2"),
    )
    code, report = check_report(run_cli, shop, "--base", "main")
    assert code == 1
    changes = [
        (c["path"], c["old"], c["new"], c["kind"], c["file"], c["line"])
        for c in report["comparison"]["policy_changes"]
    ]
    # order_status is the policy's line 16 (intents: 15), cost_per_resolution 20.
    assert changes == [
        ("intents.order_status.budget", 0.01, 0.5, "loosened", "policies/shop.yaml", 16),
        ("budgets.cost_per_resolution", 0.05, 1, "loosened", "policies/shop.yaml", 20),
    ]
    assert sorted((f["rule"], f["line"]) for f in report["findings"]) == [
        ("CPR121", 16),
        ("CPR121", 20),
    ]
    comment = run_cli("check", str(shop), "--base", "main", "--format", "markdown").stdout
    lines = comment.splitlines()
    assert lines[1] == (
        "### ❌ cprlint: cost per resolution +0.0% vs `main`, 2 guardrails loosened — "
        "2 errors, 0 warnings"
    )
    assert "#### Policy changes: 2 loosened, 0 tightened, 0 neutral" in lines
    assert (
        "| ▲ loosened | budgets.cost_per_resolution: 0.05 → 1.0 | `policies/shop.yaml:20` "
        "| ❌ needs an approval (CPR121) |"
    ) in lines
    text = run_cli("check", str(shop), "--base", "main").stdout
    assert "Policy changes: 2 changes, 2 loosened, 0 tightened, 0 neutral" in text


def test_an_approved_loosening_passes_and_shows_who_approved_it(run_cli, shop: Path) -> None:
    approvals = (
        "approvals:\n"
        "  - {path: budgets.cost_per_resolution, version: 2, owner: '@shop/finance',"
        " reason: 'refund flow review, FIN-112'}\n"
    )
    edit_policy(
        shop,
        ("cost_per_resolution: 0.05", "cost_per_resolution: 1.0"),
        ("version: 1", "version: 2"),
    )
    (shop / "policies" / "shop.yaml").write_text(
        (shop / "policies" / "shop.yaml").read_text() + approvals
    )
    code, report = check_report(run_cli, shop, "--base", "main")
    assert code == 0
    [change] = report["comparison"]["policy_changes"]
    assert change["approved_by"] == {
        "owner": "@shop/finance",
        "reason": "refund flow review, FIN-112",
        "file": "policies/shop.yaml",
        "line": 29,  # the policy's 27 lines, `approvals:`, then the entry
    }
    comment = run_cli("check", str(shop), "--base", "main", "--format", "markdown").stdout
    assert comment.splitlines()[1] == (
        "### ✅ cprlint: cost per resolution +0.0% vs `main`, 1 guardrail loosened and "
        "approved — all checks pass"
    )
    assert "#### Policy changes: 1 loosened (1 approved), 0 tightened, 0 neutral" in comment
    assert "✅ approval names @\u2060shop/finance: refund flow review, FIN-112" in comment
    # The approval is for version 2 only: a later pull request that raises the same
    # budget again (version 3) needs one of its own.
    commit_all(shop, "approved")
    edit_policy(
        shop,
        ("cost_per_resolution: 1.0", "cost_per_resolution: 2.0"),
        ("{name: shop, version: 2}", "{name: shop, version: 3}"),
    )
    code, report = check_report(run_cli, shop, "--base", "pr~0")
    assert code == 1
    assert [f["rule"] for f in report["findings"]] == ["CPR121"]


@pytest.mark.parametrize(
    ("edits", "path", "kind"),
    [
        ((("max_cost_pct: 5", "max_cost_pct: 9"),), "creep.max_cost_pct", "loosened"),
        (
            (("min_conversations: 10", "min_conversations: 40"),),
            "creep.min_conversations",
            "loosened",
        ),
        ((("  low: [economy]", "  low: [economy, premium]"),), "risk.low", "loosened"),
        ((("  economy: [m-econ]", "  economy: [m-econ, m-prem]"),), "tiers.economy", "loosened"),
        (
            (("  premium: [m-prem]", "  premium: [m-prem]\n  ultra: [m-prem-2]"),),
            "tiers.ultra",
            "neutral",
        ),
        ((("  high: [economy, premium]", "  high: [premium]"),), "risk.high", "tightened"),
        (
            (("order_status: {risk: low", "order_status: {risk: high"),),
            "intents.order_status.risk",
            "tightened",
        ),
        (
            (("m-econ: {input: 1,", "m-econ: {input: 0.5,"),),
            "pricing.models.m-econ.input",
            "loosened",
        ),
        (
            (("budget: 0.01}", "budget: {cost_per_resolution: 0.01, fully_loaded: true}}"),),
            "intents.order_status.budget",
            "tightened",
        ),
        ((("  cost_per_resolution: 0.05\n", ""),), "budgets", "loosened"),
        (
            (("monthly_tickets: 10000", "monthly_tickets: 20000"),),
            "traffic.monthly_tickets",
            "neutral",
        ),
    ],
)
def test_each_change_is_loosened_tightened_or_neutral(
    run_cli, shop: Path, edits: tuple[tuple[str, str], ...], path: str, kind: str
) -> None:
    edit_policy(shop, *edits, ("version: 1", "version: 2"))
    result = run_cli("diff", str(shop), "--base", "main", "--format", "json")
    report = json.loads(result.stdout)
    assert [(c["path"], c["kind"]) for c in report["changes"]] == [(path, kind)]
    assert result.exit_code == (1 if kind == "loosened" else 0)


def test_resolution_and_waiver_changes_are_judged_by_meaning(run_cli, shop: Path) -> None:
    waiver = "  - {rule: CPR402, intent: refund, reason: r, owner: '@o', expires: 2099-01-01}\n"
    (shop / "policies" / "shop.yaml").write_text(SHOP_POLICY + f"waivers:\n{waiver}")
    commit_all(shop, "a waiver")
    base = git(shop, "rev-parse", "HEAD")
    # The waiver extended, and `escalated` counted as resolved: both let more through.
    edit_policy(shop, ("2099-01-01", "2100-01-01"), ("version: 1", "version: 2"))
    (shop / "policies" / "shop.yaml").write_text(
        (shop / "policies" / "shop.yaml").read_text()
        + "resolution:\n  statuses: [resolved, escalated]\n"
    )
    report = json.loads(run_cli("diff", str(shop), "--base", base, "--format", "json").stdout)
    assert [(c["path"], c["kind"], c["description"]) for c in report["changes"]] == [
        (
            "waivers[0]",
            "loosened",
            "waivers[0]: extended: CPR402 for intent `refund` until 2100-01-01, owner @o "
            "(was 2099-01-01)",
        ),
        (
            "resolution.statuses",
            "loosened",
            'resolution.statuses: ["resolved"] → ["resolved", "escalated"]',
        ),
    ]


def test_creep_from_a_stricter_resolution_rule_says_so(run_cli, shop: Path) -> None:
    # The pull request counts only confirmed resolutions; 4 of the 8 resolved order_status
    # tickets were confirmed, no refund ticket was. Spend is unchanged: each order_status
    # ticket costs 1,000 x $1 + 100 x $4 per 1M = $0.0014, so its cost per resolution goes
    # from 10 x 0.0014 / 8 = $0.00175 to / 4 = $0.0035 (+100%), all of it fewer
    # resolutions. Overall: 8 + 5 = 13 resolved before, 4 after.
    fixtures = shop / "fixtures" / "tickets.jsonl"
    tickets = [json.loads(line) for line in fixtures.read_text().splitlines()]
    for ticket in tickets[:4]:
        ticket["outcome"]["confirmed"] = True
    fixtures.write_text("".join(json.dumps(ticket) + "\n" for ticket in tickets))
    edit_policy(shop, ("version: 1", "version: 2"))
    with (shop / "policies" / "shop.yaml").open("a") as policy:
        policy.write("resolution:\n  confirmed_only: true\n")
    _, report = check_report(run_cli, shop, "--base", "main")
    creep = {
        finding["message"].split(" cost per resolution")[0]: finding["message"]
        for finding in report["findings"]
        if finding["rule"] == "CPR702"
    }
    assert "$0.001750 → $0.003500" in creep["intent `order_status`"]
    assert creep["intent `order_status`"].endswith(
        ". 8 → 4 of its conversations count as resolved under the changed `resolution` "
        "rule: part of the rise is fewer resolutions, not more spend"
    )
    assert ". 13 → 4 of its conversations count as resolved" in creep["overall"]


# --- 5. the pull request that adopts cprlint --------------------------------------------


def test_the_pull_request_that_adopts_cprlint_compares_nothing(run_cli, shop: Path) -> None:
    # Rebuild history: main has the fixtures only; the pull request adds the policy.
    git(shop, "checkout", "-q", "--orphan", "bare")
    git(shop, "rm", "-q", "--cached", "policies/shop.yaml")
    git(shop, "commit", "-q", "-m", "fixtures only")
    code, report = check_report(run_cli, shop, "--base", "bare")
    assert code == 0
    comparison = report["comparison"]
    assert comparison["status"] == "new"
    assert (comparison["summary"], comparison["intents"], comparison["policy_changes"]) == (
        None,
        {},
        [],
    )
    assert not [f for f in report["findings"] if f["rule"] in ("CPR701", "CPR702", "CPR121")]
    comment = run_cli("check", str(shop), "--base", "bare", "--format", "markdown").stdout
    lines = comment.splitlines()
    assert lines[:2] == [
        "<!-- cprlint:report -->",
        "### ✅ cprlint is new in this pull request — all checks pass",
    ]
    assert lines[3].startswith("cprlint is new in this pull request: `bare` has no policy")
    text = run_cli("check", str(shop), "--base", "bare").stdout
    assert "cprlint is new in this pull request: bare has no policy" in text
    diff = run_cli("diff", str(shop), "--base", "bare")
    assert diff.exit_code == 0
    assert diff.stdout.startswith("cprlint is new in this pull request")


# --- 4. creep judged by evidence ---------------------------------------------------------


@pytest.mark.parametrize(
    ("ci95", "conversations", "certain", "words"),
    [
        # The whole interval over the 5% threshold: certain.
        ([40.2, 66.6], 40, True, "95% CI +40.2% … +66.6%, entirely over 5%"),
        # Only the point estimate over it: a warning.
        ([2.1, 9.3], 40, False, "95% CI +2.1% … +9.3%, not entirely over 5%, so a warning"),
        # A degenerate interval: every conversation changed alike, certain even for 3.
        ([7.1, 7.1], 3, True, "every conversation changed alike (95% CI +7.1% … +7.1%)"),
        # Under min_conversations (30), no interval: a warning that says why.
        (
            [40.2, 66.6],
            12,
            False,
            "12 conversations, under `creep.min_conversations` (30): no interval, so a warning",
        ),
    ],
)
def test_creep_evidence(ci95: list[float], conversations: int, certain: bool, words: str) -> None:
    from decimal import Decimal

    from cprlint.compare import Change, creep_evidence

    change = Change(Decimal(100), Decimal(150), ci95, conversations)
    evidence = creep_evidence(change, Decimal(5), 30)
    assert (evidence.certain, evidence.words) == (certain, words)


def test_a_project_policy_judges_its_own_conversations(run_cli, shop: Path) -> None:
    # A second policy governs project `eu`, with creep limits of 50%. The eu tickets grow
    # +20% (1,200 in / 120 out: 1,680 per 1M against 1,400), the others not at all: the
    # eu policy's 50% lets it through, where the default policy's 5% would not have.
    eu_policy = (
        SHOP_POLICY.replace("name: shop", "name: shop-eu, project: eu")
        .replace("max_cost_pct: 5", "max_cost_pct: 50")
        .replace("max_tokens_pct: 5", "max_tokens_pct: 50")
    )
    (shop / "policies" / "eu.yaml").write_text(eu_policy)
    tickets = [shop_ticket(n, "order_status", (1000, 100), True) for n in range(100, 120)]
    for ticket in tickets:
        ticket["project"] = "eu"
    with (shop / "fixtures" / "tickets.jsonl").open("a") as handle:
        handle.writelines(json.dumps(ticket) + "\n" for ticket in tickets)
    commit_all(shop, "eu")
    base = git(shop, "rev-parse", "HEAD")
    # m-econ's price up 20% in the eu policy only (a price raised tightens: no approval).
    (shop / "policies" / "eu.yaml").write_text(
        eu_policy.replace(
            "m-econ: {input: 1, output: 4}", "m-econ: {input: 1.2, output: 4.8}"
        ).replace("version: 1", "version: 2")
    )
    code, report = check_report(run_cli, shop, "--base", base)
    eu = report["comparison"]["policies"]["shop-eu"]["summary"]
    # 20 eu tickets, each 1,000 x 1.2 + 100 x 4.8 = 1,680 per 1M: +20%, every one alike.
    assert (eu["base"], eu["head"], eu["delta_pct"], eu["conversations"]) == (
        0.0014,
        0.00168,
        20,
        20,
    )
    shop_summary = report["comparison"]["policies"]["shop"]["summary"]
    assert shop_summary["delta_pct"] == 0
    # Overall, base: 10 x 0.0014 + 10 x 0.0028 + 20 x 0.0014 = $0.07 over 8 + 5 + 20 = 33
    # resolutions; head: the eu part 20 x 0.00168 = 0.0336, $0.0756 in all: +8.0%, over
    # the default policy's 5%. Before, that policy judged everyone and failed the run; now
    # each policy judges its own conversations: no creep.
    assert report["comparison"]["summary"]["delta_pct"] == 8
    assert [f["rule"] for f in report["findings"] if f["rule"] in ("CPR701", "CPR702")] == []
    assert code == 0


# --- 6. readable numbers -----------------------------------------------------------------


def test_a_cost_and_its_budget_never_print_alike(run_cli, shop: Path) -> None:
    # At 10 / 40 per 1M, an order_status ticket costs 1,000 x 10 + 100 x 40 = 14,000 per
    # 1M = $0.014; 10 of them over 8 resolutions: $0.0175, against a budget of $0.017
    # (+2.94%). In cents both were "$0.02"; with 4 significant digits of the smaller, both
    # get 5 decimals.
    edit_policy(
        shop,
        ("m-econ: {input: 1, output: 4}", "m-econ: {input: 10, output: 40}"),
        ("budget: 0.01}", "budget: 0.017}"),
        ("cost_per_resolution: 0.05", "cost_per_resolution: 0.5"),
    )
    code, report = check_report(run_cli, shop)
    assert code == 1
    [finding] = [f for f in report["findings"] if f["rule"] == "CPR402"]
    assert finding["message"] == (
        "intent `order_status`: cost per resolution $0.01750 is over the budget of $0.01700 "
        "(+2.9%; 8 of 10 conversations resolved)"
    )


def test_a_column_has_one_format(run_cli, shop: Path) -> None:
    # AI CPR and its budget share a column format: order_status 0.014 / 8 = 0.00175,
    # refund 0.028 / 5 = 0.0056, the budget 0.01; 3 significant digits of the smallest
    # (0.00175) need 5 decimals, for all three. AI cost: $0.014 and $0.028; 3 digits of
    # the smaller need 4 decimals: "$0.0140" and "$0.0280".
    text = run_cli("check", str(shop), "--no-cache").stdout
    rows = {cells[0]: cells for cells in map(str.split, text.splitlines()) if cells}
    assert rows["order_status"][1:6] == ["10", "80.0%", "$0.0140", "$0.00175", "$0.01000"]
    assert rows["refund"][1:5] == ["10", "50.0%", "$0.0280", "$0.00560"]


def test_text_locates_a_finding_in_a_json_line_by_its_json_path(run_cli, shop: Path) -> None:
    # An order_status ticket served by m-prem: low risk allows only economy: CPR506 at
    # the model of its first event, on line 21 of the fixture file (20 tickets before it).
    ticket = shop_ticket(99, "order_status", (1000, 100), True)
    ticket["events"][0]["model"] = "m-prem"
    with (shop / "fixtures" / "tickets.jsonl").open("a") as handle:
        handle.write(json.dumps(ticket) + "\n")
    result = run_cli("check", str(shop), "--no-cache")
    assert "  21 events[0].model error   CPR506  intent `order_status` is low risk" in result.stdout
    sarif = json.loads(run_cli("check", str(shop), "--format", "sarif", "--no-cache").stdout)
    [region] = [
        r["locations"][0]["physicalLocation"]["region"] for r in sarif["runs"][0]["results"]
    ]
    # SARIF keeps the column: `{"id": "T-99", ..., "events": [{"type": ..., "model": "m-prem"`.
    line = (shop / "fixtures" / "tickets.jsonl").read_text().splitlines()[20]
    assert region == {"startLine": 21, "startColumn": line.index('"m-prem"') + 1}


# --- 7. an unknown variable in the recorded version -------------------------------------


def test_a_variable_only_the_recorded_version_misses_is_reported_at_it(
    run_cli, adopted: Path
) -> None:
    # The starter's fixtures recorded `answer` v1, which prints {{ customer_name }} and
    # {{ facts }}. A v1 that printed {{ loyalty_tier }} too (no fixture provides it) is
    # rendered short when v2 is replayed in its place: reported at v1 like at a candidate.
    folder = adopted / "prompts" / "answer"
    v1 = (folder / "v1.md").read_text()
    (folder / "v1.md").write_text(v1 + "Tier: {{ loyalty_tier }}\n")
    (folder / "v2.md").write_text(v1 + "Thank them.\n")
    code, report = check_report(run_cli, adopted, "--prompt", "answer@v2")
    missing = [f for f in report["findings"] if f["rule"] == "CPR205"]
    assert [(f["path"], f["severity"]) for f in missing] == [("prompts/answer/v1.md", "warning")]
    # The 12 fixtures' answer calls: all of the 12 conversations lack it.
    assert missing[0]["message"] == (
        "variable `loyalty_tier` is not provided by 12 conversations and renders as empty text"
    )
    assert code == 0
