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

Conversations are summed 1,024 at a time. A block's weights are drawn in one go, a
conversation x resample matrix whose row serves all four values of a conversation (base
and head are paired: the same weights), and each group of figures that adds the same
values (a cell's scopes, a prompt) gets its 4 x 1,000 sums of the block from a matrix
product of its conversations' values with their rows of weights (the groups that most of
the block adds to, from one product with all the rows, their values zero where they have
none). The products are exact integers, so it does not matter how the stream is cut into
blocks, in what order the products add up, nor when a group's sums go to its figures.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Hashable, Iterable
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
# The table rises with the slot (quantiles of rising probabilities), so a slot's weight is
# how many of these it is at or past: the first slot of weight 1, of weight 2, ... of
# MAX_WEIGHT. Comparing 16-bit integers is twice as fast as looking the table up.
_WEIGHT_STEPS = np.searchsorted(POISSON_WEIGHTS, np.arange(1, MAX_WEIGHT + 1)).astype(np.uint16)

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
# A group whose conversations are scattered over the block, one in _SPREAD_SHARE of them
# or more, is summed with every row of the block's weights (its values zero elsewhere), in
# one product with the other such groups: cheaper than copying its rows out.
_SPREAD_SHARE = 4
# The groups whose sums are held apart from their figures' at most: past that (thousands
# of cells) they are added to their figures first, and memory stays within 32 MB.
_GROUPS_HELD = 1024

Figure = Hashable  # ("intents", "refund"), say: what a set of sums is the figure of


_KEY_HASH = hashlib.blake2b(digest_size=8, salt=BOOTSTRAP_SEED.to_bytes(8, "little"))


def resample_key(conversation_id: str) -> int:
    """The 64 bits a conversation's weights are drawn from: its id's hash, seeded."""
    digest = _KEY_HASH.copy()  # (twice as fast as a new one with the same salt)
    digest.update(conversation_id.encode("utf-8", "surrogatepass"))
    return int.from_bytes(digest.digest(), "little")


class _Workspace:
    """The arrays a block is worked out in, for up to `rows` conversations, used again
    block after block: fresh arrays of megabytes would cost their page faults every time,
    as much as the arithmetic done in them."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.mixed = np.empty((rows, len(_HASH_STREAMS)), dtype=np.uint64)
        self.shifted = np.empty_like(self.mixed)
        self.reached = np.empty((rows, BOOTSTRAP_SAMPLES), dtype=np.bool_)
        self.weight_bytes = np.empty((rows, BOOTSTRAP_SAMPLES), dtype=np.uint8)
        self.weights = np.empty((rows, BOOTSTRAP_SAMPLES), dtype=np.float64)
        self.summed = np.empty((0, 4, BOOTSTRAP_SAMPLES), dtype=np.float64)
        self.block_sums = np.empty((0, 4, BOOTSTRAP_SAMPLES), dtype=np.int64)

    def sums_for(self, groups: int) -> tuple[np.ndarray, np.ndarray]:
        """Room for a block's sums of that many groups: float64 and int64."""
        if len(self.summed) < groups:
            self.summed = np.empty((groups, 4, BOOTSTRAP_SAMPLES), dtype=np.float64)
            self.block_sums = np.empty((groups, 4, BOOTSTRAP_SAMPLES), dtype=np.int64)
        return self.summed[:groups], self.block_sums[:groups]


_workspace: _Workspace | None = None


def _workspace_for(rows: int) -> _Workspace:
    """This process's workspace, with room for `rows` conversations."""
    global _workspace
    if _workspace is None or _workspace.rows < rows:
        _workspace = _Workspace(max(rows, BLOCK_ROWS))
    return _workspace


def _weight_bytes(keys: np.ndarray, space: _Workspace) -> np.ndarray:
    """Conversation x resample: the Poisson(1) weights, as uint8 (in `space`)."""
    rows = len(keys)
    mixed, shifted = space.mixed[:rows], space.shifted[:rows]
    np.add(keys.astype(np.uint64)[:, None], _HASH_STREAMS[None, :], out=mixed)
    for shift, multiplier in ((30, _MIX_1), (27, _MIX_2), (31, None)):
        np.right_shift(mixed, np.uint64(shift), out=shifted)
        mixed ^= shifted
        if multiplier is not None:
            mixed *= multiplier
    # Little-endian whatever the machine, so the 16-bit slices are the same everywhere.
    slices = mixed.astype("<u8", copy=False).view("<u2")
    return _weights_of_slots(slices, space.weight_bytes[:rows], space.reached[:rows])


