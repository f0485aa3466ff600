"""Calibration from done tasks: the confidence threshold and the conflict strength, fitted to what
this project's tasks really changed (no I/O: the examples are given).

An example is a done task with the files predicted for it by the last plan before it was done
(with their confidences) and the files its branch really changed (`tasks.metadata.actual_files`).
Directory entries (`dir/`) are left out: what a branch changes is files. With at least
`MIN_TASKS` examples:

- **threshold**: a predicted file is kept when its confidence reaches it. Of the candidates (the
  default and every predicted confidence, within [default, `MAX_THRESHOLD`]) the one whose kept
  files have the best F1 against the actual files, over all examples at once (hits, kept and
  actual files summed); a tie goes to the one nearest the default. (`MAX_THRESHOLD` stands for
  every confidence above it.) It cannot go below the
  default: the stored predictions hold nothing the predictor did not keep.
- **strength**: every predicted file is a pair (confidence, really changed or not). Isotonic
  regression (pool adjacent violators) fits a non-decreasing step map from confidence to the
  observed rate; each block is pulled towards its own mean confidence by `PRIOR` pseudo-files,
  so a few examples move it little, and kept within [`MIN_RATE`, `MAX_RATE`]. Between the blocks'
  mean confidences the map is linear, flat beyond them. The conflict rule reads each predicted
  file's confidence through it (`conflicts.footprint`), so a conflict's strength is the chance,
  as observed here, that both tasks really change the file; the plan keeps the predictor's own
  confidences.

The use case (`planner.usecases.build`) filters predictions with `keep` and hands the Calibration
to the Planner; without one, nothing changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from planner.core.model import PredictedFile

MIN_TASKS = 5
"""Done tasks (with stored predictions and actual files) needed to calibrate at all."""
MAX_THRESHOLD = 0.8
"""The highest threshold calibration may choose."""
PRIOR = 2.0
"""Pseudo-files at a block's own mean confidence, pulling its observed rate towards it."""
MIN_RATE, MAX_RATE = 0.01, 0.99


@dataclass(frozen=True)
class Example:
    """A done task: its key, the files predicted for it (path, confidence) and what it changed."""

    key: str
    predicted: tuple[tuple[str, float], ...]
    actual: frozenset[str]


@dataclass(frozen=True)
class Calibration:
    """What the done tasks of one project say: the threshold, the confidence-to-chance map."""

    tasks: int
    threshold: float
    default_threshold: float
    f1: float
    f1_default: float
    knots: tuple[tuple[float, float], ...]  # (confidence, observed rate), confidence ascending

    def keep(self, predicted: Sequence[PredictedFile]) -> tuple[PredictedFile, ...]:
        """The predicted files that reach the threshold."""
        return tuple(p for p in predicted if p.confidence >= self.threshold)

    def chance(self, confidence: float) -> float:
        """How often a prediction this confident really came true here."""
        xs = [x for x, _ in self.knots]
        ys = [y for _, y in self.knots]
        return float(np.interp(confidence, xs, ys))

    def to_dict(self) -> dict[str, Any]:
        return {
            "tasks": self.tasks,
            "threshold": round(self.threshold, 3),
            "default_threshold": round(self.default_threshold, 3),
            "f1": round(self.f1, 3),
            "f1_default": round(self.f1_default, 3),
            "strength": [[round(x, 3), round(y, 3)] for x, y in self.knots],
        }


@dataclass(frozen=True)
class Scores:
    """Predicted files against actual ones, summed over tasks (hits, predicted and actual files)."""

    hits: int
    predicted: int
    actual: int

    @property
    def recall(self) -> float:
        return self.hits / self.actual if self.actual else 0.0

    @property
    def precision(self) -> float:
        return self.hits / self.predicted if self.predicted else 0.0

    @property
    def f1(self) -> float:
        total = self.predicted + self.actual
        return 2.0 * self.hits / total if total else 0.0


def f1_at(examples: Sequence[Example], threshold: float) -> float:
    """F1 of the files predicted at or above `threshold` against the actual ones, summed over
    every example."""
    hits = kept = actual = 0
    for example in examples:
        files = {path for path, confidence in example.predicted if confidence >= threshold}
        hits += len(files & example.actual)
        kept += len(files)
        actual += len(example.actual)
    return Scores(hits, kept, actual).f1


def best_threshold(examples: Sequence[Example], default: float) -> float:
    """The threshold of best F1 (see the module), ties to the one nearest `default`."""
    candidates = {default, MAX_THRESHOLD} | {
        min(MAX_THRESHOLD, round(c, 3)) for e in examples for _, c in e.predicted if c >= default
    }
    return max(sorted(candidates), key=lambda t: (round(f1_at(examples, t), 9), -abs(t - default)))


def strength_map(examples: Sequence[Example]) -> tuple[tuple[float, float], ...]:
    """The isotonic map of confidence to observed rate (see the module)."""
    pairs = sorted((c, 1.0 if p in e.actual else 0.0) for e in examples for p, c in e.predicted)
    if not pairs:
        return ((0.0, 0.0), (1.0, 1.0))
    # pool adjacent violators: blocks of (sum of outcomes, count, sum of confidences)
    blocks: list[list[float]] = []
    for confidence, outcome in pairs:
        blocks.append([outcome, 1.0, confidence])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] >= blocks[-1][0] / blocks[-1][1]:
            last = blocks.pop()
            for n in range(3):
                blocks[-1][n] += last[n]
    knots: list[tuple[float, float]] = []
    for hits, count, confidences in blocks:
        centre = confidences / count
        rate = (hits + PRIOR * centre) / (count + PRIOR)
        rate = max(rate, knots[-1][1]) if knots else rate  # the prior must not break the order
        knots.append((centre, min(MAX_RATE, max(MIN_RATE, rate))))
    return tuple(knots)


def calibrate(examples: Sequence[Example], default_threshold: float) -> Calibration | None:
    """The calibration of a project from its done tasks; None with fewer than `MIN_TASKS`."""
    usable = [
        Example(e.key, tuple((p, c) for p, c in e.predicted if not p.endswith("/")), e.actual)
        for e in examples
        if e.actual
    ]
    if len(usable) < MIN_TASKS:
        return None
    threshold = best_threshold(usable, default_threshold)
    return Calibration(
        tasks=len(usable),
        threshold=threshold,
        default_threshold=default_threshold,
        f1=f1_at(usable, threshold),
        f1_default=f1_at(usable, default_threshold),
        knots=strength_map(usable),
    )
