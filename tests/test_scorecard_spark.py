"""The one definition on both engines: the same log gives the same scorecard on DuckDB
and on Spark (local mode), to the last unit of money.

Spark needs Java and `cprlint[spark]`; without them these tests are skipped, unless
CPRLINT_REQUIRE_SPARK=1 (as CI sets it), where a missing engine is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from cprlint.pricing import builtin_catalog
from cprlint.scorecard.build import build_scorecard
from cprlint.scorecard.engines import DuckDBEngine, Engine, SparkEngine
from cprlint.scorecard.policies import load_policies
from cprlint.scorecard.render import render
from cprlint.scorecard.sources import find_logs

from tests.scorecard_helpers import REPOSITORY, log_from_fixtures, write_project


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
        scorecard_json(spark, "spark", [log], tmp_path / "policies")
