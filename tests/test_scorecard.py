"""`cprlint scorecard` on DuckDB: numbers worked out by hand, the same pricing as
`check`, filters, formats, and clear errors for logs that do not fit; and logs, names
and options from anyone: what DuckDB may touch, a line too long to hold, engine options
checked first, and outputs that show what a reader's tool would obey."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cprlint.cli import run
from cprlint.errors import CprlintError
from cprlint.pricing import PriceCard, Rate, builtin_catalog
from cprlint.reporters.base import shown
from cprlint.scorecard.build import build_scorecard
from cprlint.scorecard.card import Row, Scorecard, Unpriced
from cprlint.scorecard.engines import DuckDBEngine
from cprlint.scorecard.options import check_memory_limit, check_spark_master
from cprlint.scorecard.policies import load_policies
from cprlint.scorecard.render import render
from cprlint.scorecard.sources import find_logs
from cprlint.scorecard.tables import price_bands

from tests.projects import write_fixture
from tests.scorecard_helpers import (
    CONVERSATIONS,
    MALFORMED_LINES,
    OBEYED,
    REPOSITORY,
    call,
    conversation,
    hand_made_row,
    hand_made_scorecard,
    log_from_fixtures,
    week,
    write_project,
)

WEEK_1 = dt.date(2026, 11, 2)
WEEK_2 = dt.date(2026, 11, 9)


def scorecard_of(root: Path, log: Path | list[Path], **options: object) -> Scorecard:
    logs = find_logs([str(p) for p in (log if isinstance(log, list) else [log])])
    engine = DuckDBEngine()
    try:
        return build_scorecard(
            logs,
            load_policies([root / "policies"]),
            engine,
            engine_name="duckdb",
            catalog=builtin_catalog(),
            **options,  # type: ignore[arg-type]
        )
    finally:
        engine.close()


def row(card: Scorecard, group: str, period: dt.date) -> Row:
    (found,) = [r for r in card.rows if r.group == group and r.period == period]
    return found


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, Path]:
    return tmp_path, write_project(tmp_path)


def test_weekly_by_project_worked_by_hand(project: tuple[Path, Path]) -> None:
    root, log = project
    card = scorecard_of(root, log)
    first = row(card, "acme", WEEK_1)
    # T1 (refund, billing, full, resolved by ai):
    #   big-1: 1000 in x $10/1M + 200 out x $30/1M = 0.010 + 0.006 = 0.016
    #   tool lookup 0.002 + retrieval 0.001                          -> ai 0.019
    # T2 (escalated; T2 started 23:59:59+02:00 on Wed 4 Nov = 21:59:59Z, same week):
    #   small-1: (2000-1000) x $1 + 1000 cached x $0.50 + 100 x $4 = 1900 / 1M = 0.0019
    #   small-1 retry: 2000 x $1 + 100 x $4 = 2400 / 1M                       = 0.0024
    #   tool `reset` at the default tool price                               = 0.0005
    #   escalation 6 min x $0.50 = 3.00 human                      -> ai 0.0048
    # T3 (resolved but reopened: not a resolution): 500 x $1 + 50 x $4 = 0.0007
    assert first.tickets == 3
    assert first.resolved == 1  # T1 only
    assert first.escalated == 1  # T2
    assert first.auto_resolved == 1  # T1: resolved by ai with automation full
    assert first.retries == 1  # T2's attempt 2
    assert first.llm_calls == 4
    assert first.ai_cost == Decimal("0.0245")  # 0.019 + 0.0048 + 0.0007
    assert first.human_cost == Decimal("3")
    assert first.cost_per_resolution == Decimal("0.0245")  # 0.0245 / 1 resolved
    assert first.cost_per_ticket == Decimal("0.0245") / 3
    assert first.fully_loaded_cost_per_resolution == Decimal("3.0245")
    # LLM spend: premium 0.016, economy 0.0019 + 0.0024 + 0.0007 = 0.005; of 0.021
    assert dict(first.tier_shares) == {
        "premium": Decimal("0.016") / Decimal("0.021"),
        "economy": Decimal("0.005") / Decimal("0.021"),
    }
    # The project budget is 0.02 < 0.0245; 1/3 resolved < 60%; 1/3 escalated > 30%.
    assert first.breaches == (
        "cost per resolution over budget",
        "resolution rate under the minimum",
        "escalation rate over the maximum",
    )

    second = row(card, "acme", WEEK_2)
    # T4: big-1 500 x $10 + 100 x $30 = 8000 / 1M = 0.008, resolved by ai, full.
    # T5: a model priced nowhere (costs 0, reported); 2.5 min x $0.50 = 1.25 human;
    #     resolved by a human after an escalation event.
    assert (second.tickets, second.resolved, second.escalated, second.auto_resolved) == (
        2,
        2,
        1,
        1,
    )
    assert second.ai_cost == Decimal("0.008")
    assert second.human_cost == Decimal("1.25")
    assert second.cost_per_resolution == Decimal("0.004")
    assert second.breaches == ("escalation rate over the maximum",)  # 1/2 > 30%
    # Week over week: (0.004 - 0.0245) / 0.0245
    assert second.cost_per_resolution_change == (Decimal("0.004") - Decimal("0.0245")) / Decimal(
        "0.0245"
    )
    # auto-resolution 1/2 - 1/3 = 1/6 points up; escalation 1/2 - 1/3 = 1/6 up
    assert second.auto_resolution_rate_change == Decimal(1) / 2 - Decimal(1) / 3
    assert first.cost_per_resolution_change is None  # no week before

    assert card.undated_tickets == 1  # T6 has no started_at
    assert [(u.policy, u.model, u.calls) for u in card.unpriced] == [("acme", "mystery-model", 1)]


def test_by_queue_and_intent_take_their_budgets(project: tuple[Path, Path]) -> None:
    root, log = project
    by_queue = scorecard_of(root, log, dimension="queue")
    billing = row(by_queue, "billing", WEEK_1)
    assert billing.limits.budget is not None
    assert billing.limits.budget.cost_per_resolution == Decimal("0.03")  # budgets.queues
    assert billing.cost_per_resolution == Decimal("0.019")  # T1 alone, under 0.03
    assert "cost per resolution over budget" not in billing.breaches
    account = row(by_queue, "account", WEEK_1)
    assert account.limits.budget is None  # no budget for the account queue
    assert account.resolved == 0  # T2 escalated, T3 reopened
    assert account.cost_per_resolution is None

    by_intent = scorecard_of(root, log, dimension="intent")
    refund = row(by_intent, "refund", WEEK_2)
    assert refund.limits.budget is not None
    assert refund.limits.budget.cost_per_resolution == Decimal("0.05")

    by_mode = scorecard_of(root, log, dimension="automation")
    assert {r.group for r in by_mode.rows} == {"full", "partial", "assisted"}


def test_since_and_until_pick_whole_days(project: tuple[Path, Path]) -> None:
    root, log = project
    card = scorecard_of(root, log, since=dt.date(2026, 11, 9))
    assert [(r.group, r.period, r.tickets) for r in card.rows] == [("acme", WEEK_2, 2)]
    # Until the Sunday 8 Nov includes T3 at 23:00Z that day: the bound is inclusive.
    card = scorecard_of(root, log, until=dt.date(2026, 11, 8))
    assert [(r.period, r.tickets) for r in card.rows] == [(WEEK_1, 3)]
    card = scorecard_of(root, log, since=dt.date(2026, 11, 3), until=dt.date(2026, 11, 4))
    assert [(r.period, r.tickets) for r in card.rows] == [(WEEK_1, 1)]  # T2 only


def test_daily_and_monthly_periods(project: tuple[Path, Path]) -> None:
    root, log = project
    daily = scorecard_of(root, log, period="day")
    assert [r.period.day for r in daily.rows] == [2, 4, 8, 9, 10]
    monthly = scorecard_of(root, log, period="month")
    assert [(r.period, r.tickets) for r in monthly.rows] == [(dt.date(2026, 11, 1), 5)]


def test_conversations_without_a_policy_are_priced_by_the_catalog(tmp_path: Path) -> None:
    conversations = [
        conversation(
            "X1",
            "2026-11-03T10:00:00Z",
            project="elsewhere",
            events=[call("gpt-4o-mini", input_tokens=10_000, output_tokens=1_000)],
        )
    ]
    log = write_project(tmp_path, conversations)
    card = scorecard_of(tmp_path, log)
    (only,) = card.rows
    assert only.group == "elsewhere"
    assert only.limits.policy is None  # the acme policy governs project acme only
    catalog_card = builtin_catalog().lookup("gpt-4o-mini", None)
    assert catalog_card is not None
    # gpt-4o-mini: $0.15 in, $0.60 out per 1M in the pinned catalog:
    # 10,000 x 0.15 / 1M + 1,000 x 0.60 / 1M = 0.0015 + 0.0006 = 0.0021
    assert (catalog_card.input.base, catalog_card.output.base) == (Decimal("0.15"), Decimal("0.6"))
    assert only.ai_cost == Decimal("0.0021")


def test_a_policy_folder_is_read_as_check_reads_it(tmp_path: Path) -> None:
    # A hidden draft beside the policy is no policy, for `check` and for the scorecard.
    folder = tmp_path / "policies"
    folder.mkdir()
    policy = (REPOSITORY / "policies" / "support.yaml").read_text()
    (folder / "support.yaml").write_text(policy)
    (folder / ".draft.yaml").write_text(policy)
    assert len(load_policies([folder])) == 1


def test_tiered_prices_apply_above_their_threshold() -> None:
    # A rate of $1/1M, $2/1M above 200,000 input tokens; output $5, $10 above the same.
    card = PriceCard(
        model="m",
        matched="m",
        source="catalog",
        provider=None,
        input=Rate(Decimal(1), ((200_000, Decimal(2)),)),
        cached_input=Rate(Decimal("0.5")),
        cache_write=Rate(Decimal(1)),
        output=Rate(Decimal(5), ((200_000, Decimal(10)),)),
    )
    # Up to 200,000 input tokens the base prices; above, the tiers' (cached input and
    # cache writes have no tier: the same in both bands).
    assert price_bands(card) == [
        (-1, 200_000, (Decimal(1), Decimal("0.5"), Decimal(1), Decimal(5))),
        (200_000, None, (Decimal(2), Decimal("0.5"), Decimal(1), Decimal(10))),
    ]


def test_tiered_catalog_prices_on_the_engine_match_check(tmp_path: Path) -> None:
    """A catalog model with a long-context tier, on both sides of the threshold: the
    engine's sums equal `check`'s own PriceCard.cost, call by call."""
    from cprlint.model import Usage

    catalog_card = builtin_catalog().lookup("gemini-2.5-pro", None)
    assert catalog_card is not None
    assert catalog_card.input.tiers, "the pinned catalog prices gemini-2.5-pro in tiers"
    threshold = catalog_card.input.tiers[0][0]
    usages = [(threshold, 1000), (threshold + 1, 1000)]
    conversations = [
        conversation(
            f"G{i}",
            "2026-11-03T10:00:00Z",
            project="elsewhere",
            events=[call("gemini-2.5-pro", input_tokens=n, output_tokens=out)],
        )
        for i, (n, out) in enumerate(usages)
    ]
    card = scorecard_of(tmp_path, write_project(tmp_path, conversations))
    expected = sum(
        (catalog_card.cost(Usage(input_tokens=n, output_tokens=out)) for n, out in usages),
        Decimal(0),
    )
    assert card.rows[0].ai_cost == expected
    # and the tier mattered: the call above the threshold costs more per token
    below = catalog_card.cost(Usage(input_tokens=threshold, output_tokens=0)) / threshold
    above = catalog_card.cost(Usage(input_tokens=threshold + 1, output_tokens=0)) / (threshold + 1)
    assert above > below


def test_sums_equal_checks_pricing_on_a_realistic_log(tmp_path: Path) -> None:
    """The repository's generated fixtures as a log: the engine's AI and human cost per
    intent equal what cprlint's own model and price books give, conversation by
    conversation (no replay: a scorecard prices what was recorded)."""
    from cprlint.documents import Document
    from cprlint.model import Escalation, LlmCall, Retrieval, ToolCall, conversation_from_document
    from cprlint.pricing import price_book_for

    log = tmp_path / "log.jsonl"
    lines = log_from_fixtures(log, lambda n: f"2026-11-{2 + n % 14:02d}T12:00:00Z")
    policies = load_policies([REPOSITORY / "policies"])
    (policy,) = policies
    book = price_book_for(policy, builtin_catalog())
    expected_ai: dict[str, Decimal] = {}
    expected_human: dict[str, Decimal] = {}
    for text in lines:
        conv = conversation_from_document(Document(path="log", data=json.loads(text)))
        assert conv is not None
        ai = Decimal(0)
        human = Decimal(0)
        for event in conv.events:
            if isinstance(event, LlmCall) and event.usage is not None:
                price = book.lookup(event.model)
                ai += price.cost(event.usage) if price else Decimal(0)
            elif isinstance(event, ToolCall):
                ai += policy.pricing.tool_price(event.name)
            elif isinstance(event, Retrieval):
                ai += policy.pricing.retrieval_per_query
            elif isinstance(event, Escalation):
                human += event.handle_minutes * policy.pricing.human_per_minute
        expected_ai[conv.intent] = expected_ai.get(conv.intent, Decimal(0)) + ai
        expected_human[conv.intent] = expected_human.get(conv.intent, Decimal(0)) + human

    card = scorecard_of(REPOSITORY, log, dimension="intent", period="month")
    assert {r.group: r.ai_cost for r in card.rows} == expected_ai
    assert {r.group: r.human_cost for r in card.rows} == expected_human
    assert sum(r.tickets for r in card.rows) == len(lines)


def test_gzip_and_parquet_give_the_same_scorecard(project: tuple[Path, Path]) -> None:
    root, log = project
    plain = render(scorecard_of(root, log), "json")
    zipped = root / "logs-gz" / "requests.jsonl.gz"
    zipped.parent.mkdir()
    zipped.write_bytes(gzip.compress(log.read_bytes()))
    parquet = root / "events.parquet"
    assert run(["convert", str(log), "-o", str(parquet)]) == 0
    for other in (zipped, parquet):
        again = json.loads(render(scorecard_of(root, other), "json"))
        again["scorecard"]["logs"] = json.loads(plain)["scorecard"]["logs"]
        assert again == json.loads(plain)


def test_parquet_layout_holds_one_row_per_event(project: tuple[Path, Path]) -> None:
    import duckdb

    root, log = project
    parquet = root / "events.parquet"
    assert run(["convert", str(log), "-o", str(parquet)]) == 0
    rows = duckdb.sql(
        f"SELECT conversation_id, count(*) FROM read_parquet('{parquet}') GROUP BY 1 ORDER BY 1"
    ).fetchall()
    # T1 has 4 events, T2 4, T3 1, T4 1, T5 2, T6 1
    assert rows == [("T1", 4), ("T2", 4), ("T3", 1), ("T4", 1), ("T5", 2), ("T6", 1)]


def test_a_conversation_without_events_is_still_a_ticket(tmp_path: Path) -> None:
    conversations = [conversation("E1", "2026-11-03T10:00:00Z", events=[])]
    card = scorecard_of(tmp_path, write_project(tmp_path, conversations))
    assert [(r.tickets, r.resolved, r.ai_cost) for r in card.rows] == [(1, 1, Decimal(0))]


def test_outputs(project: tuple[Path, Path]) -> None:
    root, log = project
    card = scorecard_of(root, log)
    text = render(card, "text")
    # Two weeks: from Monday 2 November to Sunday 15 November, the last week's last day.
    assert "Scorecard by project, weekly, 2026-11-02 to 2026-11-15" in text
    assert "$0.02450" in text  # week 1 CPR, 4 significant digits under a dollar
    assert "1 ticket has no `started_at` and is in no period." in text
    assert "`mystery-model`" in text
    markdown = render(card, "markdown")
    assert markdown.startswith("### Scorecard by project")
    assert "| acme | 2026-11-02 | 3 | 1 |" in markdown
    rows = list(csv.DictReader(io.StringIO(render(card, "csv"))))
    assert [(r["row"], r["period"]) for r in rows] == [
        ("group", "2026-11-02"),
        ("group", "2026-11-09"),
        ("total", "2026-11-02"),
        ("total", "2026-11-09"),
    ]
    assert rows[0]["ai_cost"] == "0.024500000"
    assert rows[0]["cost_per_ticket"] == "0.008166667"  # 0.0245 / 3, half-even at 9 places
    assert rows[0]["share_premium"] == "0.761904762"  # 0.016 / 0.021
    document = json.loads(render(card, "json"))
    # (0.004 - 0.0245) / 0.0245 = -0.0205 / 0.0245 = -0.83673469387..., 9 places
    assert document["rows"][1]["change"]["cost_per_resolution"] == -0.836734694
    assert document["undated_tickets"] == 1


def test_cli_writes_the_scorecard(
    project: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root, log = project
    output = root / "card.json"
    code = run(
        [
            "scorecard",
            str(log),
            "--policy",
            str(root / "policies"),
            "--format",
            "json",
            "-o",
            str(output),
        ]
    )
    assert code == 0
    assert json.loads(output.read_text())["rows"][0]["tickets"] == 3
    assert capsys.readouterr().err == ""  # no progress bar outside a terminal


# --- logs that do not fit -----------------------------------------------------------


def failure(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert run(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err


def test_a_broken_line_is_named_with_file_line_and_column(
    project: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root, log = project
    lines = log.read_text().splitlines()
    lines.insert(2, '{"id": "B1", "intent": "x", "outcome": {"status": "resolved"}, "events": [}')
    log.write_text("\n".join(lines) + "\n")
    err = failure(["scorecard", str(log), "--policy", str(root / "policies"), "--strict"], capsys)
    assert f"{log}:3:" in err
    assert "JSON syntax error" in err


@pytest.mark.parametrize(
    ("index", "change", "named"),
    [
        (3, lambda data: data["events"][0]["usage"].update(input_tokens="lots"), "input_tokens"),
        (1, lambda data: data.update(started_at="last tuesday"), "last tuesday"),
    ],
    ids=["a wrong type", "a bad started_at"],
)
def test_a_bad_value_is_named_with_its_line(
    project: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
    index: int,
    change: Callable[[dict[str, Any]], None],
    named: str,
) -> None:
    root, log = project
    lines = log.read_text().splitlines()
    bad = json.loads(lines[index])
    change(bad)
    lines[index] = json.dumps(bad)
    log.write_text("\n".join(lines) + "\n")
    err = failure(["scorecard", str(log), "--policy", str(root / "policies"), "--strict"], capsys)
    assert f"{log}:{index + 1}:" in err
    assert named in err


def test_a_parquet_file_in_another_layout_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import duckdb

    parquet = tmp_path / "other.parquet"
    duckdb.sql(f"COPY (SELECT 1 AS id, 'x' AS intent) TO '{parquet}' (FORMAT parquet)")
    err = failure(["scorecard", str(parquet)], capsys)
    assert str(parquet) in err
    assert "`conversation_id`" in err


def test_bad_invocations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "no such file" in failure(["scorecard", str(tmp_path / "nope.jsonl")], capsys)
    (tmp_path / "notes.txt").write_text("hi")
    assert "not a log" in failure(["scorecard", str(tmp_path / "notes.txt")], capsys)
    log = write_project(tmp_path)
    assert "not a date" in failure(["scorecard", str(log), "--since", "yesterday"], capsys)
    err = failure(["scorecard", str(log), "--since", "2026-11-09", "--until", "2026-11-01"], capsys)
    assert "after --until" in err


def test_a_broken_policy_stops_the_run(
    project: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root, log = project
    (root / "policies" / "acme.yaml").write_text("apiVersion: cprlint/v1\nkind: [\n")
    err = failure(["scorecard", str(log), "--policy", str(root / "policies")], capsys)
    assert "acme.yaml:3:1: YAML syntax error" in err  # the stream ends inside `[`


def test_text_from_the_log_is_never_sql(tmp_path: Path) -> None:
    """Group and model names come from logs, tier and policy names from pull requests:
    they travel as values, so quotes in them are just characters."""
    conversations = [
        conversation(
            "Q1",
            "2026-11-03T10:00:00Z",
            project="x'); DROP TABLE events; --",
            events=[call("o'brien", input_tokens=1, output_tokens=1)],
        )
    ]
    log = write_project(tmp_path, conversations)
    card = scorecard_of(tmp_path, log)
    assert [r.group for r in card.rows] == ["x'); DROP TABLE events; --"]
    assert [u.model for u in card.unpriced] == ["o'brien"]


def test_every_row_is_one_ticket_once(project: tuple[Path, Path]) -> None:
    """Tickets over all groups and periods, plus the undated ones, are the log's."""
    root, log = project
    for dimension in ("project", "queue", "intent", "automation"):
        card = scorecard_of(root, log, dimension=dimension)
        assert sum(r.tickets for r in card.rows) + card.undated_tickets == len(CONVERSATIONS)


