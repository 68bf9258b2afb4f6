"""The paired bootstrap behind every comparison's 95% intervals (`cprlint.compare`).

Both trees replay the same conversations, so a resample weighs conversations, not calls:
each figure's base and head are summed with the same weights.

It is a Poisson bootstrap: in each of the 1,000 resamples every conversation gets its own
weight, drawn from Poisson(1), instead of the n draws with replacement of the classic
bootstrap (whose counts are multinomial and tie every conversation to all the others).
The two give the same intervals as n grows (Hanley and MacGibbon, 2006; Chamandy et al.,
"Estimating uncertainty for massive data streams", Google, 2012), and independent weights
are what make the bootstrap stream: a conversation's weighted values are added to running
sums as it is replayed and then forgotten, the sums of two stretches of the stream add up,
and memory stays flat however many conversations there are.

A conversation's weights are a hash of its id and the resample's number, so they do not
depend on where it sits in the fixture files or on which process replays it. The sums are
kept in integers (costs in billionths, `money.billionths`), which add up exactly in any
order: the intervals are the same for any number of worker processes.
"""

from __future__ import annotations

import hashlib
import math
from array import array
from collections.abc import Hashable, Iterable, Sequence
from decimal import Decimal

import numpy as np
from cprlint.money import json_number

BOOTSTRAP_SAMPLES = 1000
BOOTSTRAP_SEED = 20261123

# A weight is looked up from 16 bits of the hash: the table holds Poisson(1)'s quantiles at
# the midpoints of 65,536 equal slices of probability. Its mean is 1 and its variance
# 0.99997; the largest weight is 8 (Poisson(1) exceeds 8 once in a million draws).
_WEIGHT_BITS = 16


def _poisson_quantiles() -> np.ndarray:
    cumulative, bounds = 0.0, []
    for k in range(20):
        cumulative += math.exp(-1) / math.factorial(k)
        bounds.append(cumulative)
    slices = 1 << _WEIGHT_BITS
    midpoints = (np.arange(slices) + 0.5) / slices
    return np.searchsorted(np.array(bounds), midpoints, side="right").astype(np.uint8)


POISSON_WEIGHTS = _poisson_quantiles()
MAX_WEIGHT = int(POISSON_WEIGHTS.max())

