"""How far building an index is: one fraction from 0 to 1, made of its steps' own fractions.

Each step reports its own fraction (0 to 1). `side_by_side(report, shares)` gives one reporter per
step for steps that run at once, in threads: the whole is the sum of each step's share times its
fraction, reported under a lock. Each step only goes forward, so the whole only increases, and it
ends at 1. The shares follow where a cold index spends
its time: parsing the blobs (`PARSED`), reading the history, then counting its statistics.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

Report = Callable[[float], None]
"""Called with the fraction done, from 0 to 1."""

PARSED = 0.5
"""Parsing every new blob is this share of the whole…"""
HISTORY_READ = 0.7
"""…and parsing then reading the new commits this much; counting them takes it to 1."""


def side_by_side(report: Report | None, shares: Sequence[float]) -> list[Report | None]:
    """One reporter per step, for steps running at once that make up `shares` of the whole (summing
    to 1); each reporter may be called from its own thread. None stays None."""
    if report is None:
        return [None for _ in shares]
    whole = report
    done = [0.0 for _ in shares]
    lock = threading.Lock()

    def step(index: int) -> Report:
        def reached(fraction: float) -> None:
            with lock:
                done[index] = max(done[index], min(1.0, fraction))
                finished = all(fraction >= 1.0 for fraction in done)
                whole(1.0 if finished else sum(s * f for s, f in zip(shares, done, strict=True)))

        return reached

    return [step(index) for index in range(len(shares))]
