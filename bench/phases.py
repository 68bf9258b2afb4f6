"""Where a conversation's CPU time goes in `check`, phase by phase, in one process.

    python bench/phases.py [--conversations 8000] [--workdir DIR]

Takes the first N conversations of the 10,000-conversation bench corpus (made by
bench/run.py's generator if missing) and prints, in CPU microseconds per conversation
(best of 5, each phase alone on conversations already read):

  floor     orjson.loads of each line (json.loads without orjson)
  read      the line into typed records (the strict reader)
  read x3   the same for lines three conversations long (their events joined: about 85
            brackets, past the count that lets a line through without measuring its
            depth), per conversation's worth of events
  lint      the fixture rules
  replay    replayed under the head tree, then under the `base` commit's tree
  totals    the replayed results added to the aggregates
  resample  head and base results added to the comparison's sums, exact and resampled
            (the streaming bootstrap of `--base`, 1,000 weighted sums per figure)

Each round of `replay` starts with an empty token-count cache, as a run does: the
windows around per-conversation variables are tokenized anew (the call plans, made once
per kind of call, are rebuilt too, a few milliseconds). Nothing is written into the
repository.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from cprlint.aggregates import Aggregates
from cprlint.compare import NOT_USED, PairedSamples, prompt_usage
from cprlint.deltas import TokenDeltas
from cprlint.engine import FindingCollector, lint_conversation
from cprlint.machine import one_blas_thread
from cprlint.model import Conversation, conversation_from_json_line
from cprlint.pricing import builtin_catalog
from cprlint.project import Project, load_project
from cprlint.replay import ConversationResult, Replayer
from cprlint.rules.context import RuleContext
from cprlint.tokens import TokenCounter
from cprlint.trees import GitTree

# bench/run.py sits beside this script; leave no __pycache__ in the repository.
sys.dont_write_bytecode = True
import make_corpus  # noqa: E402
import run as bench_run  # noqa: E402

try:  # the floor's parser, as bench/run.py's
    from orjson import loads
except ImportError:
    from json import loads

ROUNDS = 5
TODAY = dt.date(2026, 11, 23)


def best_microseconds(work: Callable[[], object], count: int) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best / count * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=8000)
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "cprlint-bench"
    )
    options = parser.parse_args(argv)
    one_blas_thread()  # as the command does (numpy is imported later, by the bootstrap)
    corpus = bench_run.corpus_for(10_000, options.workdir)
    head = load_project(corpus.root)
    base = load_project(corpus.root, tree=GitTree(corpus.root, "base"), with_fixtures=False)
    lines: list[str] = []
    for path in sorted((corpus.root / "fixtures").rglob("*.jsonl")):
        lines += path.read_text(encoding="utf-8").splitlines()
    lines = lines[: options.conversations]
    raw_lines = [line.encode("utf-8") for line in lines]
    conversations: list[Conversation] = []
    for number, line in enumerate(lines, 1):
        conversation = conversation_from_json_line("fixture.jsonl", line, number)
        if conversation is None:
            raise SystemExit(f"line {number} is not read by the strict reader")
        conversations.append(conversation)
    count = len(conversations)
    catalog = builtin_catalog()

    def lint() -> None:
        collector = FindingCollector(head, today=TODAY)
        context = RuleContext(project=head, today=TODAY)
        for conversation in conversations:
            lint_conversation(conversation, context, collector)

    # Each phase drops what it makes, as a run does: kept in a list, thousands of parsed
    # lines would make every garbage collection walk them, and the figures with it.
    def floor() -> None:
        for line in raw_lines:
            loads(line)

    def read() -> None:
        for number, line in enumerate(lines, 1):
            conversation_from_json_line("fixture.jsonl", line, number)

    # Three conversations' events on one line, as `make_corpus --join 3` writes them: the
    # same conversations as above, some thirty events a line.
    with tempfile.TemporaryDirectory(prefix="cprlint-phases-") as directory:
        make_corpus.write_fixtures(Path(directory), count // 3, make_corpus.DEFAULT_SEED, join=3)
        long_lines = (Path(directory) / "part-0000.jsonl").read_text(encoding="utf-8").splitlines()

    def read_long() -> None:
        for number, line in enumerate(long_lines, 1):
            if conversation_from_json_line("fixture.jsonl", line, number) is None:
                raise SystemExit(f"a long line {number} is not read by the strict reader")

    phases: dict[str, float] = {
        "floor": best_microseconds(floor, count),
        "read": best_microseconds(read, count),
        "read x3": best_microseconds(read_long, 3 * len(long_lines)),
        "lint": best_microseconds(lint, count),
    }

    def replay_all(tree: Project) -> Iterator[ConversationResult]:
        replayer = Replayer(tree, catalog=catalog, deltas=TokenDeltas(TokenCounter()))
        return (replayer.replay(conversation) for conversation in conversations)

    for name, tree in (("replay head", head), ("replay base", base)):
        phases[name] = best_microseconds(
            lambda tree=tree: collections.deque(replay_all(tree), maxlen=0), count
        )

    results = list(replay_all(head))

    def add_up() -> None:
        aggregates = Aggregates()
        for result in results:
            aggregates.add(result)

    phases["totals"] = best_microseconds(add_up, count)
    base_results = list(replay_all(base))

    def resample() -> None:
        samples = PairedSamples()
        for head_result, base_result in zip(results, base_results, strict=True):
            head_usage, base_usage = prompt_usage(head_result), prompt_usage(base_result)
            samples.add(
                head_result.conversation_id,
                (head_result.intent, head_result.queue, head_result.automation),
                (base_result.resolved, head_result.resolved),
                dict.fromkeys(("base", "prompt_text"), base_result.ai_cost)
                | dict.fromkeys(("routing", "head"), head_result.ai_cost),
                {
                    prompt: (base_usage.get(prompt, NOT_USED), head_usage.get(prompt, NOT_USED))
                    for prompt in base_usage.keys() | head_usage.keys()
                },
            )
        samples.flush()

    phases["resample"] = best_microseconds(resample, count)
    print(f"{count:,} conversations of {corpus.root}; CPU µs per conversation, best of {ROUNDS}")
    floor = phases["floor"]
    for name, microseconds in phases.items():
        print(f"  {name:<12} {microseconds:8.1f}  {microseconds / floor:5.2f}x floor")
    return 0


if __name__ == "__main__":
    sys.exit(main())
