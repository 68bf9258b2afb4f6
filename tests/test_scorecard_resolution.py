"""The scorecard counts a resolution by the policy's `resolution` rule, as `check` does
(cprlint.resolution.judge_resolution), and loads each policy's monthly overhead into the
fully loaded cost per resolution: each clause on a small log, the two vendors' presets, a
ticket without the times a clause needs, overhead over two months, the greeting test
held to `is_greeting`, random tickets under many rules, and the same figures from `check`
and the scorecard. tests/test_scorecard_spark.py holds Spark to the same."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cprlint.documents import Document
from cprlint.model import conversation_from_document, resolution_rule
from cprlint.pricing import builtin_catalog
from cprlint.resolution import is_greeting, judge_resolution
from cprlint.scorecard.build import build_scorecard
from cprlint.scorecard.card import Row, Scorecard
from cprlint.scorecard.engines import DuckDBEngine, Engine
from cprlint.scorecard.policies import load_policies
from cprlint.scorecard.render import render
from cprlint.scorecard.sources import find_logs

from tests.projects import write_fixture
from tests.scorecard_helpers import (
    ASKED,
    CLAUSE_CASES,
    SAME_AS_CHECK_OVERHEAD,
    SAME_AS_CHECK_POLICY_EXTRA,
    clause_ticket,
    rule_policy,
    said,
    same_as_check_conversations,
    write_clause_log,
    write_overhead_log,
    write_preset_log,
)


def scorecard_on(engine: Engine, root: Path, log: Path | list[Path], **options: Any) -> Scorecard:
    logs = find_logs([str(p) for p in (log if isinstance(log, list) else [log])])
    return build_scorecard(
        logs,
        load_policies([root / "policies"]),
        engine,
        engine_name=engine.dialect,
        catalog=builtin_catalog(),
        **options,
    )


def scorecard_of(root: Path, log: Path | list[Path], **options: Any) -> Scorecard:
    engine = DuckDBEngine()
    try:
        return scorecard_on(engine, root, log, **options)
    finally:
        engine.close()


def by_group(card: Scorecard) -> dict[str, Row]:
    rows: dict[str, Row] = {}
    for row in card.rows:
        assert row.group not in rows, "one period expected"
        rows[row.group] = row
    return rows


# --- each clause ------------------------------------------------------------------------


def test_the_clause_table_is_what_check_decides() -> None:
    """CLAUSE_CASES' expected figures are judge_resolution's, so that the scorecard's
    are held to `check`'s through them."""
    for name, rule, events, outcome, (resolved, untimed) in CLAUSE_CASES:
        conversation = conversation_from_document(
            Document("f.jsonl", clause_ticket(name, events, outcome))
        )
        assert conversation is not None
        judgement = judge_resolution(conversation, resolution_rule(rule))
        assert (int(judgement.resolved), int(bool(judgement.untimed))) == (resolved, untimed), name


def test_each_clause_on_a_small_log(tmp_path: Path) -> None:
    # One ticket a project, each under a policy with one clause (CLAUSE_CASES): the
    # project's row resolves it (1) or not (0), and says whether a time was missing.
    card = scorecard_of(tmp_path, write_clause_log(tmp_path), dimension="project")
    rows = by_group(card)
    found = {name: (rows[name].resolved, rows[name].untimed) for name in rows}
    assert found == {name: expected for name, _, _, _, expected in CLAUSE_CASES}
    # Every ticket one $0.001 call: a resolved one's CPR is $0.001, its fully loaded CPR
    # the same (no human cost, no overhead).
    for name, row in rows.items():
        assert (row.tickets, row.ai_cost) == (1, Decimal("0.001")), name
        if row.resolved:
            assert row.fully_loaded_cost_per_resolution == Decimal("0.001")


def test_a_ticket_counted_by_one_preset_and_not_the_other(tmp_path: Path) -> None:
    # PRESET_TICKETS under both: Intercom Fin counts A, B (an agent wrote) and C (wrote
    # again after 30 h, past 24 h): 3; Zendesk messaging counts A and D (the greeting
    # answered): 2. AI cost 4 x $0.001 = $0.004 each: CPR 0.004 / 3 and 0.004 / 2.
    card = scorecard_of(tmp_path, write_preset_log(tmp_path), dimension="project")
    rows = by_group(card)
    assert (rows["intercom"].resolved, rows["zendesk"].resolved) == (3, 2)
    assert rows["intercom"].cost_per_resolution == Decimal("0.004") / 3
    assert rows["zendesk"].cost_per_resolution == Decimal("0.002")


