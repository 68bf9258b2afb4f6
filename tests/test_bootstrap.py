"""The streaming Poisson bootstrap (`cprlint.bootstrap`): its weights, its exact sums
however the stream is cut, and intervals as wide as the sampling error says."""

from __future__ import annotations

import math

import cprlint.bootstrap
import numpy as np
import pytest
from cprlint.bootstrap import (
    BOOTSTRAP_SAMPLES,
    MAX_WEIGHT,
    POISSON_WEIGHTS,
    ResampledSums,
    resample_key,
    resample_weights,
)

MASK = (1 << 64) - 1
FIGURE = ("summary", "")


def splitmix64(value: int) -> int:
    """SplitMix64's finalizer, written out on Python integers."""
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & MASK
    return value ^ (value >> 31)


def test_weights_are_four_16_bit_slices_of_each_hash() -> None:
    key = resample_key("T-1001")
    weights = resample_weights(np.array([key], dtype=np.uint64))[0]
    assert weights.shape == (BOOTSTRAP_SAMPLES,)
    for stream in (0, 1, 249):
        hashed = splitmix64((key + (stream + 1) * 0x9E3779B97F4A7C15) & MASK)
        for part in range(4):
            slot = (hashed >> (16 * part)) & 0xFFFF
            assert weights[4 * stream + part] == POISSON_WEIGHTS[slot]


def test_the_weight_table_holds_poisson_1() -> None:
    # Slot u stands for probability (u + 0.5) / 65536 and weighs the first k whose
    # Poisson(1) CDF is past it. CDF(0) = e^-1: 65536 e^-1 = 24,109.35, so u + 0.5 is below
    # it for u = 0..24,108: 24,109 slots weigh 0. CDF(1) = 2 e^-1: 65536 * 2 e^-1 =
    # 48,218.69, so u = 24,109..48,218, 24,110 slots, weigh 1. CDF(7) = 0.9999898 is below
    # the last slot's 65,535.5 / 65,536 = 0.9999924: the last slot, alone, weighs 8.
    counts = np.bincount(POISSON_WEIGHTS.astype(int))
    assert (counts[0], counts[1]) == (24_109, 24_110)
    assert MAX_WEIGHT == 8
    assert POISSON_WEIGHTS[-1] == 8
    assert counts[8] == 1
    assert POISSON_WEIGHTS.mean() == pytest.approx(1, abs=1e-4)
    assert POISSON_WEIGHTS.var() == pytest.approx(1, abs=1e-3)


def test_a_conversation_weighs_the_same_wherever_it_is() -> None:
    keys = np.array([resample_key(name) for name in ("a", "b", "T-1001")], dtype=np.uint64)
    together = resample_weights(keys)
    alone = resample_weights(keys[2:])
    assert (together[2] == alone[0]).all()
    assert not (together[0] == together[1]).all()
    # Independent weights of mean 1: their average over 3 x 1,000 draws is near 1.
    assert together.mean() == pytest.approx(1, abs=0.1)


def _rows(count: int) -> list[tuple[str, tuple[int, int, int, int]]]:
    rng = np.random.default_rng(11)
    return [
        (
            f"T-{row}",
            (int(rng.integers(0, 10**7)), row % 3 != 0, int(rng.integers(0, 10**7)), row % 4 != 0),
        )
        for row in range(count)
    ]


def _summed(rows: list[tuple[str, tuple[int, int, int, int]]]) -> ResampledSums:
    sums = ResampledSums()
    group = sums.group((FIGURE,))
    for conversation_id, values in rows:
        sums.add(conversation_id, [(group, *values)])
    sums.flush()
    return sums


def test_the_sums_are_exact_however_the_stream_is_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _rows(500)
    whole = _summed(rows)
    # The reference: every resample's sums as Python integers, weight times value.
    keys = np.array([resample_key(conversation_id) for conversation_id, _ in rows], np.uint64)
    weights = resample_weights(keys).astype(int)
    expected = [
        [
            sum(
                int(w) * values[column]
                for w, (_, values) in zip(weights[:, sample], rows, strict=True)
            )
            for sample in (0, 499, 999)
        ]
        for column in range(4)
    ]
    assert whole.sums[FIGURE][:, [0, 499, 999]].tolist() == expected
    # Blocks of 7 rows, three stretches merged last to first: the same integers.
    monkeypatch.setattr(cprlint.bootstrap, "BLOCK_ROWS", 7)
    parts = [_summed(rows[:123]), _summed(rows[123:400]), _summed(rows[400:])]
    merged = ResampledSums()
    for part in reversed(parts):
        merged.merge(part)
    assert (merged.sums[FIGURE] == whole.sums[FIGURE]).all()
    assert merged.interval(FIGURE) == whole.interval(FIGURE)


