"""The paired bootstrap: the same intervals whatever number of threads sums it, and the
same whether a scope is summed through its grouping's cells or over its own rows."""

from __future__ import annotations

import cprlint.bootstrap
import numpy as np
import pytest
from cprlint.bootstrap import Bootstrap

SIZE = 500


def _columns() -> np.ndarray:
    rng = np.random.default_rng(7)
    return np.vstack(
        [
            rng.random(SIZE),
            rng.integers(0, 2, SIZE).astype(float),
            rng.random(SIZE) * 1.1,
            rng.integers(0, 2, SIZE).astype(float),
        ]
    )


def _codes() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(8)
    return rng.integers(0, 4, SIZE), rng.integers(0, 3, SIZE)


def _by_groupings() -> list[list[float] | None]:
    """The summary, four intents and three queues, summed through cells."""
    bootstrap = Bootstrap(_columns())
    bootstrap.register_grouping(np.zeros(SIZE, dtype=np.intp), 1)
    intents, queues = _codes()
    bootstrap.register_grouping(intents, 4)
    bootstrap.register_grouping(queues, 3)
    return bootstrap.intervals()


def _by_rows() -> list[list[float] | None]:
    """The same eight figures, each over its own rows."""
    columns = _columns()
    bootstrap = Bootstrap(columns)
    intents, queues = _codes()
    groups = [np.arange(SIZE)]
    groups += [np.flatnonzero(intents == code) for code in range(4)]
    groups += [np.flatnonzero(queues == code) for code in range(3)]
    for rows in groups:
        bootstrap.register(rows, *columns[:, rows])
    return bootstrap.intervals()


def test_threads_do_not_change_the_intervals(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cprlint.bootstrap, "available_cores", lambda: 1)
    one = _by_groupings(), _by_rows()
    monkeypatch.setattr(cprlint.bootstrap, "available_cores", lambda: 4)
    four = _by_groupings(), _by_rows()
    assert one == four
    assert all(interval is not None and interval[0] <= interval[1] for interval in one[0] + one[1])


def test_cells_and_rows_sum_to_the_same_intervals() -> None:
    # The cells add the same conversations in another order: equal to float rounding,
    # which the 9 decimals of the report do not show.
    cells, rows = _by_groupings(), _by_rows()
    assert len(cells) == len(rows) == 8
    for by_cell, by_row in zip(cells, rows, strict=True):
        assert by_cell is not None
        assert by_row is not None
        assert by_cell == pytest.approx(by_row, abs=1e-9)


def test_a_figure_without_conversations_has_no_interval() -> None:
    columns = _columns()
    bootstrap = Bootstrap(columns)
    nobody = np.array([], dtype=np.int64)
    everyone = np.arange(SIZE)
    empty = bootstrap.register(nobody, *columns[:, nobody])
    full = bootstrap.register(everyone, *columns[:, everyone])
    intervals = bootstrap.intervals()
    assert intervals[empty] is None
    assert intervals[full] is not None
