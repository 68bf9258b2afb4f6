"""The cprlint performance bench: throughput, wall time and peak memory of `check`.

    python bench/run.py [--sizes 10000,100000,300000] [--small-sizes 300,1000,10000]
                        [--repeat N] [--workdir DIR] [--drift]

For each size it makes (or reuses) a corpus with bench/make_corpus.py in the work
directory (default: <tmp>/cprlint-bench, outside the repository), then runs each of these
as its own process under `/usr/bin/time -v`:

  floor   read every fixture file and parse each line with orjson (json without it)
  check   cprlint check DIR --format json --output /dev/null --today 2026-11-23,
          cold: with `.cprlint/cache` and the user cache (see below) removed first
  base    the same with --base base (both caches removed first, cold)
  warm    the plain check again, right after `check` (both caches in place)

and, with `--drift`, one more:

  drift   the plain check, cold, of a copy of the corpus whose policy allows only the
          economy tier at every risk level (its fixtures hard-linked): most calls break
          their routing, and the run has a finding in every other call. Its report is
          written to the work directory, and the number of findings printed.

and prints, per size and command: conversations/s, llm calls/s, wall and CPU seconds,
peak RSS and the ratio to the floor. With `--repeat N` every command runs N times, in
rounds (floor, check, warm, base, then again), and each figure is the median of its N
runs, with the range of the wall times beside it: on a shared machine one run can be
off by a fifth. Peak RSS is the largest single process (what
wait4 reports); `tree MB` is the sum over the process tree sampled every 0.2 s, which
matters once cprlint runs worker processes. Nothing is written into the repository.

Small sizes (`--small-sizes`, default 300, 1,000 and 10,000 conversations; empty for
none) are what a team's CI mostly checks, and there start-up dominates, so the whole
process is what is timed: for each, the wall and CPU seconds of the plain check

  cold        `.cprlint/cache` and the user cache removed first: a fresh CI runner
  user cache  `.cprlint/cache` removed, the user cache kept from the cold run: a
              machine that ran cprlint before (vocabulary, price cards, policies found
              valid and, the fixtures being the same, every token count remembered)
  warm        run again at once, both in place: start-up, the cache key, the cached
              report read and written out

each the median of `--repeat` runs, with the fastest and slowest wall time.

The user cache (`cprlint.user_cache`: what is slow to derive at every start) of the
measured processes is <tmp>/cprlint-bench-user-cache (CPRLINT_CACHE_DIR), not the user's
own, so that what a run finds there is what the bench put there.

Every measured process runs as an installed user's would, with its bytecode: this
machine may set PYTHONDONTWRITEBYTECODE, which is removed from the children's
environment, and PYTHONPYCACHEPREFIX points the bytecode at <tmp>/cprlint-bench-pycache
(outside the repository, the editable install's sources included). Before the timed
runs, every command runs once untimed at every size (a warm-up round), so that the
bytecode exists and the corpus is in the page cache. The output's header says so.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

# The corpus generator sits beside this script; leave no __pycache__ in the repository.
sys.dont_write_bytecode = True
import make_corpus  # noqa: E402

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parent
TODAY = "2026-11-23"
GNU_TIME = Path("/usr/bin/time")
SAMPLE_SECONDS = 0.2
# Where the measured processes keep their bytecode (PYTHONPYCACHEPREFIX): outside the
# repository, shared by every bench script and work directory.
PYCACHE = Path(tempfile.gettempdir()) / "cprlint-bench-pycache"
# The measured processes' user cache (CPRLINT_CACHE_DIR), emptied before a cold run.
USER_CACHE = Path(tempfile.gettempdir()) / "cprlint-bench-user-cache"
DEFAULT_SMALL_SIZES = (300, 1_000, 10_000)

FLOOR_SCRIPT = """
import sys
from pathlib import Path
try:
    from orjson import loads
except ImportError:
    from json import loads
count = 0
for path in sorted(Path(sys.argv[1], "fixtures").rglob("*.jsonl")):
    with path.open("rb") as handle:
        for line in handle:
            if line.strip():
                loads(line)
                count += 1
