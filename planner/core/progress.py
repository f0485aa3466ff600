"""A build's progress: its stages in order, how far each is, and how long each took.

A build reports `stage(name)` as it enters each of STAGES and `advance(fraction)` within one; a
`Progress` passes both to an optional callback (the CLI's progress bar, the WebSocket's
`execution_plan_building` events) — on entering a stage for the first time, else at most every
`interval` seconds — and keeps the
seconds spent in each stage (the scale benchmark's shares). A stage entered twice (conflicts and
packing alternate level by level) adds up.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

STAGES = ("index", "load", "predict", "conflicts", "pack", "save")
"""The stages of a build, in order."""

Report = Callable[[str, float], None]
"""Called with (stage, fraction of that stage done, 0 to 1)."""


class Progress:
    """Where a build is; `report` (optional) hears of it, throttled to one advance per `interval`."""

    def __init__(self, report: Report | None = None, interval: float = 0.25) -> None:
        self.report = report
        self.interval = interval
        self.current: str | None = None
        self._seconds: dict[str, float] = {}
        self._last = 0.0
        self._told: set[str] = set()  # the stages reported so far

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the work inside as stage `name`, reporting its start and its end."""
        outer, self.current = self.current, name
        started = time.perf_counter()
        self._tell(name, 0.0)
        try:
            yield
        finally:
            self._seconds[name] = self._seconds.get(name, 0.0) + time.perf_counter() - started
            self.current = outer

    def advance(self, fraction: float) -> None:
        """The current stage is `fraction` done."""
        if self.current is not None:
            self._tell(self.current, min(1.0, max(0.0, fraction)))

    def seconds(self) -> dict[str, float]:
        """Seconds spent in each stage entered so far, in the order of STAGES (others after)."""
        order = {name: n for n, name in enumerate(STAGES)}
        return dict(sorted(self._seconds.items(), key=lambda item: order.get(item[0], len(order))))

    def _tell(self, stage: str, fraction: float) -> None:
        if self.report is None:
            return
        now = time.monotonic()
        if stage not in self._told or now - self._last >= self.interval:
            self._last = now
            self._told.add(stage)
            self.report(stage, fraction)