def test_an_agent_message_voids_under_zendesk_only(tmp_path: Path) -> None:
    # The same ticket (an answer, then a human agent's note) under each preset.
    tickets = [
        clause_ticket(
            f"{project}-1",
            [*ASKED, said("agent", "I've added a note to your order.", 0.5)],
            {},
            project=project,
        )
        for project in ("intercom", "zendesk")
    ]
    (tmp_path / "policies").mkdir()
    for project, preset in (("intercom", "intercom-fin"), ("zendesk", "zendesk-messaging")):
        (tmp_path / "policies" / f"{project}.yaml").write_text(
            rule_policy(project, {"preset": preset})
        )
    log = write_fixture(tmp_path / "log.jsonl", tickets)
    rows = by_group(scorecard_of(tmp_path, log))
    assert (rows["intercom"].resolved, rows["zendesk"].resolved) == (1, 0)


# --- times a clause needs and does not have ---------------------------------------------


def test_a_ticket_without_the_times_is_judged_by_the_rest_and_counted_apart(
    tmp_path: Path,
) -> None:
    # Two tickets under `assumed_after: 24h`: U wrote again after the answer without a
    # time (cannot be told: judged by the rest, counted; untimed), T did not write again.
    # Resolved 2 of 2; untimed 1.
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "acme.yaml").write_text(rule_policy("acme", {"assumed_after": "24h"}))
    tickets = [
        clause_ticket("U", [*ASKED, said("user", "hm")], {}, project="acme"),
        clause_ticket("T", ASKED, {}, project="acme"),
    ]
    card = scorecard_of(tmp_path, write_fixture(tmp_path / "log.jsonl", tickets))
    (row,) = card.rows
    assert (row.tickets, row.resolved, row.untimed) == (2, 2, 1)
    assert card.untimed_tickets == 1
    note = (
        "1 ticket lacks the times the resolution rule needs (`at` on the messages, "
        "`outcome.reopened_at`) for `assumed_after` or `reopened_within`: it was judged by "
        "the rest of the rule, never guessed."
    )
    assert note in render(card, "text")
    assert "1 ticket lacks the times" in render(card, "markdown")
    assert "1 ticket lacks the times" in render(card, "html")
    document = json.loads(render(card, "json"))
    assert (document["untimed_tickets"], document["rows"][0]["untimed"]) == (1, 1)
    assert document["totals"][0]["untimed"] == 1
    rows = list(csv.DictReader(io.StringIO(render(card, "csv"))))
    assert [r["untimed"] for r in rows] == ["1", "1"]  # the row, and its total


def test_a_bad_time_is_a_malformed_line_as_a_bad_started_at_is(tmp_path: Path) -> None:
    # An event's `at` and `outcome.reopened_at` are read as `started_at` is: a value
    # in no form every engine reads alike leaves the line out, named.
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "acme.yaml").write_text(rule_policy("acme", {}))
    good = clause_ticket("G", ASKED, {}, project="acme")
    bad_at = clause_ticket("B1", [said("user", "hi"), {**said("user", "x"), "at": "10am"}], {})
    bad_reopened = clause_ticket("B2", ASKED, {"reopened_at": "2026-11-02T09Z"})
    log = write_fixture(tmp_path / "log.jsonl", [good, bad_at, bad_reopened])
    card = scorecard_of(tmp_path, log)
    assert [(row.tickets, row.resolved) for row in card.rows] == [(1, 1)]
    assert [(item.line, item.message) for item in card.malformed.first] == [
        (
            2,
            "`events[1].at` '10am' is not an ISO 8601 date-time such as "
            "2026-11-02T09:15:00Z, 2026-11-02T10:15:00+01:00 or 2026-11-02",
        ),
        (
            3,
            "`outcome.reopened_at` '2026-11-02T09Z' is not an ISO 8601 date-time such as "
            "2026-11-02T09:15:00Z, 2026-11-02T10:15:00+01:00 or 2026-11-02",
        ),
    ]


# --- overhead ---------------------------------------------------------------------------