def test_a_folder_without_logs_is_refused(project: tuple[Path, Path]) -> None:
    root, _ = project
    with pytest.raises(CprlintError, match=r"no \.jsonl"):
        find_logs([str(root / "policies")])


def test_a_number_too_large_for_the_layout_is_named(
    project: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root, log = project
    lines = log.read_text().splitlines()
    bad = json.loads(lines[2])
    bad["events"][0]["usage"]["input_tokens"] = 2**64  # an integer to JSON, not to BIGINT
    lines[2] = json.dumps(bad)
    log.write_text("\n".join(lines) + "\n")
    err = failure(["scorecard", str(log), "--policy", str(root / "policies"), "--strict"], capsys)
    assert f"{log}:3:" in err
    assert "usage.input_tokens" in err


def test_progress_is_shown_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from cprlint.scorecard import progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stderr", Terminal())
    monkeypatch.delenv("CI", raising=False)
    assert progress.wanted(None) is True
    monkeypatch.setenv("CI", "true")
    assert progress.wanted(None) is False  # silent in CI, even on a terminal
    assert progress.wanted(True) is True  # unless asked for
    monkeypatch.setattr("sys.stderr", io.StringIO())
    monkeypatch.delenv("CI")
    assert progress.wanted(None) is False  # a pipe or a file


def test_each_step_reports_its_progress_up_to_done(project: tuple[Path, Path]) -> None:
    root, log = project
    seen: list[tuple[str, float]] = []
    scorecard_of(root, log, progress=lambda step, done: seen.append((step, done)))
    steps = list(dict.fromkeys(step for step, _ in seen))
    assert steps == ["reading logs", "computing the scorecard"]
    for step in steps:
        fractions = [done for name, done in seen if name == step]
        assert fractions[-1] == 1.0
        assert all(0.0 <= done <= 1.0 for done in fractions)


def test_a_ticket_without_project_or_queue_reads_as_check_reads_it(tmp_path: Path) -> None:
    bare = conversation("N1", "2026-11-03T10:00:00Z", events=[])
    del bare["project"], bare["queue"], bare["automation"]
    log = write_project(tmp_path, [bare])
    assert [r.group for r in scorecard_of(tmp_path, log).rows] == ["(none)"]
    assert [r.group for r in scorecard_of(tmp_path, log, dimension="queue").rows] == ["default"]
    by_mode = scorecard_of(tmp_path, log, dimension="automation")
    assert [(r.group, r.auto_resolved) for r in by_mode.rows] == [("full", 1)]


def test_a_parquet_column_of_the_wrong_type_is_named(
    project: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    import duckdb

    root, log = project
    good = root / "events.parquet"
    assert run(["convert", str(log), "-o", str(good)]) == 0
    capsys.readouterr()
    bad = root / "floats.parquet"
    duckdb.sql(
        f"COPY (SELECT * REPLACE (CAST(input_tokens AS DOUBLE) AS input_tokens) "
        f"FROM read_parquet('{good}')) TO '{bad}' (FORMAT parquet)"
    )
    err = failure(["scorecard", str(bad)], capsys)
    assert f"{bad}: column `input_tokens` is DOUBLE, where the event layout has BIGINT" in err


def test_an_unreadable_row_group_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import duckdb

    conversations = [
        conversation(f"R{n}", "2026-11-03T10:00:00Z", events=[call("small-1", input_tokens=n)])
        for n in range(3000)
    ]
    log = write_project(tmp_path, conversations)
    good = tmp_path / "events.parquet"
    assert run(["convert", str(log), "-o", str(good)]) == 0
    capsys.readouterr()
    grouped = tmp_path / "grouped.parquet"
    duckdb.sql(
        f"COPY (SELECT * FROM read_parquet('{good}') ORDER BY conversation_id) TO '{grouped}' "
        "(FORMAT parquet, ROW_GROUP_SIZE 2048, COMPRESSION zstd)"
    )
    (_, rows), *_ = duckdb.sql(
        f"SELECT row_group_id, any_value(row_group_num_rows) FROM parquet_metadata('{grouped}') "
        "GROUP BY 1 ORDER BY 1"
    ).fetchall()
    # Scramble the pages of the second row group's `model` column.
    ((offset, size),) = duckdb.sql(
        f"SELECT data_page_offset, total_compressed_size FROM parquet_metadata('{grouped}') "
        "WHERE row_group_id = 1 AND path_in_schema = 'model'"
    ).fetchall()
    data = bytearray(grouped.read_bytes())
    for at in range(offset + 16, offset + size):
        data[at] ^= 0x5A
    grouped.write_bytes(bytes(data))
    err = failure(["scorecard", str(grouped)], capsys)
    assert f"{grouped}: row group 1 (rows {rows + 1:,} to " in err


def test_a_status_listed_twice_counts_a_ticket_once(project: tuple[Path, Path]) -> None:
    root, log = project
    policy = root / "policies" / "acme.yaml"
    policy.write_text(
        policy.read_text()
        + "resolution:\n  statuses: [resolved, resolved]\n  resolved_by: [ai, ai, human]\n"
    )
    first = row(scorecard_of(root, log), "acme", WEEK_1)
    assert (first.tickets, first.resolved) == (3, 1)  # as in the hand-worked week


# --- logs from anyone: what DuckDB may touch ------------------------------------------


def test_duckdb_loads_no_extension_and_touches_no_file_once_the_logs_are_in(
    project: tuple[Path, Path],
) -> None:
    import duckdb

    root, log = project
    secret = root / "secret.csv"
    secret.write_text("token\nhunter2\n")
    watched = (
        "autoinstall_known_extensions",
        "autoload_known_extensions",
        "enable_external_access",
        "lock_configuration",
    )
    engine = DuckDBEngine()
    try:

        def settings() -> dict[str, str]:
            found = engine.connection.execute(
                "SELECT name, value FROM duckdb_settings() WHERE list_contains(?, name)",
                [list(watched)],
            ).fetchall()
            return dict(found)

        # From the start no extension is fetched or loaded on DuckDB's own initiative;
        # files are still open to it, to read the logs.
        assert settings() == {
            "autoinstall_known_extensions": "false",
            "autoload_known_extensions": "false",
            "enable_external_access": "true",
            "lock_configuration": "false",
        }
        engine.load(find_logs([str(log)]))
        assert settings()["enable_external_access"] == "false"
        assert settings()["lock_configuration"] == "true"
        # The 13 events are in (T1 4, T2 4, T3 1, T4 1, T5 2, T6 1), and nothing else
        # can be reached: no file, no URL, no extension, no setting loosened.
        assert engine.connection.execute("SELECT count(*) FROM events").fetchone() == (13,)
        for statement in (
            f"SELECT * FROM read_csv('{secret}')",
            f"SELECT * FROM read_json('{log}')",
            f"COPY (SELECT 1) TO '{root / 'out.csv'}'",
            "SELECT * FROM read_json('https://example.com/x.json')",
            "INSTALL httpfs",
            "LOAD httpfs",
            "SET enable_external_access = true",
            "SET allowed_directories = ['/']",
        ):
            with pytest.raises(duckdb.Error):
                engine.connection.execute(statement)
        assert not (root / "out.csv").exists()
    finally:
        engine.close()


def one_ticket_log(path: Path) -> Path:
    """A log of one ticket: N1, 1,000 input tokens of small-1 at $1/1M = $0.001."""
    return write_fixture(
        path,
        [conversation("N1", "2026-11-03T10:00:00Z", events=[call("small-1", input_tokens=1000)])],
    )


def ten_tickets_log(path: Path) -> Path:
    """A log of ten tickets without events (cost 0), to be noticed if read."""
    tickets = [
        conversation(f"{path.stem}-{n}", "2026-11-03T10:00:00Z", events=[]) for n in range(10)
    ]
    return write_fixture(path, tickets)


@pytest.mark.parametrize("kind", ["jsonl", "parquet"])
@pytest.mark.parametrize(
    ("named", "beside"),
    [
        ("[a]", ["a"]),  # a character class, matching `a`
        ("a*", ["a", "ab"]),
        ("?", ["a", "b"]),
    ],
)
def test_a_log_name_is_never_a_pattern(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    kind: str,
    named: str,
    beside: list[str],
) -> None:
    write_project(tmp_path)  # the policy
    folder = tmp_path / "glob"
    log = one_ticket_log(folder / f"{named}.jsonl")
    for name in beside:
        ten_tickets_log(folder / f"{name}.jsonl")
    if kind == "parquet":
        # `convert` reads only the named log too: N1's one event.
        for name in [named, *beside]:
            source = folder / f"{name}.jsonl"
            assert run(["convert", str(source), "-o", str(folder / f"{name}.parquet")]) == 0
            if name == named:
                assert "wrote 1 event row to" in capsys.readouterr().err
        log = folder / f"{named}.parquet"
    card = scorecard_of(tmp_path, log)
    # N1 alone: one ticket, $0.001; a file beside it read too would add ten tickets.
    assert [(r.tickets, r.ai_cost) for r in card.rows] == [(1, Decimal("0.001"))]


def test_a_temporary_folder_duckdb_would_read_as_a_pattern_is_refused(
    project: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    _, log = project
    patterned = log.parent / "tmp[1]"
    patterned.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(patterned))
    engine = DuckDBEngine()
    try:
        with pytest.raises(CprlintError, match=r"has \*, \? or \[ in its path.*set TMPDIR"):
            engine.load(find_logs([str(log)]))
    finally:
        engine.close()


def test_convert_writes_through_a_folder_of_its_own_and_leaves_only_the_output(
    project: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root, log = project
    output = root / "out" / "events.parquet"
    output.parent.mkdir()
    assert run(["convert", str(log), "-o", str(output)]) == 0
    assert capsys.readouterr().err == f"cprlint: wrote 13 event rows to {output}\n"
    assert [p.name for p in output.parent.iterdir()] == ["events.parquet"]
    # Again over the file: replaced whole, with the same 13 rows.
    assert run(["convert", str(log), "-o", str(output)]) == 0
    assert capsys.readouterr().err == f"cprlint: wrote 13 event rows to {output}\n"
    assert [p.name for p in output.parent.iterdir()] == ["events.parquet"]
    err = failure(["convert", str(log), "-o", str(root / "nowhere" / "events.parquet")], capsys)
    assert f"{root / 'nowhere' / 'events.parquet'}: cannot write" in err


# --- a line too long to hold ------------------------------------------------------------

# The line limit the tests set, so that a line "too long" is megabytes, not gigabytes.
TEST_LINE_LIMIT = 64 * 1024


class CountingReader:
    """A log's reader that remembers the most bytes it handed out at once, and fails a
    read of a line without a bound (or any other kind of read)."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.largest = 0

    def readline(self, size: int = -1) -> bytes:
        assert size > 0, "a line read without a bound"
        line: bytes = self.handle.readline(size)
        self.largest = max(self.largest, len(line))
        return line

    def __enter__(self) -> CountingReader:
        return self

    def __exit__(self, *exception: object) -> None:
        self.handle.close()


@pytest.fixture
def counted_reads(monkeypatch: pytest.MonkeyPatch) -> list[CountingReader]:
    """The line limit set to TEST_LINE_LIMIT, and each log the careful reading opens
    read through a CountingReader (listed here)."""
    from cprlint.scorecard import sources

    readers: list[CountingReader] = []
    opened = sources._open

    def counting_open(path: Path) -> CountingReader:
        readers.append(CountingReader(opened(path)))
        return readers[-1]

    monkeypatch.setattr(sources, "MAX_LOG_LINE_BYTES", TEST_LINE_LIMIT)
    monkeypatch.setattr(sources, "_open", counting_open)
    return readers


def write_long_line_log(path: Path, line_bytes: int) -> None:
    """A log of three lines, the second `{"id": "xx...x` and its line break (JSON cut
    short, which DuckDB refuses), `line_bytes` long, written a mebibyte at a time."""
    chunk = b"x" * 1024 * 1024
    filler = line_bytes - len(b'{"id": "\n')
    with gzip.open(path, "wb") if path.name.endswith(".gz") else path.open("wb") as out:
        out.write(json.dumps(CONVERSATIONS[0]).encode() + b"\n")
        out.write(b'{"id": "')
        for _ in range(filler // len(chunk)):
            out.write(chunk)
        out.write(chunk[: filler % len(chunk)])
        out.write(b"\n")
        out.write(json.dumps(CONVERSATIONS[1]).encode() + b"\n")


@pytest.mark.parametrize("name", ["long.jsonl", "long.jsonl.gz"])
def test_an_over_long_line_is_named_without_being_held(
    tmp_path: Path, counted_reads: list[CountingReader], name: str
) -> None:
    import tracemalloc

    from cprlint.scorecard.sources import describe, first_problem

    log = tmp_path / name
    write_long_line_log(log, 8 * 1024 * 1024)
    tracemalloc.start()
    try:
        problem = first_problem([log])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert problem is not None
    # 8 MiB = 8,388,608 bytes, over the 64 KiB = 65,536-byte limit, at line 2.
    assert describe(problem) == f"{log}:2:1: line is 8,388,608 bytes, over the 65,536-byte limit"
    # Never more than the limit and one byte (which says the line is over it) at once,
    (reader,) = counted_reads
    assert reader.largest == TEST_LINE_LIMIT + 1
    # and nothing near the line's 8 MiB held anywhere on the way.
    assert peak < 1024 * 1024


def test_a_line_too_long_for_duckdb_is_named_in_one_line(
    project: tuple[Path, Path],
    counted_reads: list[CountingReader],
    capsys: pytest.CaptureFixture[str],
) -> None:
    root, log = project
    # DuckDB refuses the broken line, so the careful reading looks for the line at fault:
    # 8 MiB = 8,388,608 bytes, too long to hold.
    write_long_line_log(log, 8 * 1024 * 1024)
    err = failure(["scorecard", str(log), "--policy", str(root / "policies"), "--strict"], capsys)
    assert err == (
        f"cprlint: error: log does not match the conversation format: {log}:2:1: "
        "line is 8,388,608 bytes, over the 65,536-byte limit\n"
    )
    (reader,) = counted_reads
    assert reader.largest == TEST_LINE_LIMIT + 1


# --- engine options -------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2GB",
        "512MB",
        "1.5GiB",
        "80%",
        "2 GB",
        "2gb",
        "1024KiB",
        "3G",
        ".5TB",
        "64 megabytes",
        "100%",
    ],
)
def test_memory_limits_in_duckdbs_forms_are_taken(value: str) -> None:
    import duckdb

    assert check_memory_limit(value) == value
    duckdb.connect(":memory:", config={"memory_limit": value}).close()  # DuckDB's word too


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("lots", "is not a size such as 2GB, 512MB or 1.5GiB, or a share of memory such as 80%"),
        ("", "is not a size"),
        ("2GBs", "is not a size"),
        ("2 G B", "is not a size"),
        ("1,5GB", "is not a size"),
        ("1e3MB", "is not a size"),
        ("-1", "is not a size"),  # DuckDB's "no limit"
        ("none", "is not a size"),
        ("2GB\n--x", "is not a size"),
        ("0GB", "is no room to work in"),
        ("150%", "is no room to work in"),
    ],
)
def test_other_memory_limits_are_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str, why: str
) -> None:
    log = write_project(tmp_path)
    err = failure(["scorecard", str(log), "--memory-limit", value], capsys)
    assert err.startswith(f"cprlint: error: --memory-limit: `{shown(value)}` {why}")


@pytest.mark.parametrize("value", ["2b", "1MB"])
def test_a_memory_limit_too_small_to_work_in_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    log = write_project(tmp_path)
    err = failure(
        ["scorecard", str(log), "--policy", str(tmp_path / "policies"), "--memory-limit", value],
        capsys,
    )
    assert err.startswith(
        f"cprlint: error: DuckDB ran out of memory within --memory-limit {value}: "
    )


@pytest.mark.parametrize(
    "master",
    [
        "local",
        "local[2]",
        "local[*]",
        "local[4,2]",
        "local[*,3]",
        "local-cluster[2,1,1024]",
        "spark://host:7077",
        "spark://a:7077,b:7077",
        "k8s://https://k8s.example.com:443",
        "yarn",
    ],
)
def test_spark_masters_spark_starts_with_are_taken(master: str) -> None:
    assert check_spark_master(master) == master


@pytest.mark.parametrize(
    "master", ["nonsense://x", "", "local[x]", "spark://", "mesos://host:5050", "yarn\n"]
)
def test_other_spark_masters_are_refused_in_one_line_before_spark_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], master: str
) -> None:
    log = write_project(tmp_path)
    err = failure(["scorecard", str(log), "--engine", "spark", "--spark-master", master], capsys)
    assert err == (
        f"cprlint: error: --spark-master: `{shown(master)}` is not a Spark master "
        "(local, local[N], local[*], spark://HOST:PORT, k8s://URL or yarn)\n"
    )


# --- what people read: shown, never obeyed --------------------------------------------

# ESC ] 0 ; ... BEL retitles a terminal, ESC [ 2 J clears it; U+202E reverses what
# follows, U+2066..U+2069 isolate, U+200E/U+200F mark, U+2028/U+2029 break lines.
HOSTILE = "\x1b]0;owned\x07\x1b[2Jrefund\u202etxt.exe\u2066\u2069\u200e\u200f\u2028\u2029"
HOSTILE_SHOWN = (
    "\\x1b]0;owned\\x07\\x1b[2Jrefund\\u202etxt.exe\\u2066\\u2069\\u200e\\u200f\\u2028\\u2029"
)


def test_text_shows_control_and_bidi_characters_escaped() -> None:
    card = hand_made_scorecard(
        hand_made_row(HOSTILE, week(1)),
        unpriced=(Unpriced(policy="p\u202e", model="m\x1b[31m", calls=2),),
    )
    text = render(card, "text")
    assert f"\nintent {HOSTILE_SHOWN}\n" in text
    assert "2 calls to `m\\x1b[31m` (policy p\\u202e) have no price" in text
    assert not OBEYED.search(text)


def test_names_from_the_logs_reach_the_terminal_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # OSC 8 makes a terminal hyperlink: "click" would open the URL.
    intent = "refund\x1b]8;;https://evil.example\x07click\x1b]8;;\x07\u202e"
    log = write_project(
        tmp_path, [conversation("H1", "2026-11-03T10:00:00Z", intent=intent, events=[])]
    )
    args = ["scorecard", str(log), "--policy", str(tmp_path / "policies"), "--by", "intent"]
    assert run(args) == 0
    out = capsys.readouterr().out
    assert "\nintent refund\\x1b]8;;https://evil.example\\x07click\\x1b]8;;\\x07\\u202e" in out
    assert not OBEYED.search(out)


def test_markdown_breaks_links_mentions_and_references_from_the_logs() -> None:
    group = "see https://evil.example/x, www.evil.example, GH-2, #3, @octocat \u202e"
    card = hand_made_scorecard(
        hand_made_row(group, week(1)),
        unpriced=(Unpriced(policy="<b>p</b> @team", model="m", calls=2),),
    )
    lines = render(card, "markdown").splitlines()
    joiner = "\u2060"  # WORD JOINER: invisible, and no link or reference matches across it
    # The title, a blank line, the header and its rule, the week's total, then the row;
    # U+202E is shown as `\u202e`, its backslash escaped for markdown.
    assert lines[4].startswith("| **total** | 2026-10-05 | 10 |")
    assert lines[5].startswith(
        f"| see https{joiner}://evil.example/x, www{joiner}.evil.example, GH{joiner}-2, "
        f"#{joiner}3, @{joiner}octocat \\\\u202e | 2026-10-05 | 10 |"
    )
    assert (
        f"- 2 calls to `m` (policy &lt;b&gt;p&lt;/b&gt; @{joiner}team) have no price and count "
        "as zero: add the model to the policy's pricing.models."
    ) in lines
    assert not OBEYED.search("\n".join(lines))


def github_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@pytest.mark.parametrize(
    ("rows", "models", "cut"),
    [
        # 3,000 rows of about 150 characters: some 450,000 characters, ten comments.
        (3000, 0, "rows"),
        # 800 emoji names of 100 U+1F600 each: 200 UTF-16 units a name, 160,000 in all.
        (800, 0, "rows"),
        # A few rows, then 5,000 notes of models without a price, of about 130 each.
        (3, 5000, "notes"),
    ],
    ids=["many rows", "wide characters", "many notes"],
)
def test_markdown_stays_within_a_github_comment(rows: int, models: int, cut: str) -> None:
    name = "\U0001f600" * 100 if rows == 800 else "group"
    card = hand_made_scorecard(
        *(hand_made_row(f"{name}-{n:04d}", week(1)) for n in range(rows)),
        unpriced=tuple(Unpriced(policy=None, model=f"model-{n}", calls=1) for n in range(models)),
    )
    markdown = render(card, "markdown")
    assert github_length(markdown) <= 65_536
    lines = markdown.splitlines()
    kept_rows = [line for line in lines if line.startswith(f"| {name}-")]
    kept_notes = [line for line in lines if line.startswith("- 1 call to `model-")]
    # The week's total comes first, whatever is cut (all rows are in week 1: one total
    # of 10 tickets a row); then what is kept, in order; the last line says what is not.
    assert lines[4].startswith(f"| **total** | 2026-10-05 | {10 * rows:,} |")
    assert kept_rows == [line for line in lines[5:] if line.startswith("|")]
    assert [line.split(" | ")[0] for line in kept_rows] == [
        f"| {name}-{n:04d}" for n in range(len(kept_rows))
    ]
    assert [line.split("`")[1] for line in kept_notes] == [
        f"model-{n}" for n in range(len(kept_notes))
    ]
    # The rows counted are the groups' and the total's (one more).
    left_out = {
        "rows": f"{rows - len(kept_rows):,} of {rows + 1:,} rows",
        "notes": f"{models - len(kept_notes):,} of {models:,} notes",
    }[cut]
    assert lines[-1] == (
        f"- Cut to GitHub's 65,536-character limit: {left_out} left out; "
        "the csv, json and html formats have them all."
    )
    assert 0 < len(kept_rows if cut == "rows" else kept_notes) < (rows if cut == "rows" else models)


def test_a_markdown_scorecard_within_the_limit_is_whole() -> None:
    markdown = render(hand_made_scorecard(hand_made_row("refund", week(1))), "markdown")
    assert "Cut to GitHub" not in markdown
    assert markdown.count("\n") == 6  # title, blank, header, rule, the total, one row


def test_csv_cells_are_never_formulas_and_never_break_a_line() -> None:
    groups = [
        '=HYPERLINK("https://evil.example","click")',
        "+1+1",
        "-1+1",
        "@SUM(A1:A2)",
        "\t=1+1",
        "\r=1+1",
        "a\nb\rc",
        "\u202eevil",
    ]
    # refund: CPR 0.05 / 5 = 0.01 in week 1, 0.025 / 5 = 0.005 in week 2, a change of
    # (0.005 - 0.01) / 0.01 = -0.5, which stays a number.
    rows = [hand_made_row(group, week(1)) for group in groups]
    rows += [hand_made_row("refund", week(1)), hand_made_row("refund", week(2), ai_cost="0.025")]
    text = render(hand_made_scorecard(*rows), "csv")
    assert "\r" not in text
    # The header, one line a row, then the totals of weeks 1 and 2.
    assert text.count("\n") == 1 + len(rows) + 2
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert [cells["row"] for cells in parsed[-3:]] == ["group", "total", "total"]
    parsed = parsed[:-2]
    assert [cells["intent"] for cells in parsed] == [
        '\'=HYPERLINK("https://evil.example","click")',
        "'+1+1",
        "'-1+1",
        "'@SUM(A1:A2)",
        "'\\x09=1+1",
        "'\\x0d=1+1",
        "a\\x0ab\\x0dc",
        "\\u202eevil",
        "refund",
        "refund",
    ]
    assert parsed[-1]["cost_per_resolution_change"] == "-0.500000000"
    assert not OBEYED.search(text)


@pytest.mark.parametrize(
    "name", ["bad\nname.jsonl", "bad\x1b]0;x\x07.jsonl", "bad\u202elmth.jsonl"]
)
def test_an_error_naming_a_file_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    write_project(tmp_path)
    log = tmp_path / name
    log.write_text('{"id": "B1", "events": [}\n')
    err = failure(
        ["scorecard", str(log), "--policy", str(tmp_path / "policies"), "--strict"], capsys
    )
    assert f"{shown(str(log))}:1:" in err
    assert "JSON syntax error" in err
    assert not OBEYED.search(err)


# --- what finance reads: totals, spend, periods cut by --since/--until ----------------


def test_each_period_has_a_total_over_all_groups(project: tuple[Path, Path]) -> None:
    """By queue, week 1 is billing (T1) and account (T2, T3), week 2 billing (T4) and
    account (T5): the totals are the project's figures, worked out in the first test."""
    root, log = project
    card = scorecard_of(root, log, dimension="queue")
    first, second = card.totals
    # Week 1: billing 1 ticket, 1 resolved, AI 0.019; account 2 tickets, 0 resolved, AI
    # 0.0048 + 0.0007 = 0.0055, human 3.00. Total: 3 tickets, 1 resolved, AI 0.0245.
    assert (first.period, first.tickets, first.resolved) == (WEEK_1, 3, 1)
    assert (first.ai_cost, first.human_cost) == (Decimal("0.0245"), Decimal("3"))
    assert first.cost_per_resolution == Decimal("0.0245")  # 0.0245 / 1
    assert first.limits.budget is None  # no one budget speaks for a sum of queues
    # Week 2: billing AI 0.008, 1 resolved; account AI 0 (mystery-model is unpriced),
    # human 1.25, 1 resolved. CPR 0.008 / 2 = 0.004; fully loaded 1.258 / 2 = 0.629.
    assert (second.tickets, second.resolved, second.ai_cost) == (2, 2, Decimal("0.008"))
    assert second.cost_per_resolution == Decimal("0.004")
    assert second.fully_loaded_cost_per_resolution == Decimal("0.629")
    # Against the week before: (0.004 - 0.0245) / 0.0245.
    assert second.cost_per_resolution_change == (Decimal("0.004") - Decimal("0.0245")) / Decimal(
        "0.0245"
    )

    csv_rows = [r for r in csv.DictReader(io.StringIO(render(card, "csv"))) if r["row"] == "total"]
    assert [(r["queue"], r["period"], r["ai_cost"], r["human_cost"]) for r in csv_rows] == [
        ("", "2026-11-02", "0.024500000", "3.000000000"),
        ("", "2026-11-09", "0.008000000", "1.250000000"),
    ]
    # -0.0205 / 0.0245 = -0.836734693..., at 9 places
    assert csv_rows[1]["cost_per_resolution_change"] == "-0.836734694"
    assert csv_rows[1]["fully_loaded_cost_per_resolution"] == "0.629000000"

    document = json.loads(render(card, "json"))
    assert [(t["period"], t["tickets"], t["ai_cost"]) for t in document["totals"]] == [
        ("2026-11-02", 3, 0.0245),
        ("2026-11-09", 2, 0.008),
    ]
    assert document["totals"][1]["cost_per_resolution"] == 0.004

    # One format a spend column: the smallest AI spend under a dollar, 0.0055 (account,
    # week 1), gets 3 significant digits, so 5 decimals: $0.02450, $0.00800; human cost
    # (3, 1.25, 0) in cents.
    markdown = render(card, "markdown").splitlines()
    assert markdown[4].startswith("| **total** | 2026-11-02 | 3 | 1 | $0.02450 | $3.00 |")
    assert markdown[5].startswith("| **total** | 2026-11-09 | 2 | 2 | $0.00800 | $1.25 |")
    assert markdown[6].startswith("| account | 2026-11-02 | 2 | 0 | $0.00550 | $3.00 |")
    text = render(card, "text").splitlines()
    assert text[2] == "total of 2 queues"
    assert text[4].split()[:5] == ["2026-11-02", "3", "1", "$0.02450", "$3.00"]


# Periods and what they are called: (unit, the period's start, --since, --until, the
# label); a period cut by --since or --until is called by the days it covers.
PERIOD_LABELS = [
    ("month", dt.date(2026, 10, 1), None, None, "2026-10"),
    ("month", dt.date(2026, 10, 1), dt.date(2026, 10, 15), None, "2026-10-15 to 2026-10-31"),
    ("month", dt.date(2026, 11, 1), None, dt.date(2026, 11, 20), "2026-11-01 to 2026-11-20"),
    ("month", dt.date(2026, 2, 1), None, dt.date(2026, 2, 28), "2026-02"),  # 28 days
    ("month", dt.date(2028, 2, 1), None, dt.date(2028, 2, 28), "2028-02-01 to 2028-02-28"),
    ("month", dt.date(2026, 12, 1), dt.date(2026, 12, 1), dt.date(2026, 12, 31), "2026-12"),
    ("week", dt.date(2026, 11, 2), None, None, "2026-11-02"),
    ("week", dt.date(2026, 11, 2), dt.date(2026, 11, 4), None, "2026-11-04 to 2026-11-08"),
    ("week", dt.date(2026, 12, 28), None, dt.date(2027, 1, 1), "2026-12-28 to 2027-01-01"),
    ("day", dt.date(2026, 11, 2), dt.date(2026, 11, 2), dt.date(2026, 11, 2), "2026-11-02"),
]


@pytest.mark.parametrize(("unit", "start", "since", "until", "label"), PERIOD_LABELS)
def test_a_period_is_called_by_the_days_it_covers(
    unit: str, start: dt.date, since: dt.date | None, until: dt.date | None, label: str
) -> None:
    from dataclasses import replace

    from cprlint.scorecard.words import period_label

    card = replace(
        hand_made_scorecard(hand_made_row("refund", start)), period=unit, since=since, until=until
    )
    assert period_label(card, start) == label


def test_a_month_cut_by_since_and_until_says_so(project: tuple[Path, Path]) -> None:
    # November, from Tuesday the 3rd to Monday the 9th: T2 (4 Nov), T3 (8 Nov) and T4
    # (9 Nov, 00:00Z); T1 (2 Nov) and T5 (10 Nov) are outside.
    root, log = project
    card = scorecard_of(
        root, log, period="month", since=dt.date(2026, 11, 3), until=dt.date(2026, 11, 9)
    )
    (only,) = card.rows
    assert (only.period, only.tickets) == (dt.date(2026, 11, 1), 3)
    text = render(card, "text")
    assert text.startswith("Scorecard by project, monthly, 2026-11-03 to 2026-11-09\n")
    assert "\n  2026-11-03 to 2026-11-09  " in text
    assert "| acme | 2026-11-03 to 2026-11-09 | 3 |" in render(card, "markdown")
    document = json.loads(render(card, "json"))
    assert (document["scorecard"]["first_day"], document["scorecard"]["last_day"]) == (
        "2026-11-03",
        "2026-11-09",
    )
    assert (document["rows"][0]["first_day"], document["rows"][0]["last_day"]) == (
        "2026-11-03",
        "2026-11-09",
    )
    (cells,) = [r for r in csv.DictReader(io.StringIO(render(card, "csv"))) if r["row"] == "group"]
    assert (cells["period"], cells["first_day"], cells["last_day"]) == (
        "2026-11-01",
        "2026-11-03",
        "2026-11-09",
    )
    page = render(card, "html")
    assert "1 month: 2026-11-03 to 2026-11-09" in page
    assert ">2026-11<" not in page  # nowhere called the whole month


def test_a_whole_month_is_called_by_its_name(project: tuple[Path, Path]) -> None:
    root, log = project
    card = scorecard_of(root, log, period="month")
    assert render(card, "text").startswith(
        "Scorecard by project, monthly, 2026-11-01 to 2026-11-30\n"
    )
    assert "| acme | 2026-11 | 5 |" in render(card, "markdown")


# --- plural agreement -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "noun", "nouns", "expected"),
    [
        (0, "call", None, "0 calls"),
        (1, "call", None, "1 call"),
        (2, "call", None, "2 calls"),
        (1234, "ticket", None, "1,234 tickets"),
        (1, "automation mode", None, "1 automation mode"),
        (3, "breach", "breaches", "3 breaches"),
    ],
)
def test_counts_agree_with_their_nouns(
    count: int, noun: str, nouns: str | None, expected: str
) -> None:
    from cprlint.scorecard.words import counted

    assert counted(count, noun, nouns) == expected


@pytest.mark.parametrize(
    ("count", "notes"),
    [
        (
            1,
            [
                "1 malformed line in the logs was left out of every figure:",
                "  logs/a.jsonl:2:1: JSON syntax error: Expecting value",
                "1 ticket has no `started_at` and is in no period.",
                "1 call to `m` has no price and counts as zero: add the model to the policy's "
                "pricing.models.",
            ],
        ),
        (
            3,
            [
                "3 malformed lines in the logs were left out of every figure:",
                "  logs/a.jsonl:2:1: JSON syntax error: Expecting value",
                "  logs/a.jsonl:3:1: JSON syntax error: Expecting value",
                "  logs/a.jsonl:4:1: JSON syntax error: Expecting value",
                "3 tickets have no `started_at` and are in no period.",
                "3 calls to `m` have no price and count as zero: add the model to the policy's "
                "pricing.models.",
            ],
        ),
    ],
)
def test_notes_agree_with_their_counts(count: int, notes: list[str]) -> None:
    from dataclasses import replace

    from cprlint.scorecard.card import Malformed, MalformedLine

    malformed = tuple(
        MalformedLine("logs/a.jsonl", line, 1, "JSON syntax error: Expecting value")
        for line in range(2, 2 + count)
    )
    card = replace(
        hand_made_scorecard(
            hand_made_row("refund", week(1)),
            unpriced=(Unpriced(policy="", model="m", calls=count),),
        ),
        undated_tickets=count,
        malformed=Malformed(count, malformed),
    )
    assert render(card, "text").splitlines()[-len(notes) :] == notes
    markdown = render(card, "markdown")
    assert f"- {notes[0]}" in markdown
    assert f"  - {notes[1].strip()}" in markdown


def test_one_breaching_period_is_one_period() -> None:
    # One of two weeks over its 30% escalation maximum (4 of 10 escalated in week 2).
    card = hand_made_scorecard(
        hand_made_row("refund", week(1), max_escalation_rate="0.3"),
        hand_made_row("refund", week(2), escalated=4, max_escalation_rate="0.3"),
    )
    assert "intent refund  (1 period off limits)" in render(card, "text")


# --- malformed lines: counted, located, the rest scored ---------------------------------


# Each malformed line of scorecard_helpers.MALFORMED_LINES, with its id.
MALFORMED = [pytest.param(*case[1:], id=case[0]) for case in MALFORMED_LINES]


@pytest.mark.parametrize(("line", "column", "message"), MALFORMED)
def test_a_malformed_line_is_left_out_counted_and_located(
    project: tuple[Path, Path], line: bytes, column: int | None, message: str
) -> None:
    root, log = project
    clean = json.loads(render(scorecard_of(root, log), "json"))
    lines = log.read_bytes().splitlines()
    lines.insert(2, line)  # the log's line 3
    log.write_bytes(b"\n".join(lines) + b"\n")
    card = scorecard_of(root, log)
    document = json.loads(render(card, "json"))
    # The rest is scored as if the line had never been there.
    assert document["rows"] == clean["rows"]
    assert document["totals"] == clean["totals"]
    assert document["malformed_lines"]["count"] == 1
    (only,) = card.malformed.first
    assert (only.path, only.line) == (str(log), 3)
    assert only.message.startswith(message)
    if column is not None:
        assert only.column == column


def test_every_malformed_line_is_counted_and_the_first_20_named(
    project: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # 25 broken lines after the log's 6: lines 7 to 31; the first 20 named, 7 to 26.
    root, log = project
    with log.open("a") as out:
        out.writelines(f'{{"id": "B{n}", "events": [}}\n' for n in range(25))
    assert run(["scorecard", str(log), "--policy", str(root / "policies")]) == 0
    printed = capsys.readouterr().out
    assert "25 malformed lines in the logs were left out of every figure; the first 20:" in (
        printed
    )
    named = [line for line in printed.splitlines() if line.startswith(f"  {log}:")]
    assert [int(line.split(":")[1]) for line in named] == list(range(7, 27))
    # Still scored: week 1 of the worked log, 3 tickets.
    assert any(line.split()[:2] == ["2026-11-02", "3"] for line in printed.splitlines())


def test_strict_stops_at_the_first_malformed_line(
    project: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root, log = project
    with log.open("a") as out:
        out.write("not json\n[1]\n")
    err = failure(["scorecard", str(log), "--policy", str(root / "policies"), "--strict"], capsys)
    assert err == (
        f"cprlint: error: log does not match the conversation format: {log}:7:1: "
        "JSON syntax error: Expecting value\n"
    )


def test_malformed_lines_of_gzipped_logs_and_many_files(project: tuple[Path, Path]) -> None:
    # Two logs: the worked one gzipped with a broken line 2, and a second one with a bad
    # line 1 then T6 again under another id. 2 malformed lines; T6' has no started_at.
    root, log = project
    lines = log.read_bytes().splitlines()
    zipped = root / "logs" / "a.jsonl.gz"
    zipped.write_bytes(gzip.compress(b"\n".join([lines[0], b"{", *lines[1:]]) + b"\n"))
    log.unlink()
    other = json.loads(lines[5])
    other["id"] = "T6b"
    (root / "logs" / "b.jsonl").write_text("[]\n" + json.dumps(other) + "\n")
    card = scorecard_of(root, [zipped, root / "logs" / "b.jsonl"])
    assert card.malformed.count == 2
    assert [(m.path, m.line) for m in card.malformed.first] == [
        (str(zipped), 2),
        (str(root / "logs" / "b.jsonl"), 1),
    ]
    assert sum(r.tickets for r in card.rows) == 5  # T1..T5
    assert card.undated_tickets == 2  # T6 and T6b


def test_a_clean_log_is_read_once_natively(
    project: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB's speed for clean logs: no line of them is read in Python."""
    from cprlint.scorecard import engines

    def never(*arguments: object, **options: object) -> object:
        raise AssertionError("a clean log was read again the careful way")

    monkeypatch.setattr(engines, "set_aside", never)
    monkeypatch.setattr(engines, "first_problem", never)
    root, log = project
    assert scorecard_of(root, log).malformed.count == 0


def test_setting_malformed_lines_aside_holds_one_bounded_line(
    tmp_path: Path, counted_reads: list[CountingReader]
) -> None:
    from cprlint.scorecard.sources import set_aside

    log = tmp_path / "long.jsonl"
    write_long_line_log(log, 8 * 1024 * 1024)  # line 2: 8 MiB, cut short
    folder = tmp_path / "kept"
    folder.mkdir()
    kept, malformed = set_aside([log], folder)
    assert malformed.count == 1
    assert str(malformed.first[0]) == (
        f"{log}:2:1: line is 8,388,608 bytes, over the 65,536-byte limit"
    )
    (reader,) = counted_reads
    assert reader.largest == TEST_LINE_LIMIT + 1
    # The copy holds lines 1 and 3, as they were.
    (copy,) = kept
    written = log.read_bytes().splitlines(keepends=True)
    assert copy.path.read_bytes() == written[0] + written[2]


@pytest.mark.parametrize(
    ("started_at", "accepted"),
    [
        ("2026-11-02", True),
        ("2026-11-02T09:15:00Z", True),
        ("2026-11-02T09:15:00+01:00", True),
        ("2026-11-02T09:15:00+0100", True),
        ("2026-11-02T09:15:00+01", True),
        ("2026-11-02 09:15:00", True),
        ("2026-11-02T09:15:00.123456789Z", True),
        ("2026-11-02T09:15Z", False),  # no seconds: Spark does not read it
        ("2026-11-02T24:00:00Z", False),  # DuckDB reads it as the next day, Python not
        ("2026-11-2", False),
        ("2026-02-30", False),
        ("20261102T091500Z", False),
        ("2026-W45-1", False),
        ("2026-11-02t09:15:00Z", False),
    ],
)
def test_started_at_forms_every_engine_reads_alike(started_at: str, accepted: bool) -> None:
    """A form is accepted only if Python and DuckDB read the same instant from it (the
    Spark test holds Spark to the same)."""
    import duckdb
    from cprlint.scorecard.layout import STARTED_AT_FORM
    from cprlint.scorecard.sources import time_problem

    assert (time_problem(started_at, "`started_at`") is None) == accepted
    if accepted:
        connection = duckdb.connect()
        connection.execute("SET TimeZone = 'UTC'")
        (found,) = connection.execute(
            "SELECT CASE WHEN regexp_full_match(?, ?) THEN "
            "CAST(TRY_CAST(? AS TIMESTAMPTZ) AS TIMESTAMP) END",
            [started_at, STARTED_AT_FORM, started_at],
        ).fetchone() or (None,)
        parsed = dt.datetime.fromisoformat(started_at.replace("Z", "+00:00"))
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
        assert found == parsed


def test_required_fields_are_the_fixture_formats() -> None:
    """REQUIRED_FIELDS is the fixture schema's required keys, as far as the layout reads."""
    from cprlint.scorecard.layout import REQUIRED_FIELDS

    schema = json.loads((REPOSITORY / "evaluator" / "data" / "fixture.schema.json").read_text())
    required = {(key,) for key in schema["required"]}
    required |= {("outcome", key) for key in schema["properties"]["outcome"]["required"]}
    assert set(REQUIRED_FIELDS) == (required - {("outcome",)})


def test_log_scale_is_asked_for(
    project: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # Costs per resolution 0.0245 and 0.004, the budget 0.02: all above zero.
    root, log = project
    arguments = ["scorecard", str(log), "--policy", str(root / "policies"), "--format", "html"]
    assert run(arguments) == 0
    assert "Logarithmic scale" not in capsys.readouterr().out
    assert run([*arguments, "--log-scale"]) == 0
    assert "Logarithmic scale (asked for with --log-scale)" in capsys.readouterr().out
