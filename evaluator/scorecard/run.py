"""The `scorecard` and `convert` commands' work, apart from click."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cprlint.errors import CprlintError
from cprlint.pricing import builtin_catalog
from cprlint.scorecard import DEFAULT_MEMORY_LIMIT
from cprlint.scorecard.build import build_scorecard
from cprlint.scorecard.card import Scorecard
from cprlint.scorecard.engines import DuckDBEngine, open_engine
from cprlint.scorecard.policies import load_policies
from cprlint.scorecard.progress import progress_bar
from cprlint.scorecard.sources import find_logs


@dataclass(frozen=True)
class ScorecardRequest:
    logs: tuple[str, ...]
    policies: tuple[Path, ...] = ()
    dimension: str = "project"
    period: str = "week"
    since: dt.date | None = None
    until: dt.date | None = None
    engine: str = "duckdb"
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    spark_master: str | None = None
    progress: bool = False


def scorecard(request: ScorecardRequest) -> Scorecard:
    if request.since and request.until and request.since > request.until:
        raise CprlintError(f"--since {request.since} is after --until {request.until}")
    logs = find_logs(request.logs)
    policies = load_policies(request.policies)
    engine = open_engine(
        request.engine, memory_limit=request.memory_limit, spark_master=request.spark_master
    )
    try:
        with progress_bar(request.progress) as progress:
            return build_scorecard(
                logs,
                policies,
                engine,
                engine_name=request.engine,
                dimension=request.dimension,
                period=request.period,
                since=request.since,
                until=request.until,
                catalog=builtin_catalog(),
                progress=progress,
            )
    finally:
        engine.close()


def convert(
    sources: Sequence[str], output: Path, *, memory_limit: str = DEFAULT_MEMORY_LIMIT
) -> int:
    """Write JSON Lines logs as one Parquet file in the flattened event layout; returns
    the number of event rows written."""
    logs = find_logs(sources)
    if not output.name.endswith(".parquet"):
        raise CprlintError(f"{output}: the output must be a .parquet file")
    engine = DuckDBEngine(memory_limit=memory_limit)
    try:
        engine.load(logs)
        return engine.write_parquet(output)
    finally:
        engine.close()