def test_overhead_over_two_months_of_different_ticket_counts(tmp_path: Path) -> None:
    # $900 a month (OVERHEAD_STARTS). October: 4 tickets in the log (the 5th, the 29th,
    # and two at 23:30 UTC on the 31st, one written as 00:30+01:00 on 1 November), so
    # $900 / 4 = $225 each; November: 2 (the 1st, the 10th), $900 / 2 = $450 each; the
    # undated ticket: none. AI cost $0.001 a ticket, every ticket resolved.
    log = write_overhead_log(tmp_path)
    monthly = scorecard_of(tmp_path, log, period="month")
    october, november = monthly.rows
    assert (october.tickets, october.overhead) == (4, Decimal(900))
    assert (november.tickets, november.overhead) == (2, Decimal(900))
    # The AI CPR knows nothing of it; the fully loaded one carries it:
    # October (0.004 + 900) / 4 = 225.001; November (0.002 + 900) / 2 = 450.001.
    assert october.cost_per_resolution == Decimal("0.001")
    assert october.fully_loaded_cost_per_resolution == Decimal("225.001")
    assert november.fully_loaded_cost_per_resolution == Decimal("450.001")
    assert monthly.undated_tickets == 1

    # Weekly: the week of 5 October the 5th: $225; the week of 26 October the 29th and
    # the two of the 31st ($225 each) and Sunday 1 November ($450): $1,125; the week of
    # 9 November the 10th: $450. All: $1,800, two months' overhead.
    weekly = scorecard_of(tmp_path, log, period="week")
    assert [(row.period.isoformat(), row.tickets, row.overhead) for row in weekly.rows] == [
        ("2026-10-05", 1, Decimal(225)),
        ("2026-10-26", 4, Decimal(1125)),
        ("2026-11-09", 1, Decimal(450)),
    ]
    assert weekly.overhead == Decimal(1800)

    # --since 2026-10-29 cuts October's 5th out of the rows, not out of the month: the
    # tickets left of October still carry $900 / 4 each, not $900 / 3.
    cut = scorecard_of(tmp_path, log, period="month", since=dt.date(2026, 10, 29))
    assert [(row.tickets, row.overhead) for row in cut.rows] == [
        (3, Decimal(675)),
        (2, Decimal(900)),
    ]


def test_overhead_is_shown_apart_in_every_format(tmp_path: Path) -> None:
    card = scorecard_of(tmp_path, write_overhead_log(tmp_path), period="month")
    text = render(card, "text")
    assert "overhead" in text.splitlines()[3]  # the totals' header
    assert "$900.00" in text
    assert "Overhead: each policy's `pricing.overhead`" in text
    markdown = render(card, "markdown")
    header = markdown.splitlines()[2].split(" | ")
    assert header[4:7] == ["AI spend", "human cost", "overhead"]
    assert "| acme | 2026-10 | 4 | 4 | $0.00400 | $0.00 | $900.00 |" in markdown
    document = json.loads(render(card, "json"))
    assert [row["overhead"] for row in document["rows"]] == [900, 900]
    assert document["rows"][0]["fully_loaded_cost_per_resolution"] == 225.001
    assert document["rows"][0]["cost_per_resolution"] == 0.001
    rows = list(csv.DictReader(io.StringIO(render(card, "csv"))))
    assert [(r["row"], r["overhead"]) for r in rows] == [
        ("group", "900.000000000"),
        ("group", "900.000000000"),
        ("total", "900.000000000"),
        ("total", "900.000000000"),
    ]
    page = render(card, "html")
    assert '<th scope="col" class="num">Overhead</th>' in page
    assert "overhead $1,800.00" in page


def test_an_overhead_that_does_not_divide_is_divided_once(tmp_path: Path) -> None:
    # $1,000 a month over 3 October tickets: each row's share is 1000 x n / 3, worked
    # out in one division: the three tickets together carry exactly $1,000 / 3 x 3.
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "acme.yaml").write_text(
        rule_policy("acme", {}, "  overhead: {platform: 1000}\n")
    )
    tickets = [
        {**clause_ticket(f"O{day}", ASKED, {}, project="acme"), "started_at": f"2026-10-{day:02d}"}
        for day in (5, 6, 20)
    ]
    log = write_fixture(tmp_path / "log.jsonl", tickets)
    (week_5, week_19) = scorecard_of(tmp_path, log).rows
    assert week_5.overhead == Decimal(2000) / 3
    assert week_19.overhead == Decimal(1000) / 3


# --- greetings: is_greeting itself ---------------------------------------------------------

