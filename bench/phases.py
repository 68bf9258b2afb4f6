"""Where `check`'s CPU time goes, phase by phase: per conversation, and for a whole run.

    python bench/phases.py [--conversations 8000] [--table N] [--workdir DIR]
                           [--no-whole-runs]

Takes the first `--conversations` conversations of the 10,000-conversation bench corpus
(made by bench/run.py's generator if missing) and prints, in CPU microseconds per
conversation (best of 5, each phase alone, in this process, on conversations already
read unless it is the reading; what the script keeps between phases, the sample and its
results, is frozen out of the garbage collector's way, as a run keeps none of it):

  floor        the sample's lines read from its fixture file and parsed by orjson.loads
               (json.loads without orjson)
  read         the same lines read into typed records the way `check` does
               (`Project.iter_conversations` over that stretch of the file: msgspec)
  decode       `conversation_from_json_line` alone, on lines already in memory
  decode x3    the same for lines three conversations long (their events joined: about
               85 brackets, past the count that lets a line through without measuring
               its depth), per conversation's worth of events
  rules        the fixture rules (`lint_conversation`)
  replay       replayed under the head tree (`Replayer.replay`), split into
    recount      the token recount of the words around each variable,
    pricing      the Decimal price of each call (`PriceCard.cost`),
    rest         routing, caps, findings and the result's assembly (see below)
  base trees   replayed under the trees `--base` adds (the base, and the in-between trees
               `PairedReplay` makes: none when only prompts changed, as here)
  aggregation  the head results added to the aggregates (`Aggregates.add`)
  bootstrap    each conversation's row added to the comparison's exact and resampled
               sums (`PairedReplay.add` given the trees' results, then `flush`)
  tally        the real loop of a run over that stretch, in one process
               (`CheckRun.tally_of`), plain and with a `PairedReplay` (--base)
  bookkeeping  tally less the phases above that it runs: its loop's own work per
               conversation (findings, unpriced models, resolution clauses, recorded
               versions, missing variables), and what the phases cost more together
               than alone

How the replay is split: the replay is timed three times, each with an empty token-count
cache and new call plans, as a run starts: as it is; with `cprlint.replay._input_delta`
(everything the recount of one call does: its variables merged, the windows filled,
counted with tiktoken, the counts cached) replaced by a function that hands back the
answers a real replay gave, in order; and with `PriceCard.cost` replaced the same way as
well. recount is the first less the second, pricing the second less the third, rest the
third (it keeps the stand-ins' own calls, a tenth of a microsecond each). The stand-in
replays must give the very results of the real one, or the script stops. If either hook
is gone (renamed, inlined), the replay is printed whole, with a note.

With `--table N` it also prints a table of CPU seconds for a whole run of N
conversations (the corpus of N is made if missing; 100,000 take about a minute), `check`
and `check --base` side by side:

  start-up     a fresh process (bytecode allowed, as bench/run.py runs them):
               `import cprlint.cli` and the modules `check` imports when it runs (with
               --base, numpy's too), the first token count (the tokenizer vocabulary)
               and the first price lookup (the price catalog); the process's CPU time
               from its start, so the interpreter's own start-up is in it too
  load         the project's policies and prompts (`load_project`); with --base the base
               tree's as well, from git (git's own CPU included)
  cache key    sha256 over the corpus's fixture bytes, as the run cache's key hashes them
  the rest     the per-conversation figures above, times N
  floor        orjson.loads of every line of the corpus of N, read from its files

Every figure is a fresh CI runner's: nothing in cprlint's user cache
(`cprlint.user_cache`: the vocabulary decoded, price cards, policies found valid, token
counts of earlier runs), which this process and the ones it starts find empty. Start-up
is the best of 5 fresh processes (each kind run once untimed first), printed too with
the user cache filled by the untimed run (a machine that ran cprlint before); the cache
key and the floor the best of 3 passes over the whole corpus. Then, unless
`--no-whole-runs`, the real command is run cold (`.cprlint/cache` and the user cache
emptied) on the corpus of N, once each, `--jobs 1` and with its default workers (bench/run.py's way: its own process, CPU of its workers
included), so that the table's total can be held to what a run costs: what the table
leaves out (static rules, the judging, the report written, the cache entry stored, the
intervals of --base) and what phases cost more in a real run than alone shows there.
Nothing is written into the repository.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

try:  # the internals this script drives; other people move them around
    import cprlint.replay as replay_module
    import cprlint.tokens as tokens_module
    from cprlint.aggregates import Aggregates
    from cprlint.check import CheckRun
    from cprlint.compare import PairedReplay, PairedSamples
    from cprlint.deltas import TokenDeltas
    from cprlint.engine import FindingCollector, lint_conversation
    from cprlint.machine import one_blas_thread
    from cprlint.model import Conversation, conversation_from_json_line
    from cprlint.pricing import PriceCard, builtin_catalog
    from cprlint.project import Project, Stretch, load_project
    from cprlint.replay import ConversationResult, Replayer
    from cprlint.rules.context import RuleContext
    from cprlint.tokens import TokenCounter
    from cprlint.trees import GitTree
except ImportError as error:
    raise SystemExit(
        f"bench/phases.py: {error}.\nAn internal of cprlint that this script drives has "
        "moved or been renamed: update the imports at the top of bench/phases.py."
    ) from None

# bench/run.py sits beside this script; leave no __pycache__ in the repository.
sys.dont_write_bytecode = True
import make_corpus  # noqa: E402
import run as bench_run  # noqa: E402

try:  # the floor's parser, as bench/run.py's
    from orjson import loads

    FLOOR_PARSER = "orjson"
except ImportError:
    from json import loads

    FLOOR_PARSER = "json"

ROUNDS = 5
WHOLE_CORPUS_ROUNDS = 3
STARTUP_RUNS = 5
TODAY = dt.date(2026, 11, 23)
SAMPLE_SIZE = 10_000  # the corpus the per-conversation figures are measured on
HASH_CHUNK = 1 << 20

# What a fresh `cprlint check` does before it reads a fixture, step by step; prints the
# CPU seconds (the process's and its waited-for children's, from the process's start) at
# the end of each. argv: the project, and "base" for `check --base`.
STARTUP_SCRIPT = """
import json, resource, sys
from pathlib import Path