def _weights_of_slots(slots: np.ndarray, weights: np.ndarray, reached: np.ndarray) -> np.ndarray:
    """`POISSON_WEIGHTS[slots]`, into `weights` (uint8, `reached` bool, of their shape)."""
    np.greater_equal(slots, _WEIGHT_STEPS[0], out=weights.view(np.bool_))
    for step in _WEIGHT_STEPS[1:]:
        np.greater_equal(slots, step, out=reached)
        weights += reached.view(np.uint8)
    return weights


def resample_weights(keys: np.ndarray) -> np.ndarray:
    """Conversation x resample: the Poisson(1) weight of each conversation (by its
    `resample_key`) in each resample, as float64."""
    return _weight_bytes(keys, _Workspace(len(keys))).astype(np.float64)


class ResampledSums:
    """Per figure, the four values summed in every resample: a 4 x 1,000 int64 array.

    Rows are added as conversations are replayed (`add`) and summed a block at a time,
    per group of figures; the sums of two stretches of the stream merge (`merge`) into
    those of both.
    """

    def __init__(self) -> None:
        # A group is the figures that add the same values: a conversation's scopes (the
        # summary, its intent, queue and mode) share one, a prompt has its own.
        self.groups: list[tuple[Figure, ...]] = []
        self._group_ids: dict[tuple[Figure, ...], int] = {}
        # Per figure, its sums; and at least what any one of its four values adds up to,
        # unweighted: the sums stay within int64 while MAX_WEIGHT times it does.
        self._sums: dict[Figure, np.ndarray] = {}
        self._bounds: dict[Figure, int] = {}
        # Per group, the same for the blocks summed since it last added them to its figures.
        self._group_sums: dict[int, np.ndarray] = {}
        self._group_bounds: dict[int, int] = {}
        self._new_block()

    def _new_block(self) -> None:
        # The block being gathered: each row's key and number of entries; the entries
        # laid end to end, five numbers each (group and values).
        self._keys: list[int] = []
        self._counts: list[int] = []
        self._entries: list[int] = []

    @property
    def sums(self) -> dict[Figure, np.ndarray]:
        """Figure -> its sums, of every row added so far."""
        self.flush()
        return self._sums

    @property
    def bounds(self) -> dict[Figure, int]:
        """Figure -> its bound (see `__init__`), of every row added so far."""
        self.flush()
        return self._bounds

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
        laid_out = [value for entry in entries for value in entry]
        self.add_laid_out(conversation_id, len(laid_out) // 5, laid_out)

    def add_laid_out(self, conversation_id: str, count: int, entries: list[int]) -> None:
        """`add`, with the conversation's `count` entries laid end to end, five numbers each."""
        self._keys.append(resample_key(conversation_id))
        self._counts.append(count)
        self._entries += entries
        if len(self._keys) >= BLOCK_ROWS:
            self._sum_block()

    def flush(self) -> None:
        """Sum the rows gathered so far into their figures."""
        if self._keys:
            self._sum_block()
        if self._group_sums:
            self._add_groups_to_figures()

    def _sum_block(self) -> None:
        keys = np.array(self._keys, dtype=np.uint64)
        counts = np.array(self._counts, dtype=np.int64)
        try:
            entries = np.array(self._entries, dtype=np.int64).reshape(-1, 5)
        except OverflowError:  # a value past int64: held at _VALUE_CAP, as below
            entries = np.array(
                [
                    value if place % 5 == 0 else min(value, _VALUE_CAP)
                    for place, value in enumerate(self._entries)
                ],
                dtype=np.int64,
            ).reshape(-1, 5)
        self._new_block()
        if not len(entries):
            return
        # A conversation's weights are laid out in the order of its first group (its
        # scopes'), so that each such group's rows are a slice of them; the other groups
        # (prompts) pick their rows out. Conversations that add nothing need no weights.
        row_of_entry = np.repeat(np.arange(len(counts)), counts)
        rows = np.flatnonzero(counts)
        first_entries = (np.cumsum(counts) - counts)[rows]
        row_order = rows[np.argsort(entries[first_entries, 0], kind="stable")]
        place_of_row = np.empty(len(counts), dtype=np.intp)
        place_of_row[row_order] = np.arange(len(row_order))
        space = _workspace_for(len(row_order))
        weight_bytes = _weight_bytes(keys[row_order], space)
        weights = space.weights[: len(row_order)]
        np.copyto(weights, weight_bytes)
        # The entries group by group (each group's in the order of its conversations).
        order = np.argsort(entries[:, 0], kind="stable")
        groups = entries[order, 0]
        places = place_of_row[row_of_entry[order]]
        values = np.minimum(entries[order, 1:], _VALUE_CAP)
        starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
        ends = np.r_[starts[1:], len(groups)]
        sizes = ends - starts
        # A group's rows are a slice of the weights when its places run on one by one.
        steps = np.r_[0, np.cumsum(np.diff(places) == 1)]
        in_slice = steps[ends - 1] - steps[starts] == sizes - 1
        largest = np.maximum.reduceat(values.max(axis=1), starts).tolist()
        # Per group, its largest column total: `bounds`, exact while int64 holds it.
        column_totals = np.add.reduceat(values, starts, axis=0).max(axis=1).tolist()

        float_values = values.astype(np.float64)
        summed, block_sums = space.sums_for(len(starts))
        spread: list[int] = []
        in_integers: list[int] = []
        for index, (start, end, size, sliced, big) in enumerate(
            zip(
                starts.tolist(),
                ends.tolist(),
                sizes.tolist(),
                in_slice.tolist(),
                largest,
                strict=True,
            )
        ):
            if big * size >= _INT64_LIMIT:  # (int64 would wrap: add as Python integers)
                column_totals[index] = max(
                    sum(int(value) for value in column) for column in values[start:end].T
                )
            if big * MAX_WEIGHT * size >= _EXACT_FLOAT:
                in_integers.append(index)
                summed[index] = 0
            elif sliced:
                first = int(places[start])
                np.matmul(
                    float_values[start:end].T, weights[first : first + size], out=summed[index]
                )
            elif size * _SPREAD_SHARE >= len(weights):
                spread.append(index)
            else:
                np.matmul(float_values[start:end].T, weights[places[start:end]], out=summed[index])
        if spread:
            # Each such group's values in a row of the block, zero where it has none: zeros
            # add nothing, and the sums stay exact.
            spread_values = np.zeros((len(spread), 4, len(weights)))
            for slot, index in enumerate(spread):
                start, end = starts[index], ends[index]
                spread_values[slot][:, places[start:end]] = float_values[start:end].T
            summed[spread] = (spread_values.reshape(-1, len(weights)) @ weights).reshape(
                len(spread), 4, BOOTSTRAP_SAMPLES
            )
        # Whole numbers already, as every partial sum is: no rounding to do.
        np.copyto(block_sums, summed, casting="unsafe")
        for index in in_integers:
            start, end = starts[index], ends[index]
            # Exact modulo 2**64; a figure that could wrap gets no interval anyway.
            block_sums[index] = values[start:end].T @ weight_bytes[places[start:end]].astype(
                np.int64
            )

        held_sums, held_bounds = self._group_sums, self._group_bounds
        for index, group in enumerate(groups[starts].tolist()):
            mine = held_sums.get(group)
            if mine is None:
                held_sums[group] = block_sums[index].copy()
                held_bounds[group] = column_totals[index]
            else:
                mine += block_sums[index]
                held_bounds[group] += column_totals[index]
        if len(held_sums) > _GROUPS_HELD:
            self._add_groups_to_figures()

    def _add_groups_to_figures(self) -> None:
        for group, summed in self._group_sums.items():
            bound = self._group_bounds[group]
            for figure in self.groups[group]:
                mine = self._sums.get(figure)
                if mine is None:
                    self._sums[figure] = summed.copy()
                    self._bounds[figure] = bound
                else:
                    mine += summed
                    self._bounds[figure] += bound
        self._group_sums = {}
        self._group_bounds = {}

    def merge(self, later: ResampledSums) -> None:
        later.flush()
        for figure, summed in later._sums.items():
            mine = self._sums.get(figure)
            if mine is None:
                self._sums[figure] = summed.copy()
                self._bounds[figure] = later._bounds[figure]
            else:
                mine += summed
                self._bounds[figure] += later._bounds[figure]

    def interval(self, figure: Figure) -> list[float] | None:
        """The 95% interval of the figure's change in % (head numerator / denominator
        against base numerator / denominator), or None without enough resamples where it
        is defined."""
        self.flush()
        summed = self._sums.get(figure)
        if summed is None or self._bounds[figure] * MAX_WEIGHT > _INT64_LIMIT:
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