# Texts to tell greetings from: the greetings `check` knows, as people write them
# (case, punctuation, emoji, a name, full-width letters, accents composed or not, spaces
# of every kind), and texts that are not greetings, some close to one.
GREETING_TEXTS = [
    "hi", "Hi", "HI!", "hello", "Hello there!", "hey", "hey there", "hiya", "yo", "hallo",
    "hola", "Hola 👋", "bonjour", "salut", "ciao", "olá", "ola\u0301", "ola", "moin",
    "servus", "hej", "hei", "namaste", "greetings", "howdy", "good morning",
    "Good afternoon!", "good evening", "Guten Tag", "buenos días", "buenos dias",
    "bom dia", "buongiorno", "hi anna", "hello there anna", "hi there, anna!",
    "good morning anna", "\uff28\uff29", "\uff48\uff45\uff4c\uff4c\uff4f", "\u00a0hi\u2003", "hi\n", "\thello\t",
    "...hi...", "hi!!!!!!!!!!!!!!!!!!!!!!!!", "👋 hello", "hi 👋👋", "¡hola!", "HeLLo",
    "hi hi", "hi hi hi", "hi hi hi hi", "hello I need a refund", "Hi, my card is blocked",
    "thanks", "", " ", "👋", "hi-5", "hi_there", "hi there you all", "good", "morning",
    "guten", "hello?", "h i", "hī", "Привет", "こんにちは", "hi\u200bthere", "\u0130", "h\u0131",
    "\ufb01", "hello\u0000", "greetings, earthling", "yo yo", "helloo", "hell o",
]  # fmt: skip


def greeting_log(path: Path, texts: list[Any]) -> Path:
    """Each text as the user's message of a ticket of its own, `G<n>`."""
    tickets = [
        clause_ticket(f"G{number}", [{"type": "message", "role": "user", "text": text}], {})
        for number, text in enumerate(texts)
    ]
    return write_fixture(path, tickets)


def greetings_found(engine: Engine, log: Path) -> dict[str, Any]:
    """The `greeting` column the engine's loader made, by ticket."""
    engine.load(find_logs([str(log)]))
    return {
        str(ticket): greeting
        for ticket, greeting in engine.rows(
            "SELECT conversation_id, greeting FROM events WHERE role = 'user'"
        )
    }


def random_texts(seed: int, count: int) -> list[str]:
    """Short texts of greeting words, punctuation, spaces and other characters."""
    rng = random.Random(seed)
    pieces = [
        "hi", "hello", "there", "good", "morning", "Tag", "días", "anna", "!", ",", " ",
        "  ", "👋", "\u00a0", "?", "x", "I need", "\uff28\uff49", "-", "_", "\u0301", "1",
    ]  # fmt: skip
    return ["".join(rng.choice(pieces) for _ in range(rng.randrange(1, 6))) for _ in range(count)]


def test_duckdb_tells_greetings_as_is_greeting_does(tmp_path: Path) -> None:
    texts = GREETING_TEXTS + random_texts(1, 300)
    engine = DuckDBEngine()
    try:
        found = greetings_found(engine, greeting_log(tmp_path / "log.jsonl", texts))
    finally:
        engine.close()
    assert found == {f"G{number}": is_greeting(text) for number, text in enumerate(texts)}
    assert sum(found.values()) > 60  # (the table holds greetings, not only other texts)


def test_a_text_that_is_not_one_is_no_greeting(tmp_path: Path) -> None:
    # `check` reads a message's text that is not a text as none: 5, true and null are
    # not greetings. A list or a mapping is a malformed line (Spark would read ["hi"]
    # as the text `["hi"]`, a greeting).
    log = greeting_log(tmp_path / "log.jsonl", [5, True, None, "hi"])
    engine = DuckDBEngine()
    try:
        assert greetings_found(engine, log) == {"G0": False, "G1": False, "G2": False, "G3": True}
    finally:
        engine.close()
    listed = greeting_log(tmp_path / "listed.jsonl", [["hi"], {"hi": 1}, '["hi"]'])
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "p.yaml").write_text(rule_policy("p", {}))
    card = scorecard_of(tmp_path, listed)
    assert [item.message for item in card.malformed.first] == [
        '`events[0].text` of a message must be a text, not ["hi"]',
        '`events[0].text` of a message must be a text, not {"hi": 1}',
    ]
    assert card.rows[0].tickets == 1  # the text `["hi"]` is a text