def cpu():
    own, children = (resource.getrusage(who) for who in
                     (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

marks = [("interpreter", cpu())]
with_base = sys.argv[2] == "base"
import cprlint.cli
from cprlint.machine import one_blas_thread
one_blas_thread()  # as `main` does, before numpy
# What the check command imports when it runs (cprlint.cli.check).
import cprlint.baseline, cprlint.cache, cprlint.check, cprlint.config, cprlint.project
import cprlint.trees
if with_base:
    import cprlint.bootstrap  # numpy, for the comparison's intervals
marks.append(("imports", cpu()))
from cprlint import tokens
tokens.shared_counter().count("The first count loads the vocabulary.", tokens.DEFAULT_ENCODING)
marks.append(("vocabulary", cpu()))
from cprlint.pricing import builtin_catalog
builtin_catalog().lookup("gpt-4o-mini", None)
marks.append(("catalog", cpu()))
root = Path(sys.argv[1])
project = cprlint.project.load_project(root)
if with_base:
    tree = cprlint.trees.GitTree(root, "base")
    cprlint.project.load_project(root, tree=tree, with_fixtures=False)
marks.append(("load", cpu()))
print(json.dumps(marks))
"""


def fresh_counter() -> TokenCounter:
    """A token counter as a run's (`tokens.shared_counter`), new: with the counts of
    earlier runs where cprlint remembers them, from a user cache that stays empty here
    (CPRLINT_CACHE_DIR is an empty folder for this process): a fresh CI runner's."""
    remembered = getattr(tokens_module, "RememberedCounts", None)
    return TokenCounter(remembered=remembered()) if remembered else TokenCounter()


def settle() -> None:
    """Moves what this script keeps (the sample, its results) out of the garbage
    collector's way: a run holds one conversation at a time, so a collection during a
    phase must not walk thousands of them."""
    gc.collect()
    gc.freeze()


def best_seconds(work: Callable[[], object], rounds: int = ROUNDS) -> float:
    """The least CPU time (this process's, all threads) of `rounds` runs of `work`."""
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best


@contextlib.contextmanager
def replaced(owner: object, name: str, stand_in: object) -> Iterator[None]:
    """`owner.name` is `stand_in` for the duration."""
    original = getattr(owner, name)
    setattr(owner, name, stand_in)
    try:
        yield
    finally:
        setattr(owner, name, original)


@dataclass
class Sample:
    """The first conversations of the 10,000 corpus: where each phase is timed."""

    head: Project
    base: Project
    stretch: Stretch  # the sample's lines of the first fixture file
    conversations: list[Conversation]
    lines: list[str]

    @property
    def count(self) -> int:
        return len(self.conversations)


def load_sample(root: Path, count: int) -> Sample:
    head = load_project(root)
    base = load_project(root, tree=GitTree(root, "base"), with_fixtures=False)
    path = head.fixture_files[0]
    with (root / path).open("rb") as handle:
        raw = list(islice(handle, count))
    stretch = Stretch(path, 0, sum(len(line) for line in raw), 1)
    conversations: list[Conversation] = []
    for item in head.iter_conversations([stretch]):
        if not isinstance(item, Conversation):
            raise SystemExit(f"bench/phases.py: the sample is not clean: {item}")
        conversations.append(item)
    if len(conversations) != len(raw):
        raise SystemExit(f"read {len(conversations)} conversations of {len(raw)} lines")
    lines = [line.decode("utf-8") for line in raw]
    return Sample(head, base, stretch, conversations, lines)


@dataclass
class Phases:
    """CPU microseconds per conversation, by phase; and notes on how they were had."""

    microseconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def get(self, name: str) -> float | None:
        return self.microseconds.get(name)


def measure_phases(sample: Sample, catalog: Any) -> Phases:
    phases = Phases()
    count = sample.count
    settle()
    root = sample.head.root
    us = phases.microseconds

    def per_conversation(work: Callable[[], object], conversations: int = count) -> float:
        return best_seconds(work) / conversations * 1e6

    # Each phase drops what it makes, as a run does: kept in a list, thousands of parsed
    # lines would make every garbage collection walk them, and the figures with it.
    def floor() -> None:
        with (root / sample.stretch.path).open("rb") as handle:
            for line in islice(handle, count):
                if line.strip():
                    loads(line)

    def read() -> None:
        for _ in sample.head.iter_conversations([sample.stretch]):
            pass

    def decode() -> None:
        for number, line in enumerate(sample.lines, 1):
            conversation_from_json_line("fixture.jsonl", line, number)

    # Three conversations' events on one line, as `make_corpus --join 3` writes them: the
    # same conversations as above, some thirty events a line.
    with tempfile.TemporaryDirectory(prefix="cprlint-phases-") as directory:
        make_corpus.write_fixtures(Path(directory), count // 3, make_corpus.DEFAULT_SEED, join=3)
        long_lines = (Path(directory) / "part-0000.jsonl").read_text(encoding="utf-8").splitlines()

    def decode_long() -> None:
        for number, line in enumerate(long_lines, 1):
            if conversation_from_json_line("fixture.jsonl", line, number) is None:
                raise SystemExit(f"a long line {number} is not read by the strict reader")

    def rules() -> None:
        collector = FindingCollector(sample.head, today=TODAY)
        context = RuleContext(project=sample.head, today=TODAY)
        for conversation in sample.conversations:
            lint_conversation(conversation, context, collector)

    us["floor"] = per_conversation(floor)
    us["read"] = per_conversation(read)
    us["decode"] = per_conversation(decode)
    us["decode x3"] = per_conversation(decode_long, 3 * len(long_lines))
    us["rules"] = per_conversation(rules)

    head_results = measure_replay(sample, catalog, phases)
    settle()

    # --- what --base adds -----------------------------------------------------------
    def new_paired() -> PairedReplay:
        deltas = TokenDeltas(fresh_counter())
        return PairedReplay(sample.head, sample.base, catalog=catalog, deltas=deltas)

    def trees_of(paired: PairedReplay) -> dict[str, Replayer]:
        # Whatever replayers it keeps, by whatever names: the base, the in-between trees.
        return {name: value for name, value in vars(paired).items() if isinstance(value, Replayer)}

    names = sorted(trees_of(new_paired()))
    if not names:
        raise SystemExit("bench/phases.py: PairedReplay keeps no Replayer any more")
    phases.notes.append(f"--base replays under PairedReplay's {', '.join(names)}")

    def replay_trees() -> None:
        for replayer in trees_of(new_paired()).values():
            for conversation in sample.conversations:
                replayer.replay(conversation, judge=False)

    us["base trees"] = per_conversation(replay_trees)

    recorded = {
        name: {id(c): replayer.replay(c, judge=False) for c in sample.conversations}
        for name, replayer in trees_of(new_paired()).items()
    }

    settle()

    class Answers:
        """A tree's replayer that hands back its results, replayed before."""

        def __init__(self, results: dict[int, ConversationResult]) -> None:
            self.results = results

        def replay(self, conversation: Conversation, *, judge: bool = True) -> ConversationResult:
            return self.results[id(conversation)]

    def bootstrap() -> None:
        paired = new_paired()
        for name, results in recorded.items():
            setattr(paired, name, Answers(results))
        samples = PairedSamples(per_policy=paired.per_policy)
        for conversation, result in zip(sample.conversations, head_results, strict=True):
            paired.add(samples, conversation, result)
        samples.flush()

    def aggregation() -> None:
        aggregates = Aggregates()
        for result in head_results:
            aggregates.add(result)

    us["aggregation"] = per_conversation(aggregation)
    us["bootstrap"] = per_conversation(bootstrap)

    # --- the real loop, and what it does besides -------------------------------------
    def tally(with_base: bool) -> None:
        deltas = TokenDeltas(fresh_counter())
        paired = (
            PairedReplay(sample.head, sample.base, catalog=catalog, deltas=deltas)
            if with_base
            else None
        )
        run = CheckRun(
            sample.head, today=TODAY, catalog=catalog, paired=paired, jobs=1, deltas=deltas
        )
        made = run.tally_of([sample.stretch])
        if made.conversations != count:
            raise SystemExit(f"tally_of replayed {made.conversations} of {count}")

    us["tally"] = per_conversation(lambda: tally(False))
    us["tally --base"] = per_conversation(lambda: tally(True))
    parts = us["read"] + us["rules"] + us["replay"] + us["aggregation"]
    us["bookkeeping"] = us["tally"] - parts
    us["bookkeeping --base"] = us["tally --base"] - parts - us["base trees"] - us["bootstrap"]
    return phases


def measure_replay(sample: Sample, catalog: Any, phases: Phases) -> list[ConversationResult]:
    """Times the head replay, split as the module's docstring says; its results."""
    us = phases.microseconds
    conversations = sample.conversations

    def replay_all(keep: bool = False) -> list[ConversationResult]:
        replayer = Replayer(sample.head, catalog=catalog, deltas=TokenDeltas(fresh_counter()))
        if keep:
            return [replayer.replay(conversation) for conversation in conversations]
        for conversation in conversations:
            replayer.replay(conversation)
        return []

    us["replay"] = best_seconds(replay_all) / len(conversations) * 1e6
    recount = getattr(replay_module, "_input_delta", None)
    cost = getattr(PriceCard, "cost", None)
    if recount is None or cost is None:
        gone = "cprlint.replay._input_delta" if recount is None else "PriceCard.cost"
        phases.notes.append(f"replay not split: {gone} is gone")
        return replay_all(keep=True)

    deltas: list[Any] = []
    prices: list[Any] = []

    def recording_delta(*args: Any) -> Any:
        deltas.append(recount(*args))
        return deltas[-1]

    def recording_cost(card: PriceCard, usage: Any) -> Any:
        prices.append(cost(card, usage))
        return prices[-1]

    with (
        replaced(replay_module, "_input_delta", recording_delta),
        replaced(PriceCard, "cost", recording_cost),
    ):
        results = replay_all(keep=True)

    def with_answers(recount_too: bool, pricing_too: bool, keep: bool = False) -> Any:
        delta_answers, price_answers = iter(deltas), iter(prices)
        with contextlib.ExitStack() as stack:
            if recount_too:
                stand_in = lambda *args: next(delta_answers)  # noqa: E731
                stack.enter_context(replaced(replay_module, "_input_delta", stand_in))
            if pricing_too:
                price_in = lambda card, usage: next(price_answers)  # noqa: E731
                stack.enter_context(replaced(PriceCard, "cost", price_in))
            return replay_all(keep)

    for recount_too, pricing_too in ((True, False), (True, True)):
        if with_answers(recount_too, pricing_too, keep=True) != results:
            raise SystemExit(
                "bench/phases.py: the replay with recorded answers differs from the real "
                "one; the split of the replay no longer holds (see the docstring)"
            )
    no_recount = best_seconds(lambda: with_answers(True, False)) / len(conversations) * 1e6
    neither = best_seconds(lambda: with_answers(True, True)) / len(conversations) * 1e6
    us["recount"] = us["replay"] - no_recount
    us["pricing"] = no_recount - neither
    us["rest"] = neither
    phases.notes.append(
        f"replay split with recorded answers: {len(deltas):,} recounts and {len(prices):,} "
        f"prices for {len(conversations):,} conversations"
    )
    return results


# --- the whole-run table -------------------------------------------------------------------


def startup(root: Path, kind: str, *, user_cache_filled: bool) -> list[tuple[str, float]]:
    """The steps of a fresh process's start-up and the CPU seconds of each, from the best
    (least in all) of STARTUP_RUNS processes, after one untimed. Its user cache is empty
    at every run (a fresh CI runner), or `user_cache_filled` by the untimed one (a machine
    that ran cprlint before)."""
    command = [sys.executable, "-c", STARTUP_SCRIPT, str(root), kind]
    environment = bench_run.child_environment()
    best: list[tuple[str, float]] | None = None
    with tempfile.TemporaryDirectory(prefix="cprlint-phases-user-cache-") as scratch:
        for attempt in range(1 + STARTUP_RUNS):
            user_cache = Path(scratch, "filled" if user_cache_filled else f"empty-{attempt}")
            environment["CPRLINT_CACHE_DIR"] = str(user_cache)
            done = subprocess.run(
                command, cwd=root, env=environment, capture_output=True, text=True, check=False
            )
            if done.returncode != 0:
                raise SystemExit(f"bench/phases.py: the start-up script failed:\n{done.stderr}")
            marks = [(name, float(cpu)) for name, cpu in json.loads(done.stdout)]
            if attempt and (best is None or marks[-1][1] < best[-1][1]):
                best = marks
    assert best is not None
    steps, before = [], 0.0
    for name, cpu in best:
        steps.append((name, cpu - before))
        before = cpu
    return steps


def fixture_paths(root: Path) -> list[Path]:
    return sorted((root / "fixtures").rglob("*.jsonl"))


def hash_seconds(root: Path) -> float:
    """sha256 of every fixture file, a digest each, read in 1 MiB chunks (as the run
    cache's key does, there on several threads: the same CPU)."""

    def work() -> None:
        for path in fixture_paths(root):
            digest = hashlib.sha256()
            with path.open("rb") as handle:
                while chunk := handle.read(HASH_CHUNK):
                    digest.update(chunk)
            digest.digest()

    return best_seconds(work, WHOLE_CORPUS_ROUNDS)


def floor_seconds(root: Path) -> float:
    """bench/run.py's floor in this process: every line read and parsed."""

    def work() -> None:
        for path in fixture_paths(root):
            with path.open("rb") as handle:
                for line in handle:
                    if line.strip():
                        loads(line)

    return best_seconds(work, WHOLE_CORPUS_ROUNDS)


@dataclass
class WholeRun:
    label: str
    cpu_seconds: float
    wall_seconds: float


def whole_runs(corpus: bench_run.Corpus, warm_up: bench_run.Corpus) -> list[WholeRun]:
    """The real command, cold, on the corpus: --jobs 1 and default, plain and --base; each
    run once untimed on `warm_up` first (bytecode)."""
    cprlint = bench_run.cprlint_command()
    environment = bench_run.child_environment()
    variants = {
        "check --jobs 1": ["--jobs", "1"],
        "check --base --jobs 1": ["--base", "base", "--jobs", "1"],
        "check": [],
        "check --base": ["--base", "base"],
    }
    made = []
    for target, timed in ((warm_up, False), (corpus, True)):
        for label, extra in variants.items():
            bench_run.clear_cache(target)
            command = [*bench_run.check_command(cprlint, target), *extra]
            measured = bench_run.measure(command, cwd=target.root, env=environment)
            if measured.exit_code not in (0, 1):
                raise SystemExit(f"`{' '.join(command)}` exited {measured.exit_code}")
            if timed:
                made.append(WholeRun(label, measured.cpu_seconds, measured.wall_seconds))
    return made


def print_table(
    size: int,
    phases: Phases,
    startups: dict[tuple[str, bool], list[tuple[str, float]]],
    cache_key: float,
    floor: float,
    runs: list[WholeRun],
    sample_note: str,
) -> None:
    def at_size(name: str) -> float:
        return phases.microseconds[name] * size / 1e6

    def startup_part(kind: str, load: bool, filled: bool = False) -> float:
        steps = startups[kind, filled]
        return sum(cpu for name, cpu in steps if (name == "load") == load)

    # (label, check, check --base); None: not part of that command.
    rows: list[tuple[str, float | None, float | None]] = [
        (
            "start-up: imports, tokenizer vocabulary, price catalog",
            startup_part("check", load=False),
            startup_part("base", load=False),
        ),
        (
            "load: policies, prompts (--base: the base tree's too)",
            startup_part("check", load=True),
            startup_part("base", load=True),
        ),
        ("cache key (sha256 of the fixtures)", cache_key, cache_key),
        ("read: lines into typed records (msgspec)", at_size("read"), at_size("read")),
        ("fixture rules", at_size("rules"), at_size("rules")),
    ]
    if "recount" in phases.microseconds:
        rows += [
            (f"replay: {label}", at_size(name), at_size(name))
            for label, name in (
                ("token recount", "recount"),
                ("Decimal pricing", "pricing"),
                ("routing, caps, results", "rest"),
            )
        ]
    else:
        rows.append(("replay (not split)", at_size("replay"), at_size("replay")))
    rows += [
        ("replay under the base and in-between trees", None, at_size("base trees")),
        ("bootstrap sums", None, at_size("bootstrap")),
        ("aggregation", at_size("aggregation"), at_size("aggregation")),
        ("per-conversation bookkeeping", at_size("bookkeeping"), at_size("bookkeeping --base")),
    ]
    totals = (sum(row[1] or 0.0 for row in rows), sum(row[2] or 0.0 for row in rows))

    def cell(label: str, value: float | None) -> str:
        if value is None:
            return "-"
        return f"~{value:.2f}" if label.startswith("replay:") else f"{value:.2f}"

    width = 56
    print(
        f"\n{f'phase at {size:,} conversations, CPU s':<{width}}{'check':>14}{'check --base':>16}"
    )
    for label, plain, base in rows:
        print(f"{label:<{width}}{cell(label, plain):>14}{cell(label, base):>16}")
    print(
        f"{'total (x floor)':<{width}}"
        f"{f'{totals[0]:.2f} ({totals[0] / floor:.1f}x)':>14}"
        f"{f'{totals[1]:.2f} ({totals[1] / floor:.1f}x)':>16}"
    )
    floor_label = f"floor: {FLOOR_PARSER}.loads of every line, read from the files"
    print(f"{floor_label:<{width}}{floor:>14.2f}")
    if runs:
        print(
            f"\n{'measured: the whole process, cold, once each':<{width}}"
            f"{'CPU s':>8}{'x floor':>9}{'wall s':>8}{'table/CPU':>11}"
        )
        for run in runs:
            total = totals[1] if "--base" in run.label else totals[0]
            print(
                f"{'  cprlint ' + run.label:<{width}}{run.cpu_seconds:>8.2f}"
                f"{run.cpu_seconds / floor:>8.1f}x{run.wall_seconds:>8.2f}"
                f"{total / run.cpu_seconds:>11.0%}"
            )
    print()
    for (kind, filled), steps in startups.items():
        command = "check --base" if kind == "base" else "check"
        cache = "filled" if filled else "empty"
        parts = " + ".join(f"{name} {cpu:.2f}" for name, cpu in steps)
        print(f"start-up and load, {command}, user cache {cache}: {parts}")
    print(
        "The per-conversation rows are the figures above times the size (best of "
        f"{ROUNDS}, on {sample_note}); `~`: attributed with recorded "
        "answers (see the docstring).\nBookkeeping is a remainder: the real loop "
        "(tally_of) less its phases timed alone (noise can make it negative). Start-up "
        "and load: best of "
        f"{STARTUP_RUNS} fresh processes,\nthe table's with an empty user cache (a fresh "
        "CI runner), as every other row; cache key and floor: best of "
        f"{WHOLE_CORPUS_ROUNDS} passes\nover the whole corpus; the measured runs: once "
        "each, both caches emptied first (CPU of the process and its workers)."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=8000, metavar="N")
    parser.add_argument(
        "--table",
        type=int,
        metavar="N",
        help="also print the CPU seconds of each phase for a whole run of N conversations",
    )
    parser.add_argument(
        "--whole-runs",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="with --table, also run the real command on the corpus of N (default: yes)",
    )
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "cprlint-bench"
    )
    options = parser.parse_args(argv)
    if not 1 <= options.conversations <= SAMPLE_SIZE:
        parser.error(f"--conversations must be between 1 and {SAMPLE_SIZE:,}")
    if options.table is not None and options.table < 1:
        parser.error("--table must be at least 1")
    one_blas_thread()  # as the command does (numpy is imported later, by the bootstrap)
    with tempfile.TemporaryDirectory(prefix="cprlint-phases-user-cache-") as user_cache:
        os.environ["CPRLINT_CACHE_DIR"] = user_cache  # (never written: see fresh_counter)
        return measure_and_print(options)


def measure_and_print(options: argparse.Namespace) -> int:
    started = bench_run.code_state()
    workdir = options.workdir.resolve()
    sample_corpus = bench_run.corpus_for(SAMPLE_SIZE, workdir)
    table_corpus = None
    if options.table is not None:  # made first: making it takes a while, measuring not
        table_corpus = bench_run.corpus_for(options.table, workdir)
    sample = load_sample(sample_corpus.root, options.conversations)
    catalog = builtin_catalog()
    phases = measure_phases(sample, catalog)
    sample_note = f"the first {sample.count:,} conversations of {sample_corpus.root}"

    print(f"\n{sample_note}; {'; '.join(phases.notes)}")
    print(bench_run.code_line(started))
    print(f"CPU µs per conversation, best of {ROUNDS}; floor: {FLOOR_PARSER}.loads")
    floor = phases.microseconds["floor"]
    indented = {"recount", "pricing", "rest"}
    for name, microseconds in phases.microseconds.items():
        label = f"  {name}" if name in indented else name
        print(f"  {label:<20} {microseconds:8.1f}  {microseconds / floor:5.2f}x floor")

    if table_corpus is not None:
        print(f"\nmeasuring the whole-run figures on {table_corpus.root} ...", flush=True)
        startups = {
            (kind, filled): startup(table_corpus.root, kind, user_cache_filled=filled)
            for kind in ("check", "base")
            for filled in (False, True)
        }
        cache_key = hash_seconds(table_corpus.root)
        floor_whole = floor_seconds(table_corpus.root)
        runs = whole_runs(table_corpus, sample_corpus) if options.whole_runs else []
        print("\n".join(bench_run.machine_lines()[:3]))
        print(bench_run.code_line(started))
        print(bench_run.environment_line())
        print_table(options.table, phases, startups, cache_key, floor_whole, runs, sample_note)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (AttributeError, TypeError, KeyError):
        traceback.print_exc()
        sys.exit(
            "\nbench/phases.py: the error above may mean that an internal of cprlint this "
            "script drives has changed (a name, a signature): see where it stopped."
        )