print(count)
"""


@dataclass
class Corpus:
    root: Path
    conversations: int
    llm_calls: int
    bytes: int


@dataclass
class Measurement:
    wall_seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    tree_rss_mb: float
    exit_code: int
    stderr: str


def generator_digest() -> str:
    return hashlib.sha256((HERE / "make_corpus.py").read_bytes()).hexdigest()[:16]


def corpus_for(size: int, workdir: Path) -> Corpus:
    """The corpus of `size` conversations, made once per version of make_corpus.py."""
    root = workdir / f"corpus-{size}"
    stamp = workdir / f"corpus-{size}.json"
    digest = generator_digest()
    if stamp.is_file() and root.is_dir():
        recorded = json.loads(stamp.read_text(encoding="utf-8"))
        if recorded.get("generator") == digest:
            return Corpus(root, recorded["conversations"], recorded["llm_calls"], recorded["bytes"])
    stamp.unlink(missing_ok=True)
    if root.exists():
        shutil.rmtree(root)
    print(f"making corpus of {size:,} conversations in {root} ...", flush=True)
    started = time.perf_counter()
    totals = make_corpus.make_corpus(root, size)
    print(
        f"  {totals.conversations:,} conversations, {totals.llm_calls:,} llm calls, "
        f"{totals.bytes / 1e6:,.1f} MB in {totals.files} files "
        f"({time.perf_counter() - started:.1f} s)",
        flush=True,
    )
    corpus = Corpus(root, totals.conversations, totals.llm_calls, totals.bytes)
    record = asdict(corpus) | {"root": str(root), "generator": digest}
    stamp.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return corpus


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in brackets and may hold spaces: split after it.
        parent = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def _rss_bytes(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/statm").read_text().split()
    except OSError:
        return 0
    return int(fields[1]) * os.sysconf("SC_PAGE_SIZE")


class TreeSampler(threading.Thread):
    """Samples the summed RSS of a process tree until stopped (the root itself too, unless
    it is only /usr/bin/time)."""

    def __init__(self, pid: int, *, include_root: bool) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.include_root = include_root
        self.peak = 0
        self.done = threading.Event()

    def run(self) -> None:
        if not Path("/proc/self/statm").exists():
            return
        while not self.done.is_set():
            tree = _descendants(self.pid) + ([self.pid] if self.include_root else [])
            self.peak = max(self.peak, sum(_rss_bytes(pid) for pid in tree))
            self.done.wait(SAMPLE_SECONDS)


def _gnu_time_value(report: str, label: str) -> str:
    match = re.search(rf"^\s*{re.escape(label)}[^:]*(?:\([^)]*\))?: (.+)$", report, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"/usr/bin/time -v printed no `{label}`:\n{report}")
    return match.group(1).strip()


def _clock_seconds(value: str) -> float:
    """`1:02:03.45`, `2:03.45` or `3.45` as seconds."""
    seconds = 0.0
    for part in value.split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


def child_environment() -> dict[str, str]:
    """The environment of every measured process: this one's without
    PYTHONDONTWRITEBYTECODE, so that bytecode is written once and then read, as an
    installed cprlint's is, and with PYTHONPYCACHEPREFIX set to PYCACHE, so that none is
    written into the repository (cprlint is installed editable from it); its user cache
    is USER_CACHE."""
    environment = {
        key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"
    }
    environment["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    environment["CPRLINT_CACHE_DIR"] = str(USER_CACHE)
    return environment


def environment_line() -> str:
    """What the header says of the children's environment."""
    removed = (
        "PYTHONDONTWRITEBYTECODE (set here) removed"
        if "PYTHONDONTWRITEBYTECODE" in os.environ
        else "PYTHONDONTWRITEBYTECODE not set"
    )
    return (
        f"env:     {removed}: bytecode allowed, in PYTHONPYCACHEPREFIX={PYCACHE}; every "
        "command run once untimed first;\n         user cache CPRLINT_CACHE_DIR="
        f"{USER_CACHE}, emptied before every cold run"
    )


def measure(command: list[str], *, cwd: Path, env: Mapping[str, str] | None = None) -> Measurement:
    """Runs `command` (in `env`, else this process's environment) and returns its wall
    time, CPU time (user + system, its waited-for children included) and peak memory."""
    with tempfile.TemporaryDirectory(prefix="cprlint-bench-") as scratch:
        report_path = Path(scratch) / "time.txt"
        use_gnu_time = GNU_TIME.is_file()
        if use_gnu_time:
            command = [str(GNU_TIME), "-v", "-o", str(report_path), *command]
        with tempfile.TemporaryFile() as stderr:
            process = subprocess.Popen(
                command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=stderr
            )
            started = time.perf_counter()
            sampler = TreeSampler(process.pid, include_root=not use_gnu_time)
            sampler.start()
            _, status, usage = os.wait4(process.pid, 0)
            elapsed = time.perf_counter() - started
            process.returncode = os.waitstatus_to_exitcode(status)
            sampler.done.set()
            sampler.join()
            stderr.seek(0)
            error_text = stderr.read().decode("utf-8", "replace")
        if use_gnu_time:
            report = report_path.read_text(encoding="utf-8")
            wall = _clock_seconds(_gnu_time_value(report, "Elapsed (wall clock) time"))
            cpu = float(_gnu_time_value(report, "User time")) + float(
                _gnu_time_value(report, "System time")
            )
            peak_kb = int(_gnu_time_value(report, "Maximum resident set size"))
        else:
            # Without GNU time: wait4's figures of the child, and the wait timed here.
            wall = elapsed
            cpu = usage.ru_utime + usage.ru_stime
            peak_kb = usage.ru_maxrss
    return Measurement(
        wall_seconds=wall,
        cpu_seconds=cpu,
        peak_rss_mb=peak_kb / 1024,
        tree_rss_mb=sampler.peak / 2**20,
        exit_code=process.returncode,
        stderr=error_text,
    )