# --- random tickets under many rules ---------------------------------------------------------

# Rules that together try every clause, alone and together.
RULES: list[dict[str, Any]] = [
    {},
    {"preset": "intercom-fin"},
    {"preset": "zendesk-messaging"},
    {"reopened_within": "7d"},
    {"reopened_within": "24h", "assumed_after": "24h", "resolved_by": ["ai"]},
    {"void_when": {"csat_below": 4, "agent_message": True, "greeting_only": True}},
    {"exclude_reopened": False, "statuses": ["resolved", "escalated"]},
    {"confirmed_only": True, "reopened_within": "1d12h"},
    {"assumed_after": "90m", "void_when": {"greeting_only": True}, "resolved_by": ["human"]},
]
# Minutes after T0: on, before and after the windows' ends (90 m, 24 h, 36 h, 72 h, 7 d).
MOMENTS = [0, 30, 89, 90, 91, 600, 1440, 1441, 2160, 2161, 4320, 4321, 10080, 10081]
TEXTS = ["hi", "Hello there!", "hola 👋", "Hi, my card is blocked", "thanks", "", "\uff28\uff29"]


def random_ticket(rng: random.Random, identifier: str) -> dict[str, Any]:
    """A ticket of up to 6 events, messages from anyone at any of MOMENTS (or none),
    and any outcome."""

    def moment() -> str | None:
        return said("user", "", rng.choice(MOMENTS) / 60)["at"] if rng.random() < 0.8 else None

    events: list[dict[str, Any]] = []
    for _ in range(rng.randrange(0, 7)):
        if rng.random() < 0.8:
            role = rng.choice(["user", "user", "assistant", "assistant", "agent", "system"])
            event = said(role, rng.choice(TEXTS))
        else:
            event = {"type": rng.choice(["llm_call", "escalation"])}
        if (when := moment()) is not None:
            event["at"] = when
        events.append(event)
    outcome: dict[str, Any] = {"status": rng.choice(["resolved", "resolved", "escalated"])}
    outcome["resolved_by"] = rng.choice(["ai", "human", None])
    if rng.random() < 0.3:
        outcome["reopened"] = rng.random() < 0.7
    if rng.random() < 0.3:
        outcome["reopened_at"] = moment()
    if rng.random() < 0.4:
        outcome["confirmed"] = rng.random() < 0.5
    if rng.random() < 0.4:
        outcome["csat"] = rng.randrange(0, 7)
    return clause_ticket(identifier, events, outcome)


def write_random_log(root: Path, seed: int, tickets: int = 40) -> dict[str, tuple[int, int]]:
    """`tickets` random tickets under each rule of RULES (the rule's project `r<i>`, a
    queue a ticket); returns what `check` decides of each: (resolved, untimed)."""
    rng = random.Random(seed)
    drawn = [random_ticket(rng, f"t{number}") for number in range(tickets)]
    (root / "policies").mkdir(parents=True, exist_ok=True)
    lines = []
    expected = {}
    for index, rule in enumerate(RULES):
        (root / "policies" / f"r{index}.yaml").write_text(rule_policy(f"r{index}", rule))
        for ticket in drawn:
            copy = {**ticket, "project": f"r{index}", "id": f"r{index}-{ticket['id']}"}
            copy["queue"] = copy["id"]
            lines.append(copy)
            conversation = conversation_from_document(Document("log.jsonl", copy))
            assert conversation is not None
            judgement = judge_resolution(conversation, resolution_rule(rule))
            expected[copy["queue"]] = (int(judgement.resolved), int(bool(judgement.untimed)))
    write_fixture(root / "logs" / "random.jsonl", lines)
    return expected


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_tickets_are_judged_as_check_judges_them(tmp_path: Path, seed: int) -> None:
    expected = write_random_log(tmp_path, seed)
    card = scorecard_of(tmp_path, tmp_path / "logs" / "random.jsonl", dimension="queue")
    assert {row.group: (row.resolved, row.untimed) for row in card.rows} == expected
    # (and the draw tried both outcomes, and times missing)
    assert 0 < sum(resolved for resolved, _ in expected.values()) < len(expected)
    assert sum(untimed for _, untimed in expected.values()) > 0


# --- the same figures from check and from the scorecard -------------------------------


