"""The scorecard bench: event rows per second on DuckDB, and peak memory.

    python bench/scorecard.py [--events 10000000] [--workdir DIR] [--memory-limit 2GB]

Makes (or reuses) a deterministic request log of about that many events in the work
directory (default: <tmp>/cprlint-bench/scorecard-<events>, outside the repository):
JSON Lines in parts of 100,000 conversations, shaped like bench/make_corpus.py's
conversations (about 8 events each) and spread over 12 weeks and 3 projects. Then, each
as its own process under `/usr/bin/time -v`:

  convert      cprlint convert LOG_DIR -o events.parquet
  jsonl        cprlint scorecard LOG_DIR --by intent --format json (read from JSON Lines)
  parquet      cprlint scorecard events.parquet --by intent --format json

and prints events/s, wall and CPU seconds and peak RSS for each.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
from pathlib import Path
from random import Random

from cprlint.scorecard import DEFAULT_MEMORY_LIMIT

sys.dont_write_bytecode = True
import make_corpus  # noqa: E402
import run as bench_run  # noqa: E402

POOL = 5000
PER_FILE = 100_000
WEEKS = 12
PROJECTS = ("bench", "bench-eu", "bench-us")
FIRST_DAY = int(dt.datetime(2026, 9, 14, tzinfo=dt.UTC).timestamp())  # a Monday


def make_log(directory: Path, events: int, seed: int = make_corpus.DEFAULT_SEED) -> int:
    """Writes the log; returns the number of events (rows of the flattened layout)."""
    logs = directory / "logs"
    done = directory / "events.txt"
    if done.exists():
        return int(done.read_text())
    logs.mkdir(parents=True, exist_ok=True)
    maker = make_corpus.ConversationMaker(seed)
    pool = []
    for number in range(POOL):
        conversation = maker.make(number + 1)
        conversation["id"] = "@ID@"
        conversation["project"] = "@PROJECT@"
        conversation["started_at"] = "@AT@"
        text = json.dumps(conversation, ensure_ascii=False)
        rows = max(1, len(conversation["events"]))  # type: ignore[arg-type]
        pool.append((text.split('"@ID@"'), rows))
    rng = Random(seed)
    written = 0
    part = 0
    conversation_number = 0
    while written < events:
        with (logs / f"part-{part:04d}.jsonl").open("w", encoding="utf-8") as handle:
            for _ in range(PER_FILE):
                if written >= events:
                    break
                (head, tail), rows = pool[conversation_number % POOL]
                moment = FIRST_DAY + rng.randrange(WEEKS * 7 * 86400)
                body = tail.replace('"@PROJECT@"', f'"{PROJECTS[conversation_number % 3]}"')
                body = body.replace('"@AT@"', f'"{_iso(moment)}"')
                handle.write(f'{head}"C{conversation_number}"{body}\n')
                written += rows
                conversation_number += 1
        part += 1
    (directory / "policy.yaml").write_text(make_corpus.policy_text(), encoding="utf-8")
    done.write_text(str(written))
    return written


def _iso(seconds: int) -> str:
    moment = dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def timed(command: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MB) of one command (bench/run.py's
    measure: GNU time when there is one, wait4 otherwise)."""
    measured = bench_run.measure(command, cwd=Path.cwd())
    if measured.exit_code != 0:
        sys.stderr.write(measured.stderr[-2000:])
        raise SystemExit(f"failed: {' '.join(command)}")
    return measured.wall_seconds, measured.cpu_seconds, measured.peak_rss_mb


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--memory-limit", default=DEFAULT_MEMORY_LIMIT)
    options = parser.parse_args()
    workdir = options.workdir or Path(tempfile.gettempdir()) / "cprlint-bench"
    directory = workdir / f"scorecard-{options.events}"
    events = make_log(directory, options.events)
    size = sum(p.stat().st_size for p in (directory / "logs").iterdir())
    cprlint = [sys.executable, "-m", "cprlint"]
    parquet = directory / "events.parquet"
    common = ["--policy", str(directory / "policy.yaml"), "--by", "intent", "--format", "json"]
    limit = ["--memory-limit", options.memory_limit]
    runs = {
        "convert": [*cprlint, "convert", str(directory / "logs"), "-o", str(parquet)],
        "jsonl": [
            *cprlint,
            "scorecard",
            str(directory / "logs"),
            *common,
            *limit,
            "-o",
            os.devnull,
        ],
        "parquet": [*cprlint, "scorecard", str(parquet), *common, *limit, "-o", os.devnull],
    }
    print(
        f"log: {events:,} events, {size / 1e9:.2f} GB of JSON Lines; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, DuckDB memory limit {options.memory_limit}"
    )
    print(f"{'run':<10}{'events/s':>14}{'wall s':>10}{'CPU s':>10}{'peak RSS MB':>14}")
    for name, command in runs.items():
        wall, cpu, rss = timed(command)
        print(f"{name:<10}{events / wall:>14,.0f}{wall:>10.1f}{cpu:>10.1f}{rss:>14.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