def cprlint_command() -> list[str]:
    beside = Path(sys.executable).parent / "cprlint"
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("cprlint")
    return [found] if found else [sys.executable, "-m", "cprlint"]


def clear_cache(corpus: Corpus, *, user_cache: bool = True) -> None:
    """Removes the corpus's run cache (`.cprlint/cache`) and, unless told not to, the
    measured processes' user cache: what a cold run finds is nothing."""
    for cache in [corpus.root / ".cprlint" / "cache"] + ([USER_CACHE] if user_cache else []):
        if cache.exists():
            shutil.rmtree(cache)


def code_state() -> dict[str, str]:
    """A digest of each of cprlint's sources as they are now: other people edit the
    working tree while a bench runs, and figures of two versions of the code must not
    pass for one."""
    return {
        path.relative_to(REPOSITORY).as_posix(): hashlib.blake2b(
            path.read_bytes(), digest_size=8
        ).hexdigest()
        for path in sorted((REPOSITORY / "evaluator").rglob("*"))
        if path.is_file() and path.suffix in (".py", ".json", ".yaml")
    }


def code_line(started: dict[str, str]) -> str:
    """Whether the sources at the end are those at the start, and if not, which changed."""
    now = code_state()
    changed = sorted(
        path for path in started.keys() | now.keys() if started.get(path) != now.get(path)
    )
    if not changed:
        return "code:    evaluator/ unchanged from the first run to the last"
    listed = ", ".join(changed[:6]) + (f" and {len(changed) - 6} more" if len(changed) > 6 else "")
    return (
        f"code:    evaluator/ CHANGED during the bench ({listed}): figures may mix versions "
        "of the code"
    )