def test_values_too_large_for_float64_products_are_summed_in_integers() -> None:
    # 2^50 * 8 * 3 rows > 2^53: the int64 path; its sums are still exact.
    rows = [(f"T-{row}", (2**50 + row, 1, 2**50 - row, 1)) for row in range(3)]
    sums = _summed(rows)
    keys = np.array([resample_key(conversation_id) for conversation_id, _ in rows], np.uint64)
    weights = resample_weights(keys).astype(int)
    first = sum(int(weights[row, 0]) * rows[row][1][0] for row in range(3))
    assert int(sums.sums[FIGURE][0, 0]) == first


def test_a_figure_that_could_pass_int64_gets_no_interval() -> None:
    # 20 conversations of 2^60 billionths: a resample may weigh them up to 8 * 20 * 2^60
    # = 5 * 2^65, past 2^63 - 1.
    rows = [(f"T-{row}", (2**60, 1, 2**60, 1)) for row in range(20)]
    assert _summed(rows).interval(FIGURE) is None
    # Of 2^55 each, at most 8 * 20 * 2^55 = 5 * 2^62 < 2^63 - 1: no change, exactly.
    rows = [(f"T-{row}", (2**55, 1, 2**55, 1)) for row in range(20)]
    assert _summed(rows).interval(FIGURE) == [0, 0]


def test_a_figure_without_conversations_has_no_interval() -> None:
    sums = _summed(_rows(10))
    assert sums.interval(("intents", "nobody")) is None


def test_the_same_change_everywhere_has_a_point_interval() -> None:
    # Every conversation costs 10% more: every resample's ratio is 1.1.
    rows = [(f"T-{row}", (1000 * (row + 1), 1, 1100 * (row + 1), 1)) for row in range(50)]
    low, high = _summed(rows).interval(FIGURE) or (None, None)
    assert low == pytest.approx(10, abs=1e-9)
    assert high == pytest.approx(10, abs=1e-9)


def test_the_interval_is_as_wide_as_the_sampling_error() -> None:
    # 2,000 resolved conversations, each costing 1.00 in the base; in the head half cost
    # 1.00 and half 1.20. The change is the mean of e (0 or 0.2) over the drawn
    # conversations: 10%, with standard error sd(e) / sqrt(n) = 0.1 / sqrt(2000) =
    # 0.2236 points, so the 95% interval is 10 +- 1.96 * 0.2236 = [9.562, 10.438].
    rows = [(f"T-{row}", (10**9, 1, 12 * 10**8 if row % 2 else 10**9, 1)) for row in range(2000)]
    low, high = _summed(rows).interval(FIGURE) or (math.nan, math.nan)
    # (1,000 resamples place a 2.5% quantile to about +-0.05 points.)
    assert low == pytest.approx(9.562, abs=0.08)
    assert high == pytest.approx(10.438, abs=0.08)


def test_a_group_of_some_conversations_sums_only_theirs() -> None:
    # Two scope groups taking turns, and a prompt used by every third conversation: the
    # prompt's rows are picked out of weights laid out scope by scope.
    sums = ResampledSums()
    scopes = [sums.group((("intents", "a"),)), sums.group((("intents", "b"),))]
    prompt = sums.group((("prompts", "p"),))
    ids = [f"T-{row}" for row in range(40)]
    for row, conversation_id in enumerate(ids):
        entries = [(scopes[row % 2], row, 1, row + 1, 1)]
        if row % 3 == 0:
            entries.append((prompt, 10 * row, 2, 11 * row, 2))
        sums.add(conversation_id, entries)
    sums.flush()
    weights = resample_weights(np.array([resample_key(name) for name in ids], np.uint64))
    used = range(0, 40, 3)
    expected = [sum(int(weights[row, 5]) * 11 * row for row in used)]
    assert sums.sums[("prompts", "p")][2, [5]].tolist() == expected
    second = [sum(int(weights[row, 5]) * (row + 1) for row in range(1, 40, 2))]
    assert sums.sums[("intents", "b")][2, [5]].tolist() == second


