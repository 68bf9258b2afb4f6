"""The one definition on both engines: the same log gives the same scorecard on DuckDB
and on Spark (local mode), to the last unit of money. Spark too reads a log's name as a
name, never a pattern, and when it cannot start says why in one line, its JVM silent.

Spark needs Java and `cprlint[spark]`; without them these tests are skipped, unless
CPRLINT_REQUIRE_SPARK=1 (as CI sets it), where a missing engine is a failure.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cprlint.pricing import builtin_catalog
from cprlint.scorecard.build import build_scorecard
from cprlint.scorecard.engines import DuckDBEngine, Engine, SparkEngine
from cprlint.scorecard.policies import load_policies
from cprlint.scorecard.render import render
from cprlint.scorecard.sources import find_logs

from tests.projects import write_fixture
from tests.scorecard_helpers import (
    CONVERSATIONS,
    MALFORMED_LINES,
    REPOSITORY,
    call,
    conversation,
    log_from_fixtures,
    write_project,
)


def _spark_missing() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "PySpark is not installed (pip install 'cprlint[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime for Spark"
    return None


MISSING = _spark_missing()
if MISSING and os.environ.get("CPRLINT_REQUIRE_SPARK") == "1":
    raise RuntimeError(f"CPRLINT_REQUIRE_SPARK=1 but {MISSING}")
pytestmark = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")


@pytest.fixture(scope="module")
def spark() -> Engine:
    return SparkEngine(master="local[2]")


def scorecard_json(
    engine: Engine, name: str, logs: list[Path], policies: Path, **options: Any
) -> Any:
    card = build_scorecard(
        find_logs([str(p) for p in logs]),
        load_policies([policies]),
        engine,
        engine_name=name,
        catalog=builtin_catalog(),
        **options,
    )
    document = json.loads(render(card, "json"))
    document["scorecard"].pop("engine")
    return document


def both(spark: Engine, logs: list[Path], policies: Path, **options: Any) -> tuple[Any, Any]:
    duckdb = DuckDBEngine()
    try:
        on_duckdb = scorecard_json(duckdb, "duckdb", logs, policies, **options)
    finally:
        duckdb.close()
    return on_duckdb, scorecard_json(spark, "spark", logs, policies, **options)


def test_the_hand_worked_log_is_the_same_on_spark(spark: Engine, tmp_path: Path) -> None:
    log = write_project(tmp_path)
    for dimension in ("project", "intent"):
        on_duckdb, on_spark = both(spark, [log], tmp_path / "policies", dimension=dimension)
        assert on_spark == on_duckdb
        if dimension == "project":
            # the week worked by hand in tests/test_scorecard.py: 0.019 + 0.0048 + 0.0007
            assert on_spark["rows"][0]["ai_cost"] == 0.0245


def test_a_realistic_log_in_jsonl_and_parquet_is_the_same_on_spark(
    spark: Engine, tmp_path: Path
) -> None:
    log = tmp_path / "log.jsonl"
    lines = log_from_fixtures(log, lambda n: f"2026-10-{1 + n % 31:02d}T{n % 24:02d}:30:00+01:00")
    parquet = tmp_path / "log.parquet"
    from cprlint.scorecard.run import convert

    convert([str(log)], parquet)
    for logs in ([log], [parquet]):
        on_duckdb, on_spark = both(
            spark, logs, REPOSITORY / "policies", dimension="queue", period="week"
        )
        on_duckdb["scorecard"]["logs"] = on_spark["scorecard"]["logs"]
        assert on_spark == on_duckdb
        assert sum(row["tickets"] for row in on_spark["rows"]) == len(lines)


def test_spark_names_the_broken_line_too(spark: Engine, tmp_path: Path) -> None:
    from cprlint.errors import CprlintError

    log = write_project(tmp_path)
    text = log.read_text().splitlines()
    text.insert(1, '{"id": "B1", "intent": 7')
    log.write_text("\n".join(text) + "\n")
    with pytest.raises(CprlintError, match=r"requests\.jsonl:2:"):
        scorecard_json(spark, "spark", [log], tmp_path / "policies", strict=True)


# Spark reads a line that gives a key twice without a word (the last value, as `check`
# reads it), so only another malformed line makes it read the log the careful way; on
# its own, such a line is scored by Spark and left out by DuckDB (docs/scorecard.md).
READ_BY_SPARK_ALONE = {"a key twice"}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        pytest.param(line, message, id=name)
        for name, line, _, message in MALFORMED_LINES
        if name not in READ_BY_SPARK_ALONE
    ],
)
def test_a_malformed_line_is_left_out_on_spark_as_on_duckdb(
    spark: Engine, tmp_path: Path, line: bytes, message: str
) -> None:
    log = write_project(tmp_path)
    lines = log.read_bytes().splitlines()
    lines.insert(2, line)
    log.write_bytes(b"\n".join(lines) + b"\n")
    on_duckdb, on_spark = both(spark, [log], tmp_path / "policies")
    assert on_spark == on_duckdb
    # The worked log's two weeks, and one line, the log's third, left out.
    assert [row["tickets"] for row in on_spark["rows"]] == [3, 2]
    (named,) = on_spark["malformed_lines"]["first"]
    assert (named["line"], on_spark["malformed_lines"]["count"]) == (3, 1)
    assert named["message"].startswith(message)


def test_a_log_with_every_kind_of_malformed_line_is_the_same_on_spark(
    spark: Engine, tmp_path: Path
) -> None:
    # The fixtures as a log over October, with every malformed line of MALFORMED_LINES
    # (18, the key given twice among them) put in after every 20th line: all counted,
    # in order, and the 344 conversations scored.
    log = tmp_path / "log.jsonl"
    good = log_from_fixtures(log, lambda n: f"2026-10-{1 + n % 31:02d}T{n % 24:02d}:30:00Z")
    lines: list[bytes] = []
    for number, text in enumerate(good):
        lines.append(text.encode())
        if number % 20 == 0 and number // 20 < len(MALFORMED_LINES):
            lines.append(MALFORMED_LINES[number // 20][1])
    log.write_bytes(b"\n".join(lines) + b"\n")
    on_duckdb, on_spark = both(
        spark, [log], REPOSITORY / "policies", dimension="intent", period="week"
    )
    assert on_spark == on_duckdb
    assert on_spark["malformed_lines"]["count"] == len(MALFORMED_LINES)
    assert [item["line"] for item in on_spark["malformed_lines"]["first"]] == [
        2 + 21 * index for index in range(len(MALFORMED_LINES))
    ]
    assert sum(row["tickets"] for row in on_spark["rows"]) == len(good)
    assert sum(total["tickets"] for total in on_spark["totals"]) == len(good)


def test_spark_reads_started_at_as_duckdb_and_python_do(spark: Any) -> None:
    """Every form STARTED_AT_FORM lets through is the same instant to Spark as to
    Python (and so to DuckDB: tests/test_scorecard.py)."""
    import datetime as dt

    from cprlint.scorecard.layout import STARTED_AT_FORM

    forms = [
        "2026-11-02",
        "2026-11-02T09:15:00Z",
        "2026-11-02T09:15:00+01:00",
        "2026-11-02T09:15:00-0130",
        "2026-11-02T09:15:00+01",
        "2026-11-02 09:15:00",
        "2026-11-02T09:15:00.123456Z",
    ]
    frame = spark.session.createDataFrame([(form,) for form in forms], "s string")
    frame.createOrReplaceTempView("forms")
    found = spark.session.sql(
        f"SELECT CASE WHEN s RLIKE '^(?:{STARTED_AT_FORM})$' "
        "THEN CAST(TRY_CAST(s AS TIMESTAMP) AS TIMESTAMP_NTZ) END FROM forms"
    ).collect()
    for form, (value,) in zip(forms, found, strict=True):
        parsed = dt.datetime.fromisoformat(form.replace("Z", "+00:00"))
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
        assert value == parsed, form


@pytest.mark.parametrize(
    ("named", "beside"),
    [
        ("[a]", ["a"]),  # a character class, matching `a`
        ("a*", ["a", "ab"]),
        ("?", ["a", "b"]),
        ("{a,b}", ["a", "b"]),  # Hadoop's alternatives
    ],
)
def test_a_log_name_is_never_a_pattern_on_spark(
    spark: Engine, tmp_path: Path, named: str, beside: list[str]
) -> None:
    write_project(tmp_path)  # the policy
    folder = tmp_path / "glob"
    # The named log: one ticket, N1, 1,000 input tokens of small-1 at $1/1M = $0.001;
    # each file beside it that the pattern would match: ten tickets.
    log = write_fixture(
        folder / f"{named}.jsonl",
        [conversation("N1", "2026-11-03T10:00:00Z", events=[call("small-1", input_tokens=1000)])],
    )
    for name in beside:
        tickets = [
            conversation(f"{name}-{n}", "2026-11-03T10:00:00Z", events=[]) for n in range(10)
        ]
        write_fixture(folder / f"{name}.jsonl", tickets)
    document = scorecard_json(spark, "spark", [log], tmp_path / "policies")
    assert [(r["tickets"], r["ai_cost"]) for r in document["rows"]] == [(1, 0.001)]


def test_a_log_spark_would_skip_is_refused(spark: Engine, tmp_path: Path) -> None:
    from cprlint.errors import CprlintError

    write_project(tmp_path)
    for name in ("_underscore.jsonl", ".dot.jsonl"):
        log = write_fixture(tmp_path / name, CONVERSATIONS)
        with pytest.raises(CprlintError, match=r"Spark skips files whose names start with"):
            scorecard_json(spark, "spark", [log], tmp_path / "policies")


# The command line, with the check of --spark-master before Spark starts put aside, so
# that Spark itself judges the master, in a process of its own (a JVM is one a process).
UNCHECKED_CLI = (
    "import cprlint.scorecard.options as options\n"
    "options.check_spark_master = lambda master: master\n"
    "from cprlint.cli import main\n"
    "main()\n"
)


def unchecked_cli(
    tmp_path: Path, *args: str, **environment: str
) -> subprocess.CompletedProcess[str]:
    log = write_project(tmp_path)
    return subprocess.run(
        [sys.executable, "-c", UNCHECKED_CLI, "scorecard", str(log), "--engine", "spark", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp_path,
        env={**os.environ, **environment},
    )


def test_a_master_spark_refuses_is_one_line_and_the_jvm_says_nothing(tmp_path: Path) -> None:
    # Spark's launcher prints a warning and a Java stack of 9 lines for this; all of it
    # goes to the JVM's own file, and its reason to the one line.
    completed = unchecked_cli(tmp_path, "--spark-master", "nonsense://x")
    assert (completed.returncode, completed.stdout) == (2, "")
    assert completed.stderr == (
        "cprlint: error: Spark did not start: "
        "Master must either be yarn or start with spark, k8s, or local\n"
    )


def test_java_that_is_not_there_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "no-java"
    completed = unchecked_cli(tmp_path, JAVA_HOME=str(missing))
    assert (completed.returncode, completed.stdout) == (2, "")
    assert completed.stderr.count("\n") == 1, completed.stderr
    assert completed.stderr.startswith("cprlint: error: Spark did not start: ")
    assert f"{missing}/bin/java" in completed.stderr


# --- the resolution rule and overhead (tests/test_scorecard_resolution.py) -------------


def test_each_clause_is_judged_on_spark_as_on_duckdb(spark: Engine, tmp_path: Path) -> None:
    from tests.scorecard_helpers import CLAUSE_CASES, write_clause_log

    log = write_clause_log(tmp_path)
    on_duckdb, on_spark = both(spark, [log], tmp_path / "policies", dimension="project")
    assert on_spark == on_duckdb
    found = {row["group"]: (row["resolved"], row["untimed"]) for row in on_spark["rows"]}
    assert found == {name: expected for name, _, _, _, expected in CLAUSE_CASES}


def test_presets_are_the_same_on_spark(spark: Engine, tmp_path: Path) -> None:
    from tests.scorecard_helpers import write_preset_log

    log = write_preset_log(tmp_path)
    on_duckdb, on_spark = both(spark, [log], tmp_path / "policies", dimension="project")
    assert on_spark == on_duckdb
    # Intercom Fin counts A, B and C; Zendesk messaging A and D (test_scorecard_resolution).
    assert [(row["group"], row["resolved"]) for row in on_spark["rows"]] == [
        ("intercom", 3),
        ("zendesk", 2),
    ]


@pytest.mark.parametrize(
    "options",
    [
        {"period": "month"},
        {"period": "week"},
        {"period": "month", "since": dt.date(2026, 10, 29)},
    ],
)
def test_overhead_is_the_same_on_spark(
    spark: Engine, tmp_path: Path, options: dict[str, Any]
) -> None:
    from tests.scorecard_helpers import write_overhead_log

    log = write_overhead_log(tmp_path)
    on_duckdb, on_spark = both(spark, [log], tmp_path / "policies", **options)
    assert on_spark == on_duckdb
    # $900 a month: October's 4 tickets carry $225 each, November's 2 $450 (worked in
    # test_scorecard_resolution.py); a cut leaves October's share per ticket alone.
    expected = {
        "month": [900, 900],
        "week": [225, 1125, 450],
    }.get(options["period"])
    if "since" in options:
        expected = [675, 900]
    assert [row["overhead"] for row in on_spark["rows"]] == expected


def test_random_tickets_are_judged_on_spark_as_check_judges_them(
    spark: Engine, tmp_path: Path
) -> None:
    from tests.test_scorecard_resolution import scorecard_on, write_random_log

    expected = write_random_log(tmp_path, seed=4)
    card = scorecard_on(spark, tmp_path, tmp_path / "logs" / "random.jsonl", dimension="queue")
    assert {row.group: (row.resolved, row.untimed) for row in card.rows} == expected


def test_the_same_figures_from_check_duckdb_and_spark(spark: Engine, tmp_path: Path) -> None:
    """Resolved tickets, AI and fully loaded cost per resolution: `check` replaying the
    conversations as fixtures, and both engines scoring them as a log (the figures are
    worked out in test_scorecard_resolution.assert_same_as_check)."""
    from tests.test_scorecard_resolution import assert_same_as_check, check_and_log, scorecard_on

    run, log = check_and_log(tmp_path)
    duckdb = DuckDBEngine()
    try:
        assert_same_as_check(run, scorecard_on(duckdb, tmp_path / "project", log, period="month"))
    finally:
        duckdb.close()
    assert_same_as_check(run, scorecard_on(spark, tmp_path / "project", log, period="month"))


def test_spark_tells_greetings_as_is_greeting_does(spark: Engine, tmp_path: Path) -> None:
    from cprlint.resolution import is_greeting

    from tests.test_scorecard_resolution import (
        GREETING_TEXTS,
        greeting_log,
        greetings_found,
        random_texts,
    )

    texts = [*GREETING_TEXTS, *random_texts(1, 300), 5, True, None]
    found = greetings_found(spark, greeting_log(tmp_path / "log.jsonl", texts))
    assert found == {
        f"G{number}": isinstance(text, str) and is_greeting(text)
        for number, text in enumerate(texts)
    }


def test_a_text_that_only_looks_like_a_list_is_read_on_spark(spark: Engine, tmp_path: Path) -> None:
    # The text `["hi"]` reads to Spark as a list would: the log is read carefully, which
    # keeps the line (a text), then read again as it is; `check` reads it as a greeting.
    from tests.test_scorecard_resolution import greeting_log, greetings_found

    log = greeting_log(tmp_path / "log.jsonl", ['["hi"]', "[image]", "{ok}"])
    assert greetings_found(spark, log) == {"G0": True, "G1": False, "G2": False}


def test_sparks_python_workers_run_this_interpreter(spark: Any) -> None:
    # The greeting test runs in Spark's Python workers: locally, this very Python.
    from pyspark.sql.functions import udf

    def executable(_: Any) -> str:
        import sys

        return sys.executable

    python = udf(executable, "string", useArrow=False)
    frame = spark.session.range(1).select(python("id").alias("python"))
    assert frame.collect()[0]["python"] == sys.executable
