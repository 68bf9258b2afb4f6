"""The paired bootstrap gives the same intervals whatever number of threads sums it."""

from __future__ import annotations

import numpy as np
import pytest
from cprlint import compare
from cprlint.compare import Bootstrap


def _bootstrap() -> Bootstrap:
    rng = np.random.default_rng(7)
    size = 500
    bootstrap = Bootstrap(size)
    codes = rng.integers(0, 4, size)
    for rows in (np.arange(size), *(np.flatnonzero(codes == g) for g in range(4))):
        bootstrap.register(
            rows,
            rng.random(rows.size),
            rng.integers(0, 2, rows.size).astype(float),
            rng.random(rows.size) * 1.1,
            rng.integers(0, 2, rows.size).astype(float),
        )
    return bootstrap


def test_threads_do_not_change_the_intervals(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compare, "available_cores", lambda: 1)
    one = _bootstrap().intervals()
    monkeypatch.setattr(compare, "available_cores", lambda: 4)
    four = _bootstrap().intervals()
    assert one == four
    assert all(interval is not None and interval[0] <= interval[1] for interval in one)