def test_a_conversation_with_nothing_to_add_changes_no_sum() -> None:
    rows = _rows(30)
    with_empty = ResampledSums()
    group = with_empty.group((FIGURE,))
    for row, (conversation_id, values) in enumerate(rows):
        with_empty.add(conversation_id, [(group, *values)])
        if row == 10:
            with_empty.add("T-nothing", [])
    with_empty.flush()
    assert (with_empty.sums[FIGURE] == _summed(rows).sums[FIGURE]).all()


def test_the_weight_steps_are_the_table() -> None:
    # The weights are worked out by comparing each 16-bit slot with the first slot of
    # each weight, not by looking the table up: the same for every slot.
    slots = np.arange(1 << 16, dtype=np.uint16)
    weights = np.empty(slots.shape, dtype=np.uint8)
    found = cprlint.bootstrap._weights_of_slots(slots, weights, np.empty(slots.shape, bool))
    assert (found == POISSON_WEIGHTS).all()


# --- the vectorised sums against a slow reference ---------------------------------------

CAP = 1 << 62
INT64 = 1 << 64


def reference_weights(conversation_id: str) -> list[int]:
    """A conversation's 1,000 weights, one hash and one table look-up at a time."""
    key = resample_key(conversation_id)
    weights = []
    for stream in range(BOOTSTRAP_SAMPLES // 4):
        hashed = splitmix64((key + (stream + 1) * 0x9E3779B97F4A7C15) & MASK)
        weights += [int(POISSON_WEIGHTS[(hashed >> (16 * part)) & 0xFFFF]) for part in range(4)]
    return weights


def reference_sums(
    groups: list[tuple[tuple[str, ...], ...]],
    rows: list[tuple[str, list[tuple[int, int, int, int, int]]]],
    block_rows: int,
) -> tuple[dict[tuple[str, ...], list[list[int]]], dict[tuple[str, ...], int]]:
    """Per figure, its sums in every resample, conversation by conversation in Python
    integers (as int64 keeps them: modulo 2**64); and its bound, block by block."""
    sums: dict[tuple[str, ...], list[list[int]]] = {}
    bounds: dict[tuple[str, ...], int] = {}
    for conversation_id, entries in rows:
        weights = reference_weights(conversation_id)
        for group, *values in entries:
            for figure in groups[group]:
                figure_sums = sums.setdefault(figure, [[0] * BOOTSTRAP_SAMPLES for _ in range(4)])
                for column, value in enumerate(values):
                    held = min(value, CAP)
                    row = figure_sums[column]
                    for sample, weight in enumerate(weights):
                        row[sample] += weight * held
    for first in range(0, len(rows), block_rows):
        totals: dict[int, list[int]] = {}
        for _, entries in rows[first : first + block_rows]:
            for group, *values in entries:
                column_totals = totals.setdefault(group, [0, 0, 0, 0])
                for column, value in enumerate(values):
                    column_totals[column] += min(value, CAP)
        for group, column_totals in totals.items():
            for figure in groups[group]:
                bounds[figure] = bounds.get(figure, 0) + max(column_totals)
    as_int64 = {
        figure: [
            [(total + (1 << 63)) % INT64 - (1 << 63) for total in column] for column in figure_sums
        ]
        for figure, figure_sums in sums.items()
    }
    return as_int64, bounds


def _random_rows(
    count: int, seed: int
) -> tuple[
    list[tuple[tuple[str, ...], ...]], list[tuple[str, list[tuple[int, int, int, int, int]]]]
]:
    """Conversations as `compare` adds them: a scope group each (cells that share the
    summary, intents and queues), prompts used by every conversation, by most, by a few;
    some conversations with nothing; values small, at the edge of float64's exact
    products, past it, and past int64."""
    rng = np.random.default_rng(seed)
    cells = [("a", "x"), ("a", "y"), ("b", "x"), ("b", "z"), ("c", "y"), ("d", "x"), ("e", "z")]
    groups: list[tuple[tuple[str, ...], ...]] = [
        (("summary", ""), ("intents", intent), ("queues", queue)) for intent, queue in cells
    ]
    groups += [(("prompts", name),) for name in ("everyone", "most", "few", "huge")]
    everyone, most, few, huge = range(len(cells), len(cells) + 4)
    rows = []
    for row in range(count):
        conversation_id = f"C-{seed}-{row}"
        if rng.random() < 0.05:
            rows.append((conversation_id, []))
            continue
        cell = int(rng.integers(len(cells)))
        # Cell "e" costs as much as float64 products stay exact for, over a block of 64.
        cost = 2**53 // (8 * 64) - 1 if cell == 6 else int(rng.integers(0, 10**8))
        entries = [(cell, cost, int(rng.random() < 0.7), cost + int(rng.integers(10**6)), 1)]
        tokens = int(rng.integers(100, 5000))
        entries.append((everyone, tokens, 2, tokens + 40, 2))
        if rng.random() < 0.7:
            entries.append((most, tokens // 2, 1, tokens // 2 + 7, 1))
        if rng.random() < 0.1:
            entries.append((few, 30, 1, 0, 0))
        if rng.random() < 0.05:  # past float64, then past int64
            entries.append((huge, 2**55, 1, 2**64 if rng.random() < 0.5 else 2**40, 1))
        rng.shuffle(entries[1:])  # (the scopes' entry stays first)
        rows.append((conversation_id, entries))
    return groups, rows


@pytest.mark.parametrize(("block_rows", "groups_held"), [(64, 1024), (16, 2), (1024, 1024)])
def test_the_sums_are_those_of_a_slow_reference(
    monkeypatch: pytest.MonkeyPatch, block_rows: int, groups_held: int
) -> None:
    monkeypatch.setattr(cprlint.bootstrap, "BLOCK_ROWS", block_rows)
    monkeypatch.setattr(cprlint.bootstrap, "_GROUPS_HELD", groups_held)
    groups, rows = _random_rows(300, seed=block_rows)
    sums = ResampledSums()
    for figures in groups:
        sums.group(figures)
    for conversation_id, entries in rows:
        sums.add(conversation_id, entries)
    expected, bounds = reference_sums(groups, rows, block_rows)
    assert sorted(sums.sums, key=repr) == sorted(expected, key=repr)
    for figure, figure_sums in expected.items():
        assert sums.sums[figure].tolist() == figure_sums, figure
        assert sums.bounds[figure] == bounds[figure], figure
        if bounds[figure] * MAX_WEIGHT > (1 << 63) - 1:
            assert sums.interval(figure) is None
        else:
            base_num, base_den, head_num, head_den = np.array(figure_sums, dtype=np.float64)
            with np.errstate(divide="ignore", invalid="ignore"):
                changes = (head_num / head_den / (base_num / base_den) - 1) * 100
            assert sums.interval(figure) == cprlint.bootstrap._interval(changes)
    assert sums.interval(("prompts", "huge")) is None
    assert sums.interval(("summary", "")) is not None


def test_the_sums_are_the_same_however_the_work_is_shared(monkeypatch: pytest.MonkeyPatch) -> None:
    # As workers share the stream: stretches summed apart, in blocks of their own, their
    # groups numbered in another order, then merged in any order.
    monkeypatch.setattr(cprlint.bootstrap, "BLOCK_ROWS", 32)
    groups, rows = _random_rows(200, seed=7)
    whole = ResampledSums()
    for figures in groups:
        whole.group(figures)
    for conversation_id, entries in rows:
        whole.add(conversation_id, entries)
    merged = ResampledSums()
    for first, last in ((150, 200), (0, 70), (70, 150)):
        part = ResampledSums()
        numbers = {group: part.group(groups[group]) for group in reversed(range(len(groups)))}
        for conversation_id, entries in rows[first:last]:
            part.add(conversation_id, [(numbers[group], *values) for group, *values in entries])
        merged.merge(part)
    assert sorted(merged.sums, key=repr) == sorted(whole.sums, key=repr)
    for figure, summed in whole.sums.items():
        assert (merged.sums[figure] == summed).all()
        assert merged.interval(figure) == whole.interval(figure)