def machine_lines() -> list[str]:
    model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    try:
        # (nproc obeys OMP_NUM_THREADS, which cprlint.machine.one_blas_thread sets.)
        environment = {k: v for k, v in os.environ.items() if not k.startswith("OMP_")}
        nproc = subprocess.run(
            ["nproc"], capture_output=True, text=True, check=True, env=environment
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        nproc = str(os.cpu_count())
    try:
        from importlib.metadata import version

        cprlint_version = version("cprlint")
    except Exception:
        cprlint_version = "not installed"
    commit = subprocess.run(
        ["git", "-C", str(REPOSITORY), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    changed = subprocess.run(
        ["git", "-C", str(REPOSITORY), "status", "--porcelain", "--", "evaluator"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.splitlines()
    try:
        import orjson  # noqa: F401

        floor_parser = "orjson"
    except ImportError:
        floor_parser = "json"
    return [
        f"machine: {nproc.strip()} CPUs (nproc), {model}",
        f"python:  {platform.python_version()} ({sys.executable})",
        f"cprlint: {cprlint_version} at {commit or '?'}"
        + (f" + {len(changed)} uncommitted change(s) in evaluator/" if changed else ""),
        f"floor:   {floor_parser}.loads of every fixture line",
    ]


@dataclass
class Runs:
    """The measurements of one command: each figure read as the median over its runs."""

    runs: list[Measurement]

    def median(self, figure: str) -> float:
        return float(statistics.median(getattr(run, figure) for run in self.runs))

    @property
    def wall_range(self) -> str:
        walls = [run.wall_seconds for run in self.runs]
        return f"{min(walls):.2f}-{max(walls):.2f}" if len(walls) > 1 else ""

    @property
    def failed(self) -> Measurement | None:
        return next((run for run in self.runs if run.exit_code not in (0, 1)), None)


def drift_corpus_for(corpus: Corpus) -> Corpus:
    """A copy of `corpus` under the economy-only policy, its fixtures hard-linked."""
    root = corpus.root.with_name(corpus.root.name + "-drift")
    if root.exists():
        shutil.rmtree(root)
    (root / "policies").mkdir(parents=True)
    (root / "policies" / "policy.yaml").write_text(
        make_corpus.policy_text(economy_only=True), encoding="utf-8"
    )
    for version in ("v1", "v2"):  # as the head commit has them: the fixtures record v1
        make_corpus.write_prompts(root, version)
    shutil.copytree(corpus.root / "fixtures", root / "fixtures", copy_function=_link_or_copy)
    return Corpus(root, corpus.conversations, corpus.llm_calls, corpus.bytes)


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system
        shutil.copy2(source, target)


def check_command(cprlint: list[str], corpus: Corpus) -> list[str]:
    """The plain check of the bench: its JSON report written to /dev/null."""
    report = ["--format", "json", "--output", os.devnull, "--today", TODAY]
    return [*cprlint, "check", str(corpus.root), *report]


def run_size(
    size: int, workdir: Path, cprlint: list[str], repeat: int = 1, drift: bool = False
) -> list[str]:
    corpus = corpus_for(size, workdir)
    check = check_command(cprlint, corpus)
    environment = child_environment()
    print(f"measuring {size:,} conversations ...", flush=True)
    runs: dict[str, list[Measurement]] = {"floor": [], "check": [], "base": [], "warm": []}
    drifted = drift_corpus_for(corpus) if drift else None
    drift_report = workdir / f"drift-{size}.json"
    if drifted is not None:
        runs["drift"] = []
    # Round 0 is the untimed warm-up: bytecode written, the corpus in the page cache.
    for round_number in range(1 + repeat):
        measured: dict[str, Measurement] = {}
        floor_command = [sys.executable, "-c", FLOOR_SCRIPT, str(corpus.root)]
        measured["floor"] = measure(floor_command, cwd=corpus.root, env=environment)
        clear_cache(corpus)
        measured["check"] = measure(check, cwd=corpus.root, env=environment)
        measured["warm"] = measure(check, cwd=corpus.root, env=environment)
        clear_cache(corpus)
        measured["base"] = measure([*check, "--base", "base"], cwd=corpus.root, env=environment)
        if drifted is not None:
            clear_cache(drifted)
            drift_check = [*cprlint, "check", str(drifted.root), "--format", "json"]
            drift_check += ["--output", str(drift_report), "--today", TODAY]
            measured["drift"] = measure(drift_check, cwd=drifted.root, env=environment)
        if round_number:
            for label, measurement in measured.items():
                runs[label].append(measurement)

    floor_wall = Runs(runs["floor"]).median("wall_seconds")
    rows = []
    problems = []
    for label, measured_runs in runs.items():
        result = Runs(measured_runs)
        wall = result.median("wall_seconds")
        ratio = "" if label == "floor" else f"{wall / floor_wall:.1f}x"
        rows.append(
            f"{corpus.conversations:>9,} {label:<6}"
            f"{corpus.conversations / wall:>10,.0f}{corpus.llm_calls / wall:>11,.0f}"
            f"{wall:>9.2f}{result.wall_range:>12}{result.median('cpu_seconds'):>8.2f}"
            f"{max(run.peak_rss_mb for run in measured_runs):>9.0f}"
            f"{max(run.tree_rss_mb for run in measured_runs):>9.0f}"
            f"{floor_wall:>9.2f}{ratio:>8}{max(run.exit_code for run in measured_runs):>5}"
        )
        problem = _problem(label, size, result)
        if problem:
            problems.append(problem)
    if drifted is not None and drift_report.is_file():
        findings = len(json.loads(drift_report.read_bytes())["findings"])
        problems.append(f"  (drift at {size:,}: {findings:,} findings, in {drift_report})")
    return rows + problems


def _problem(label: str, size: int, result: Runs) -> str | None:
    """A line on the first failed run of a command (the floor must exit 0, cprlint 0 or 1)."""
    failed = result.failed or (
        result.runs[0] if label == "floor" and result.runs[0].exit_code else None
    )
    if failed is None:
        return None
    tail = " | ".join(failed.stderr.strip().splitlines()[-3:])
    return f"  ! {label} at {size:,} exited {failed.exit_code}: {tail}"


def run_small_size(size: int, workdir: Path, cprlint: list[str], repeat: int = 1) -> list[str]:
    """Cold, user-cache and warm runs of the plain check at a size where start-up
    dominates: the whole process timed, an untimed warm-up round first."""
    corpus = corpus_for(size, workdir)
    check = check_command(cprlint, corpus)
    environment = child_environment()
    print(f"measuring {size:,} conversations, cold and warm ...", flush=True)
    runs: dict[str, list[Measurement]] = {"cold": [], "user cache": [], "warm": []}
    for round_number in range(1 + repeat):
        measured = {}
        clear_cache(corpus)
        measured["cold"] = measure(check, cwd=corpus.root, env=environment)
        clear_cache(corpus, user_cache=False)
        measured["user cache"] = measure(check, cwd=corpus.root, env=environment)
        measured["warm"] = measure(check, cwd=corpus.root, env=environment)
        if round_number:
            for label, measurement in measured.items():
                runs[label].append(measurement)
    row = f"{corpus.conversations:>9,}{corpus.llm_calls:>10,}{corpus.bytes / 1e6:>7.1f}"
    for measured_runs in runs.values():
        result = Runs(measured_runs)
        row += (
            f"{result.median('wall_seconds'):>8.2f}{result.wall_range:>11}"
            f"{result.median('cpu_seconds'):>7.2f}"
        )
    every = [run for measured_runs in runs.values() for run in measured_runs]
    row += f"{max(run.peak_rss_mb for run in every):>8.0f}{max(run.exit_code for run in every):>5}"
    problems = [_problem(label, size, Runs(measured_runs)) for label, measured_runs in runs.items()]
    return [row, *(problem for problem in problems if problem)]


def parse_sizes(text: str) -> list[int]:
    """A comma-separated list of sizes (`10000,100_000`); empty for none."""
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of sizes: {text!r}") from None
    if sizes and min(sizes) < 1:
        raise argparse.ArgumentTypeError("sizes must be positive")
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=[10_000, 100_000, 300_000],
        help="sizes of the throughput table (floor, check, warm, base); empty for none",
    )
    parser.add_argument(
        "--small-sizes",
        type=parse_sizes,
        default=list(DEFAULT_SMALL_SIZES),
        help="sizes of the cold and warm wall-time table (whole process); empty for none",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each command; figures are medians"
    )
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "cprlint-bench"
    )
    parser.add_argument(
        "--drift", action="store_true", help="also time a run with a finding in most calls"
    )
    options = parser.parse_args(argv)
    if options.repeat < 1:
        parser.error("--repeat must be at least 1")
    if not options.sizes and not options.small_sizes:
        parser.error("--sizes and --small-sizes are both empty: nothing to measure")
    workdir = options.workdir.resolve()
    if workdir.is_relative_to(REPOSITORY):
        parser.error(f"--workdir {workdir} is inside the repository; choose one outside it")
    workdir.mkdir(parents=True, exist_ok=True)

    cprlint = cprlint_command()
    started = code_state()
    small_lines = []
    for size in options.small_sizes:
        small_lines += run_small_size(size, workdir, cprlint, options.repeat)
    lines = []
    for size in options.sizes:
        lines += run_size(size, workdir, cprlint, options.repeat, options.drift)

    print()
    print("\n".join(machine_lines()))
    print(code_line(started))
    print(environment_line())
    print(
        f"command: {' '.join(cprlint)} check DIR --format json --output /dev/null --today {TODAY}"
    )
    if small_lines:
        print()
        print(f"{'':26}{'cold':-^26}{'user cache':-^26}{'warm':-^26}")
        print(
            f"{'size':>9}{'calls':>10}{'MB':>7}"
            + f"{'wall s':>8}{'range':>11}{'CPU s':>7}" * 3
            + f"{'peak MB':>8}{'exit':>5}"
        )
        print("\n".join(small_lines))
        print(
            "\ncold: the plain check, `.cprlint/cache` and the user cache removed first; "
            "user cache: `.cprlint/cache` removed,\nthe user cache kept from the cold run; "
            "warm: the same again, answered from `.cprlint/cache`.\nWall and CPU seconds "
            f"are medians of {options.repeat} run(s) of the whole process, range the fastest "
            "and slowest wall time;\npeak MB: the largest single process (wait4)."
        )
    if lines:
        print()
        print(
            f"{'size':>9} {'run':<6}{'conv/s':>10}{'calls/s':>11}{'wall s':>9}{'range':>12}"
            f"{'CPU s':>8}{'peak MB':>9}{'tree MB':>9}{'floor s':>9}{'x floor':>8}{'exit':>5}"
        )
        print("\n".join(lines))
        print(
            "\ncheck: cold plain check (run cache and user cache removed); warm: the same "
            "right after (both kept);\nbase: --base base, cold; drift: economy-only policy, "
            "cold.\n"
            "peak MB: largest single process (wait4); tree MB: sampled sum over the process "
            "tree;\nboth the largest of the runs. Runs per command: "
            f"{options.repeat}; wall, CPU and the ratios are medians, range is the fastest "
            "and slowest wall time."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
