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
