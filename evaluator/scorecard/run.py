"""The `scorecard` and `convert` commands' work, apart from click."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cprlint.errors import CprlintError
from cprlint.pricing import builtin_catalog
from cprlint.scorecard import DEFAULT_MEMORY_LIMIT
from cprlint.scorecard.build import build_scorecard
from cprlint.scorecard.card import Scorecard
from cprlint.scorecard.engines import DuckDBEngine, open_engine
from cprlint.scorecard.options import check_memory_limit, check_spark_master
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
    # Stop at the first malformed line of a JSON Lines log, rather than leave it out.
    strict: bool = False


def scorecard(request: ScorecardRequest) -> Scorecard:
    """The scorecard the request asks for; a CprlintError when it cannot be made (its
    message may quote a file name or a value from a log as it is: the command line
    shows it escaped, in one line)."""
    memory_limit = check_memory_limit(request.memory_limit)
    spark_master = check_spark_master(request.spark_master)
    if request.since and request.until and request.since > request.until:
        raise CprlintError(f"--since {request.since} is after --until {request.until}")
    logs = find_logs(request.logs)
    policies = load_policies(request.policies)
    engine = open_engine(request.engine, memory_limit=memory_limit, spark_master=spark_master)
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
                strict=request.strict,
            )
    finally:
        engine.close()


def convert(
    sources: Sequence[str], output: Path, *, memory_limit: str = DEFAULT_MEMORY_LIMIT
) -> int:
    """Write JSON Lines logs as one Parquet file in the flattened event layout; returns
    the number of event rows written (a CprlintError as `scorecard`'s)."""
    memory_limit = check_memory_limit(memory_limit)
    logs = find_logs(sources)
    if not output.name.endswith(".parquet"):
        raise CprlintError(f"{output}: the output must be a .parquet file")
    # DuckDB may write only where it was told before the logs were loaded (see
    # DuckDBEngine._lock): a folder of this run's beside the output, on the same file
    # system, so that the finished file is moved into place whole, never copied, and a
    # failed write leaves no half-written output.
    try:
        staging = tempfile.TemporaryDirectory(prefix=".cprlint-convert-", dir=output.parent)
    except OSError as error:
        raise CprlintError(f"{output}: cannot write: {error.strerror}") from None
    with staging:
        staged = Path(staging.name, "events.parquet")
        engine = DuckDBEngine(memory_limit=memory_limit, write_folder=Path(staging.name))
        try:
            engine.load(logs)
            rows = engine.write_parquet(staged, shown_as=output)
        finally:
            engine.close()
        try:
            os.replace(staged, output)
        except OSError as error:
            raise CprlintError(f"{output}: cannot write: {error.strerror}") from None
    return rows
