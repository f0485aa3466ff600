"""The planner's file predictor backed by the analyzer: stored index, ranked files, file relations.

For each task, the analyzer ranks files from the task's own text only: an epic's text describes
all its tasks, so the paths it names say nothing of which task changes them. The index is
refreshed (incrementally) once per build. The
predictor also says how two files are related — one imports the other, or they often change
together — which the conflict rule reports as `potential` conflicts.

It learns from the project's done tasks (`learn`, before `predict`): a task worded like a done one
also gets the files that one really changed (`analyzer.done_tasks`, evidence `like done task T3`).
With none, its predictions are exactly the ranking's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import analyzer
from analyzer import RankConfig, RepoIndex
from analyzer.build_progress import Report
from analyzer.done_tasks import DoneExample, DoneTasks, with_done_tasks
from analyzer.file_lookup import lookup_for
from analyzer.merge_friendly import from_repository
from planner.core.model import PredictedFile
from planner.core.tasks import PlanningTask
from planner.storage.database import Database
from planner.storage.index_store import refresh_index

PLANNED_MIN = 0.4
"""How sure the first round must be that a task creates a file for other tasks' names to mean it
(a file drawn in a tree of the spec, 0.42, counts)."""


@dataclass(frozen=True)
class RelationConfig:
    """When two files are close enough that tasks touching them may conflict."""

    cochange_min: float = 0.5  # share of either file's commits that changed the other too
    cochange_min_commits: int = 3
    import_strength: float = 0.6


class AnalyzerPredictor:
    """Ranks the files each task will touch from the repository's index.

    With a database the index is the stored one, refreshed incrementally; without one (the
    backtest) it is built in memory.
    """

    def __init__(
        self,
        db: Database | None,
        config: RankConfig | None = None,
        relations: RelationConfig | None = None,
    ) -> None:
        self.db = db
        self.config = config or RankConfig()
        self.relations = relations or RelationConfig()
        self.index: RepoIndex | None = None
        self._friendly: frozenset[str] = frozenset()
        self._prepared: str | None = None
        self._related: dict[str, dict[str, tuple[str, float]]] = {}
        self.done = DoneTasks(())

    @property
    def threshold(self) -> float:
        return self.config.threshold

    def learn(self, done: Sequence[tuple[str, str, tuple[str, ...]]]) -> None:
        """The project's done tasks (key, text, files really changed) lend their files to tasks
        worded like them; none: predictions are the ranking's alone."""
        self.done = DoneTasks([DoneExample(key, text, files) for key, text, files in done])

    async def prepare(self, repo_path: str | None, progress: Report | None = None) -> None:
        """Refresh (or build) the index of `repo_path`, telling `progress` how far; `predict` then
        uses it."""
        self.index, self._prepared, self._friendly = None, repo_path, frozenset()
        self._related = {}
        if not repo_path:
            return
        if self.db is not None:
            self.index, _ = await refresh_index(self.db, repo_path, on_progress=progress)
        else:
            self.index = await asyncio.to_thread(
                analyzer.build_repo_index, repo_path, progress=False, on_progress=progress
            )
        paths = [f.path for f in self.index.files]
        self._friendly = await asyncio.to_thread(from_repository, repo_path, paths)

    def merge_friendly(self) -> frozenset[str]:
        return self._friendly

    async def predict(
        self, repo_path: str | None, tasks: Sequence[PlanningTask]
    ) -> dict[int, tuple[PredictedFile, ...]]:
        if repo_path != self._prepared or (repo_path and self.index is None):
            await self.prepare(repo_path)
        if self.index is None:
            return {t.id: () for t in tasks}
        return await asyncio.to_thread(predict_tasks, self.index, tasks, self.config, self.done)

    def related(self, path: str) -> Mapping[str, tuple[str, float]]:
        """The files related to `path` in the last index, each with (evidence, strength): one
        imports the other, or they often change together (worked out once per file and index)."""
        if self.index is None:
            return {}
        found = self._related.get(path)
        if found is None:
            index = self.index
            found = self._related[path] = {
                other: relation
                for other in sorted(file_neighbours(index, path, self.relations))
                if other != path and (relation := file_relation(index, path, other, self.relations))
            }
        return found


def predict_tasks(
    index: RepoIndex, tasks: Sequence[PlanningTask], config: RankConfig, done: DoneTasks | None = None
) -> dict[int, tuple[PredictedFile, ...]]:
    """Ranked predictions for every task (CPU work: run it off the event loop), in two rounds:
    the files that the first round says tasks will create (and do not exist yet) let a name in
    another task's text mean one of them; then what done tasks like it lend (`done`)."""
    first = {task.id: analyzer.predict(index, task.text, config) for task in tasks}
    existing = {f.path for f in index.files}
    planned = frozenset(
        p.path
        for found in first.values()
        for p in found
        if p.path not in existing and p.confidence >= PLANNED_MIN
    )
    result: dict[int, tuple[PredictedFile, ...]] = {}
    for task in tasks:
        # a name can only mean a planned file whose file name the text writes: predict again then
        text = task.text.lower()
        own = {p.path for p in first[task.id]}
        others = frozenset(p for p in planned - own if p.rpartition("/")[2].lower() in text)
        found = analyzer.predict(index, task.text, config, others) if others else first[task.id]
        if done:
            lent = done.lent(task.text)
            result[task.id] = with_done_tasks(found, lent, config.threshold, config.max_files)
        else:
            result[task.id] = tuple(found)
    return result


def file_neighbours(index: RepoIndex, path: str, config: RelationConfig) -> frozenset[str]:
    """The files `file_relation` may relate to `path`: its imports, its importers and the files it
    changed with often enough."""
    importers = lookup_for(index).imported_by
    partners = index.history.cochange.get(path, {})
    return frozenset(
        (
            *index.imports.get(path, frozenset()),
            *importers.get(path, ()),
            *(p for p, pair in partners.items() if pair.commits >= config.cochange_min_commits),
        )
    )


def file_relation(index: RepoIndex, a: str, b: str, config: RelationConfig) -> tuple[str, float] | None:
    """(evidence, strength) when one file imports the other or they often change together."""
    if b in index.imports.get(a, frozenset()):
        return f"{a} imports {b}", config.import_strength
    if a in index.imports.get(b, frozenset()):
        return f"{b} imports {a}", config.import_strength
    pair = index.history.cochange.get(a, {}).get(b)
    if pair is None or pair.commits < config.cochange_min_commits:
        return None
    share = max(
        analyzer.cochange_confidence(index.history, a, b), analyzer.cochange_confidence(index.history, b, a)
    )
    if share < config.cochange_min:
        return None
    changes = max(index.history.files[a].commits, index.history.files[b].commits)
    return f"{a} changed with {b} in {pair.commits} of {changes} commits", share
