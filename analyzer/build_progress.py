"""How far building an index is: one fraction from 0 to 1, made of its steps' own fractions.

Each step reports its own fraction (0 to 1) to `part(report, start, end)`, which passes it on
scaled into `[start, end]` of the whole. The steps run in order and each only goes forward, so the
whole only increases, and it ends at 1. The shares follow where a cold index spends its time:
parsing the blobs, reading the history, then counting its statistics.
"""

from __future__ import annotations

from collections.abc import Callable

Report = Callable[[float], None]
"""Called with the fraction done, from 0 to 1."""

PARSED = 0.5
"""The whole is this far once every new blob is parsed."""
HISTORY_READ = 0.7
"""…and this far once the new commits are read; counting them takes it to 1."""


def part(report: Report | None, start: float, end: float) -> Report | None:
    """`report` for a step that makes up `[start, end]` of the whole (None stays None)."""
    if report is None:
        return None
    whole = report

    def scaled(fraction: float) -> None:
        whole(end if fraction >= 1.0 else start + (end - start) * max(0.0, fraction))

    return scaled
