"""The predictor protocol: what the planner asks of whatever predicts the files a task touches.

`prepare` and `predict` do the I/O (in a use case, around the build's transaction); the planning
core only reads what a prepared predictor already knows (`merge_friendly`, `related`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol, runtime_checkable

from planner.core.model import PredictedFile
from planner.core.tasks import PlanningTask


class FilePredictor(Protocol):
    """Anything that predicts, per task id, the files it will touch, best first.

    `prepare` runs before the build's transaction (it may use its own connections, e.g. to
    refresh a stored index) and tells `progress`, if given, the fraction of it done; `predict`
    runs inside it and must not wait for another connection.
    """

    async def prepare(
        self, repo_path: str | None, progress: Callable[[float], None] | None = None
    ) -> None: ...

    async def predict(
        self, repo_path: str | None, tasks: Sequence[PlanningTask]
    ) -> dict[int, tuple[PredictedFile, ...]]: ...

    def merge_friendly(self) -> frozenset[str]:
        """Files of the last prepared repository that its `.gitattributes` or history make
        merge-friendly (names are matched by the planner's settings)."""
        ...

    def related(self, path: str) -> Mapping[str, tuple[str, float]]:
        """The files of the last prepared repository that change with `path` (co-change,
        imports), each with its evidence and strength; empty when the predictor knows none."""
        ...


@runtime_checkable
class LearningPredictor(FilePredictor, Protocol):
    """A predictor that also learns from the project's done tasks (the default one does): `learn`
    is given, before `predict`, each done task's (key, text, files it really changed) — empty for
    none, which must leave its predictions exactly as they were; `threshold` is the least
    confidence it keeps, below which calibration cannot go (`planner.core.calibration`)."""

    @property
    def threshold(self) -> float: ...

    def learn(self, done: Sequence[tuple[str, str, tuple[str, ...]]]) -> None: ...