# SplitMix64 (Steele, Lea and Flood, 2014): one 64-bit hash gives four 16-bit weights.
_GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_WEIGHTS_PER_HASH = 64 // _WEIGHT_BITS
_HASH_STREAMS = (
    np.arange(1, BOOTSTRAP_SAMPLES // _WEIGHTS_PER_HASH + 1, dtype=np.uint64) * _GOLDEN_GAMMA
)

# Conversations whose weighted values are summed together, in one pass per group.
BLOCK_ROWS = 1024
# Weighted sums are worked out as float64 matrix products, exact while every partial sum
# is an integer below 2**53; past that (a block of conversations costing a thousand or
# more each, say) in int64.
_EXACT_FLOAT = 1 << 53
# A figure whose sums could pass int64's range gets no interval (`ResampledSums.interval`).
_INT64_LIMIT = (1 << 63) - 1
# Values past this are held at it, to fit an int64; no interval is given for them anyway.
_VALUE_CAP = 1 << 62

Figure = Hashable  # ("intents", "refund"), say: what a set of sums is the figure of


def resample_key(conversation_id: str) -> int:
    """The 64 bits a conversation's weights are drawn from: its id's hash, seeded."""
    digest = hashlib.blake2b(
        conversation_id.encode("utf-8", "surrogatepass"),
        digest_size=8,
        salt=BOOTSTRAP_SEED.to_bytes(8, "little"),
    ).digest()
    return int.from_bytes(digest, "little")


def resample_weights(keys: np.ndarray) -> np.ndarray:
    """Conversation x resample: the Poisson(1) weight of each conversation (by its
    `resample_key`) in each resample, as float64."""
    mixed = keys.astype(np.uint64)[:, None] + _HASH_STREAMS[None, :]
    mixed ^= mixed >> np.uint64(30)
    mixed *= _MIX_1
    mixed ^= mixed >> np.uint64(27)
    mixed *= _MIX_2
    mixed ^= mixed >> np.uint64(31)
    # Little-endian whatever the machine, so the 16-bit slices are the same everywhere.
    slices = mixed.astype("<u8", copy=False).view("<u2")
    # (A table of bytes: looked up and then widened, twice as fast as a table of floats.)
    weights: np.ndarray = np.take(POISSON_WEIGHTS, slices).astype(np.float64)
    return weights


class ResampledSums:
    """Per figure, the four values summed in every resample: a 4 x 1,000 int64 array.

    Rows are added as conversations are replayed (`add`) and summed a block at a time;
    the sums of two stretches of the stream merge (`merge`) into those of both.
    """

    def __init__(self) -> None:
        self.sums: dict[Figure, np.ndarray] = {}
        # Per figure, at least what any one of its four values adds up to, unweighted: the
        # sums stay within int64 while MAX_WEIGHT times it does.
        self.bounds: dict[Figure, int] = {}
        # A group is the figures that add the same values: a conversation's scopes (the
        # summary, its intent, queue and mode) share one, a prompt has its own.
        self.groups: list[tuple[Figure, ...]] = []
        self._group_ids: dict[tuple[Figure, ...], int] = {}
        self._new_block()

    def _new_block(self) -> None:
        # The block being gathered: each row's key; each entry's row, group and values.
        self._keys: array[int] = array("Q")
        self._rows: array[int] = array("q")
        self._entry_groups: array[int] = array("q")
        self._values: array[int] = array("q")

    def group(self, figures: tuple[Figure, ...]) -> int:
        """The number `add` knows these figures by, together."""
        group = self._group_ids.get(figures)
        if group is None:
            group = self._group_ids[figures] = len(self.groups)
            self.groups.append(figures)
        return group

    def add(self, conversation_id: str, entries: Iterable[tuple[int, int, int, int, int]]) -> None:
        """One conversation, by its id: for each group it adds to, the group and the four
        values the group's figures sum, whole numbers, none negative: base numerator,
        base denominator, head numerator, head denominator (a scope's cost and resolved
        tickets, a prompt's input tokens and calls). Its first group is the one it always
        has (its scopes'): its weights are laid out in that order."""
        row = len(self._keys)
        self._keys.append(resample_key(conversation_id))
        for group, *values in entries:
            self._rows.append(row)
            self._entry_groups.append(group)
            if max(values) > _VALUE_CAP:  # held within int64: `bounds` says no interval
                values = [min(value, _VALUE_CAP) for value in values]
            self._values.extend(values)
        if row + 1 >= BLOCK_ROWS:
            self.flush()

    def flush(self) -> None:
        """Sum the rows gathered so far into their figures."""
        if not self._keys:
            return
        keys = np.frombuffer(self._keys, dtype=np.uint64)
        entry_rows = np.frombuffer(self._rows, dtype=np.int64)
        entry_groups = np.frombuffer(self._entry_groups, dtype=np.int64)
        # A conversation's weights are laid out in the order of its first group (its
        # scopes'), so that group's rows are a slice of them; the other groups (prompts)
        # pick their rows out. Weights are 8 KB a row: copying them costs as much as
        # summing them.
        first_entries = np.flatnonzero(np.r_[True, entry_rows[1:] != entry_rows[:-1]])
        first_group_of_row = np.full(len(keys), -1, dtype=np.int64)  # (-1: a row of none)
        first_group_of_row[entry_rows[first_entries]] = entry_groups[first_entries]
        row_order = np.argsort(first_group_of_row, kind="stable")
        weights = resample_weights(keys[row_order])
        place_of_row = np.empty(len(keys), dtype=np.intp)
        place_of_row[row_order] = np.arange(len(keys))
        order = np.argsort(entry_groups, kind="stable")
        groups = entry_groups[order]
        places = place_of_row[entry_rows[order]]
        values = np.frombuffer(self._values, dtype=np.int64).reshape(-1, 4)[order]
        starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
        ends = np.r_[starts[1:], len(groups)]
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            group_places = places[start:end]
            first = int(group_places[0])
            if first + end - start - 1 == group_places[-1] and (np.diff(group_places) == 1).all():
                group_weights = weights[first : first + end - start]
            else:
                group_weights = weights[group_places]
            self._add_group(self.groups[int(groups[start])], group_weights, values[start:end])
        self._new_block()

    def _add_group(
        self, figures: Sequence[Figure], weights: np.ndarray, values: np.ndarray
    ) -> None:
        largest = int(values.max()) if values.size else 0
        if largest * len(values) < _INT64_LIMIT:
            column_totals = max(int(total) for total in values.sum(axis=0))
        else:  # (int64 would wrap: add as Python integers)
            column_totals = max(sum(int(value) for value in column) for column in values.T)
        if largest * MAX_WEIGHT * len(values) < _EXACT_FLOAT:
            summed = np.rint(values.T.astype(np.float64) @ weights).astype(np.int64)
        else:
            # Exact modulo 2**64; a figure that could wrap gets no interval anyway.
            summed = values.T @ weights.astype(np.int64)
        for figure in figures:
            mine = self.sums.get(figure)
            if mine is None:
                self.sums[figure] = summed.copy()
                self.bounds[figure] = column_totals
            else:
                mine += summed
                self.bounds[figure] += column_totals

    def merge(self, later: ResampledSums) -> None:
        later.flush()
        for figure, summed in later.sums.items():
            mine = self.sums.get(figure)
            if mine is None:
                self.sums[figure] = summed.copy()
                self.bounds[figure] = later.bounds[figure]
            else:
                mine += summed
                self.bounds[figure] += later.bounds[figure]

    def interval(self, figure: Figure) -> list[float] | None:
        """The 95% interval of the figure's change in % (head numerator / denominator
        against base numerator / denominator), or None without enough resamples where it
        is defined."""
        self.flush()
        summed = self.sums.get(figure)
        if summed is None or self.bounds[figure] * MAX_WEIGHT > _INT64_LIMIT:
            return None
        base_num, base_den, head_num, head_den = summed.astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            changes = (head_num / head_den / (base_num / base_den) - 1) * 100
        return _interval(changes)


def _interval(values: np.ndarray) -> list[float] | None:
    finite = values[np.isfinite(values)]
    if finite.size < len(values) * 0.9 or finite.size == 0:
        return None  # too many resamples without a defined ratio to say anything
    low, high = np.percentile(finite, [2.5, 97.5])
    return [json_number(Decimal(repr(float(low)))), json_number(Decimal(repr(float(high))))]
