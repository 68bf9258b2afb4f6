"""The paired bootstrap behind every comparison's 95% intervals (`cprlint.compare`).

Both trees replay the same conversations, so a resample draws conversations, not calls:
each figure's base and head are summed over the same draw.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import numpy as np
from cprlint.machine import available_cores
from cprlint.money import json_number

BOOTSTRAP_SAMPLES = 1000
BOOTSTRAP_SEED = 20261123
# Threads summing resamples: past the cores there is nothing to gain.
MAX_BOOTSTRAP_THREADS = 4


def _interval(values: np.ndarray) -> list[float] | None:
    finite = values[np.isfinite(values)]
    if finite.size < len(values) * 0.9 or finite.size == 0:
        return None  # too many resamples without a defined ratio to say anything
    low, high = np.percentile(finite, [2.5, 97.5])
    return [json_number(Decimal(repr(float(low)))), json_number(Decimal(repr(float(high))))]


class Bootstrap:
    """Paired bootstrap over conversations, one resample at a time (flat memory).

    Each resample draws n conversations with replacement (fixed seed); every figure (a
    ratio change: head num/den against base num/den, summed over the drawn
    conversations) is computed for it, and its 2.5th and 97.5th percentiles are the
    interval.

    Two kinds of figure. A scope's (the summary, an intent, a queue, a mode) sums the
    conversation columns given here over the conversations of one group of a grouping;
    the groupings are summed through their cells (the conversations alike in every
    grouping), so a resample weighs each conversation once, whatever the number of
    groupings. A prompt's sums its own values over its own rows.
    """

    def __init__(self, columns: np.ndarray) -> None:
        # Base numerator, base denominator, head numerator, head denominator: 4 x n.
        self.columns = columns
        self.size = columns.shape[1]
        self._groupings: list[np.ndarray] = []  # group code per conversation
        self._figures = 0
        self._grouping_figures: list[list[int]] = []  # grouping -> handle per group
        # Figures over rows of their own (prompts): handle, rows, values (4 x rows).
        self._own_rows: list[tuple[int, np.ndarray, np.ndarray]] = []

    def register_grouping(self, codes: np.ndarray, groups: int) -> list[int]:
        """A figure per group of `codes` (0 <= code < groups); returns their handles."""
        handles = list(range(self._figures, self._figures + groups))
        self._figures += groups
        self._groupings.append(codes)
        self._grouping_figures.append(handles)
        return handles

    def register(
        self,
        rows: np.ndarray,
        base_num: np.ndarray,
        base_den: np.ndarray,
        head_num: np.ndarray,
        head_den: np.ndarray,
    ) -> int:
        """A figure over `rows` (distinct conversations) with values of its own; returns
        its handle."""
        handle = self._figures
        self._figures += 1
        # (Over no rows, every resample sums to 0 / 0: NaN, so no interval.)
        self._own_rows.append((handle, rows, np.vstack([base_num, base_den, head_num, head_den])))
        return handle

    def intervals(self) -> list[list[float] | None]:
        """Resample k is drawn from its own generator, seeded with (seed, k), and writes
        its own column: the intervals are the same for any number of threads. numpy
        lets go of the GIL while drawing and summing, so the threads share the cores."""
        if not self.size or not self._figures:
            return [None] * self._figures
        sums = _ResampleSums(self)
        # Each resample writes its column for every figure; NaN where a ratio has no value.
        changes = np.full((self._figures, BOOTSTRAP_SAMPLES), np.nan)

        def resample(sample: int) -> None:
            rng = np.random.default_rng([BOOTSTRAP_SEED, sample])
            drawn = rng.integers(0, self.size, self.size)
            counts = np.bincount(drawn, minlength=self.size).astype(np.float64)  # (once)
            sums.resample(changes[:, sample], counts)

        threads = min(available_cores(), MAX_BOOTSTRAP_THREADS)
        with ThreadPoolExecutor(threads) as pool:
            # (`map` consumes the results, so a failure in a thread is raised here.)
            for _ in pool.map(resample, range(BOOTSTRAP_SAMPLES)):
                pass
        return [_interval(row) for row in changes]


class _ResampleSums:
    """A bootstrap's figures laid out for summing one resample in a few array passes.

    A resample's temporaries are a few arrays of one value per conversation: threads
    summing resamples side by side keep memory flat.
    """

    def __init__(self, bootstrap: Bootstrap) -> None:
        self.columns = bootstrap.columns
        # Cells: the conversations in the same group of every grouping.
        self.cell_groups: list[tuple[np.ndarray, int, list[int]]] = []
        self.cells = 0
        if bootstrap._groupings:
            cells, cell_of_row = np.unique(
                np.vstack(bootstrap._groupings), axis=1, return_inverse=True
            )
            self.cell_of_row = cell_of_row.reshape(-1)
            self.cells = cells.shape[1]
            for codes, handles in zip(cells, bootstrap._grouping_figures, strict=True):
                self.cell_groups.append((codes, len(handles), handles))
        self.own_rows = bootstrap._own_rows

    def resample(self, changes: np.ndarray, counts: np.ndarray) -> None:
        """The figures' changes (in %) under one resample's conversation counts."""
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.cell_groups:
                by_cell = [
                    np.bincount(self.cell_of_row, weights=column * counts, minlength=self.cells)
                    for column in self.columns
                ]
                for codes, groups, handles in self.cell_groups:
                    base_num, base_den, head_num, head_den = (
                        np.bincount(codes, weights=column, minlength=groups) for column in by_cell
                    )
                    changes[handles] = _change(base_num, base_den, head_num, head_den)
            for handle, rows, values in self.own_rows:
                # Four dot products over contiguous rows (BLAS gemv): a third of einsum's
                # time, and on one thread, as OpenBLAS keeps a product with four outputs
                # (the other layout, a row per conversation, takes threads that spin).
                changes[handle] = _change(*(values @ counts[rows]))


def _change(
    base_num: np.ndarray, base_den: np.ndarray, head_num: np.ndarray, head_den: np.ndarray
) -> np.ndarray:
    change: np.ndarray = (head_num / head_den / (base_num / base_den) - 1) * 100
    return change