def check_and_log(root: Path) -> tuple[Any, Path]:
    """The tickets of same_as_check_conversations as a fixture project that `check`
    replays (root/project) and as a log (root/log.jsonl) under the same policy; returns
    check's run and the log."""
    from tests.test_replay import POLICY, make_project, run_check

    policy = (
        POLICY.replace(
            "  human: {per_minute: 0.90}\n",
            "  human: {per_minute: 0.90}\n" + SAME_AS_CHECK_OVERHEAD,
        )
        + SAME_AS_CHECK_POLICY_EXTRA
    )
    conversations = same_as_check_conversations()
    run = run_check(make_project(root / "project", conversations, policy=policy))
    return run, write_fixture(root / "log.jsonl", conversations)


def assert_same_as_check(run: Any, card: Scorecard) -> None:
    """The scorecard's one November row has check's figures, and the hand-worked ones:
    A (answered): counted; B (wrote again after 2 h): assumed_after; C (an agent
    wrote): counted; D (escalated, 10 min of a human): status; E (a greeting answered):
    greeting_only; F (reopened): reopened; G (confirmed, then wrote): counted; H (wrote
    again without a time): counted, untimed. Resolved: A, C, G, H = 4.
    AI cost: A to F one m-econ call each, 6 x $0.001; G (billing_dispute) one m-prem
    call, 1,000 x $10 + 100 x $40 per 1M = $0.014; H $0.001 + retrieval $0.0004 + lookup $0.001 = $0.0024:
    $0.0224; AI CPR 0.0224 / 4 = $0.0056.
    Human: 10 min x $0.90 = $9. Overhead: $400 / 8 tickets = $50 each, $400.
    Fully loaded CPR: (0.0224 + 9 + 400) / 4 = $102.2556."""
    summary = run.aggregates.overall.summary
    (row,) = card.rows
    assert (row.tickets, row.resolved) == (summary.conversations, summary.resolved) == (8, 4)
    assert row.cost_per_resolution == summary.cost_per_resolution == Decimal("0.0056")
    assert row.overhead == summary.overhead_cost == Decimal(400)
    assert (
        row.fully_loaded_cost_per_resolution
        == summary.fully_loaded_cost_per_resolution
        == Decimal("102.2556")
    )
    assert row.untimed == sum(run.tally.untimed["t"].values()) == 1


def test_the_same_figures_from_check_and_the_scorecard(tmp_path: Path) -> None:
    run, log = check_and_log(tmp_path)
    card = scorecard_of(tmp_path / "project", log, period="month")
    assert_same_as_check(run, card)


def test_the_same_figures_from_a_parquet_log(tmp_path: Path) -> None:
    from cprlint.scorecard.run import convert

    run, log = check_and_log(tmp_path)
    parquet = tmp_path / "log.parquet"
    convert([str(log)], parquet)
    assert_same_as_check(run, scorecard_of(tmp_path / "project", parquet, period="month"))


def test_an_old_parquet_log_is_refused_with_what_it_lacks(tmp_path: Path) -> None:
    # A Parquet log written before the layout held what the rule reads: refused, with
    # the columns it lacks, rather than judged without them.
    import duckdb
    from cprlint.errors import CprlintError
    from cprlint.scorecard.layout import EVENT_COLUMNS

    old = [c for c in EVENT_COLUMNS if c.name not in ("event_at", "role", "greeting")]
    parquet = tmp_path / "old.parquet"
    columns = ", ".join(f"CAST(NULL AS {c.sql_type}) AS {c.name}" for c in old)
    duckdb.sql(f"COPY (SELECT {columns}) TO '{parquet}' (FORMAT parquet)")
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "p.yaml").write_text(rule_policy("p", {}))
    with pytest.raises(CprlintError, match="no column `event_at`, `role`, `greeting`"):
        scorecard_of(tmp_path, parquet)


def test_greeting_texts_are_never_kept(tmp_path: Path) -> None:
    # The Parquet layout holds whether the customer only said hello, not what they said.
    import duckdb
    from cprlint.scorecard.run import convert

    log = greeting_log(tmp_path / "log.jsonl", ["Hi there!", "My card number is 4111"])
    parquet = tmp_path / "log.parquet"
    convert([str(log)], parquet)
    assert b"4111" not in parquet.read_bytes()
    assert duckdb.sql(
        f"SELECT conversation_id, greeting FROM read_parquet('{parquet}') "
        "WHERE role = 'user' ORDER BY 1"
    ).fetchall() == [("G0", True), ("G1", False)]
