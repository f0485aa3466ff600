"""Planner: from tasks whose levels and predicted files are known to a conflict-free plan (no I/O).

Conflicts come from `conflicts`, batches from `batches` (levels, or slices of big levels, packed
by `packing` and `rebalance`), worktrees from `worktrees`, the reasons from `explain`. What the
prepared predictor knows of the repository (merge-friendly files, related files) is read, never
fetched. Building and storing a project's plan is the use case `planner.usecases.build`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from analyzer.merge_friendly import by_name
from planner.core.batches import SearchConfig, slices, split_level
from planner.core.calibration import Calibration
from planner.core.conflicts import (
    Chance,
    ConflictConfig,
    Footprint,
    Related,
    candidate_pairs,
    conflicts_between,
    footprint,
    reported,
    splits,
)
from planner.core.explain import explain_plan
from planner.core.model import ExecutionBatch, ExecutionPlan, FileConflict, PlanTask
from planner.core.predictor import FilePredictor
from planner.core.progress import Progress
from planner.core.rebalance import rebalance
from planner.core.settings import Settings
from planner.core.tasks import PlanningTask
from planner.core.worktrees import Worktree, assemble_batch, group_batch, grouped_minutes


class Planner:
    """Plans tasks with the given settings; `predictor` (prepared, or None: none) tells which
    files are merge-friendly or related. A plan is judged from its document (`batch_violations`),
    never from what the planner kept of the last one."""

    def __init__(
        self,
        settings: Settings | None = None,
        predictor: FilePredictor | None = None,
        progress: Progress | None = None,
        search: SearchConfig | None = None,
        calibration: Calibration | None = None,
    ) -> None:
        self.search = search or SearchConfig()
        self._chance: Chance | None = None if calibration is None else calibration.chance
        self.progress = progress or Progress()
        self.settings = settings or Settings()
        self.predictor: FilePredictor | None = predictor
        self._tasks: dict[int, PlanningTask] = {}
        self._conflicts: list[FileConflict] = []
        self._split_with: dict[int, dict[int, FileConflict]] = {}  # task -> other -> how they split
        self._grouped: dict[frozenset[int], list[Worktree]] = {}
        self._durations: dict[frozenset[int], int] = {}
        self._footprints: dict[int, Footprint] = {}
        self._pairs: dict[tuple[int, int], list[FileConflict]] = {}
        self._partners: dict[int, set[int]] = {}  # task -> the tasks of its group it can meet
        self._group_of: dict[int, int] = {}  # task -> the level or slice it is packed with
        self._related: Related | None = None if predictor is None else predictor.related
        self._friendly: dict[str, bool] = {}

    def plan(self, project_id: str, tasks: Sequence[PlanningTask]) -> ExecutionPlan:
        """The plan of tasks whose levels and predicted files are known (no I/O)."""
        self._tasks = {t.id: t for t in tasks}
        self._pairs, self._footprints, self._friendly = {}, {}, {}
        levels: dict[int, list[PlanningTask]] = {}
        for task in tasks:
            levels.setdefault(task.level, []).append(task)
        # each level, or each slice of a big level, is packed on its own (`SearchConfig.slice_tasks`)
        size = self.search.slice_tasks
        groups = [part for level in sorted(levels) for part in slices(levels[level], size)]
        self._group_of = {t.id: n for n, group in enumerate(groups) for t in group}
        self._partners = {}
        self._conflicts = []
        self._split_with = {}
        self._grouped, self._durations = {}, {}
        parts: list[list[PlanningTask]] = []
        for done, members in enumerate(groups):
            with self.progress.stage("conflicts"):
                prints = {t.id: self._footprint(t) for t in members}
                for a, b in candidate_pairs(members, prints, ConflictConfig(), self._related):
                    self._partners.setdefault(a, set()).add(b)
                    self._partners.setdefault(b, set()).add(a)
                conflicts = self._level_conflicts(members)
            with self.progress.stage("pack"):
                self._conflicts.extend(conflicts)
                splitting = self._splitting(conflicts)
                for conflict in splitting:
                    self._record_split(conflict)
                parts.extend(
                    split_level(
                        members,
                        splitting,
                        self.settings.capacity,
                        risks=[c for c in conflicts if not self._splits(c)],
                        search=self.search,
                    )
                )
                self.progress.advance((done + 1) / (len(groups) + 1))
        with self.progress.stage("pack"):
            parts = rebalance(parts, self._minutes_of, self._meets, self._busiest, self._risk)
            self._conflicts.extend(self._across_levels(parts))
            batches = [self._batch(n, part) for n, part in enumerate(parts, 1)]
            assignments = self._assignments(batches)
            metadata = self._metadata(batches)
        return ExecutionPlan(
            project_id=project_id,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            version=0,
            batches=tuple(batches),
            worktree_assignments=assignments,
            predicted_conflicts=tuple(self._conflicts),
            metadata=metadata,
            tasks=tuple(
                PlanTask(t.id, t.key, t.epic_id, t.predicted_files) for t in sorted(tasks, key=lambda t: t.id)
            ),
        )

    def _level_conflicts(self, members: Sequence[PlanningTask]) -> list[FileConflict]:
        """Every pair of one level's (or slice's) tasks predicted to conflict, once each, as
        `conflicts.find_conflicts` finds them, from their candidate pairs (each pair computed once)."""
        ids = {t.id for t in members}
        found = []
        for task in sorted(members, key=lambda t: t.id):
            for other in sorted(self._partners.get(task.id, ())):
                if other > task.id and other in ids:
                    conflict = reported(self._pair_conflicts(task, self._tasks[other]), self._splits)
                    if conflict is not None:
                        found.append(conflict)
        return found

    def is_merge_friendly(self, path: str) -> bool:
        """A changelog, lock file or the like: by the `merge_friendly` globs, or as the predictor
        found it in the repository's `.gitattributes` and history (worked out once a path)."""
        found = self._friendly.get(path)
        if found is None:
            found = self._friendly[path] = by_name(path, self.settings.merge_friendly) or (
                self.predictor is not None and path in self.predictor.merge_friendly()
            )
        return found

    def validate_batch(
        self, plan: ExecutionPlan, batch: ExecutionBatch, conflicts: Sequence[FileConflict] | None = None
    ) -> bool:
        """True when the batch keeps the rules: see `batch_violations`."""
        return not self.batch_violations(plan, batch, conflicts)

    def batch_violations(
        self, plan: ExecutionPlan, batch: ExecutionBatch, conflicts: Sequence[FileConflict] | None = None
    ) -> list[str]:
        """What is wrong with a batch of `plan`, by its worktree assignments: conflicting tasks
        (the plan's, or `conflicts`) in different worktrees, more worktrees than allowed."""
        worktree_of = {
            t: plan.worktree_assignments[t] for t in batch.task_ids if t in plan.worktree_assignments
        }
        problems = []
        for conflict in self._splitting(plan.predicted_conflicts if conflicts is None else conflicts):
            a, b = conflict.task_ids
            if a in worktree_of and b in worktree_of and worktree_of[a] != worktree_of[b]:
                problems.append(
                    f"batch {batch.batch_id}: tasks {a} and {b} conflict ({conflict.conflict_type}: "
                    f"{', '.join(conflict.predicted_files)}) but run in different worktrees"
                )
        if len(set(worktree_of.values())) > self.settings.max_worktrees:
            problems.append(
                f"batch {batch.batch_id}: {len(set(worktree_of.values()))} worktrees, "
                f"more than max_worktrees={self.settings.max_worktrees}"
            )
        return problems

    # -- internals ---------------------------------------------------------------------------

    def _assignments(self, batches: Sequence[ExecutionBatch]) -> dict[int, str]:
        """task id -> worktree name for every task of `batches`."""
        assignments: dict[int, str] = {}
        for batch in batches:
            for worktree in self._worktrees(batch):
                for task_id in worktree.task_ids:
                    assignments[task_id] = worktree.name(batch.batch_id)
        return assignments

    def _minutes_of(self, members: Sequence[PlanningTask]) -> int:
        """How long a batch of `members` takes (worked out once per set of tasks of this plan)."""
        key = frozenset(t.id for t in members)
        found = self._durations.get(key)
        if found is None:
            found = self._durations[key] = grouped_minutes(
                members,
                self._splitting_within(set(key)),
                self.settings.capacity,
            )
        return found

    def _busiest(self, members: Sequence[PlanningTask]) -> list[PlanningTask]:
        """The tasks of the busiest worktree of a batch of `members`."""
        worktrees = self._group(members)
        if not worktrees:
            return []
        ids = set(max(worktrees, key=lambda w: w.minutes).task_ids)
        return [t for t in members if t.id in ids]

    def _pair_conflicts(self, a: PlanningTask, b: PlanningTask) -> list[FileConflict]:
        """The conflicts (every type) between two tasks, ids ascending (computed once a pair; two
        tasks of one packing group that are not candidates cannot meet)."""
        first, second = sorted((a, b), key=lambda t: t.id)
        key = (first.id, second.id)
        together = self._group_of.get(first.id) == self._group_of.get(second.id)
        if together and second.id not in self._partners.get(first.id, ()):
            return []
        if key not in self._pairs:
            self._pairs[key] = self._compute_pair(first, second)
        return self._pairs[key]

    def _risk(self, task: PlanningTask, members: Sequence[PlanningTask]) -> float:
        """The summed strength of the non-splitting conflicts of `task` with `members` of other lanes."""
        return sum(
            max((c.strength for c in self._pair_conflicts(task, other) if not self._splits(c)), default=0.0)
            for other in members
            if other.lane != task.lane
        )

    def _compute_pair(self, first: PlanningTask, second: PlanningTask) -> list[FileConflict]:
        return conflicts_between(
            first,
            second,
            self._footprint(first),
            self._footprint(second),
            self._related,
            friendly=self.is_merge_friendly,
        )

    def _footprint(self, task: PlanningTask) -> Footprint:
        found = self._footprints.get(task.id)
        if found is None:
            found = self._footprints[task.id] = footprint(task.predicted_files, self._chance)
        return found

    def _meets(self, task: PlanningTask, members: Sequence[PlanningTask]) -> bool:
        """Whether `task` must not run beside one of `members` of another lane."""
        return any(
            any(self._splits(c) for c in self._pair_conflicts(task, other))
            for other in members
            if other.lane != task.lane and other.id != task.id
        )

    def _across_levels(self, parts: Sequence[Sequence[PlanningTask]]) -> list[FileConflict]:
        """The conflicts between tasks of different levels (or slices) that ended in one batch:
        reported, and recorded for the worktree grouping."""
        found = []
        group_of = self._group_of
        for part in parts:
            for n, a in enumerate(part):
                for b in part[n + 1 :]:
                    if group_of[a.id] == group_of[b.id]:
                        continue
                    conflict = reported(self._pair_conflicts(a, b), self._splits)
                    if conflict is not None:
                        found.append(conflict)
                        if self._splits(conflict):
                            self._record_split(conflict)
        self._grouped, self._durations = {}, {}
        return found

    def _splitting(self, conflicts: Sequence[FileConflict]) -> list[FileConflict]:
        return [c for c in conflicts if self._splits(c)]

    def _splits(self, conflict: FileConflict) -> bool:
        return splits(
            conflict,
            self.settings.split_on,
            self.settings.min_conflict_strength,
            self.settings.split_merge_friendly,
        )

    def _worktrees(self, batch: ExecutionBatch) -> list[Worktree]:
        return self._group([self._tasks[t] for t in batch.task_ids if t in self._tasks])

    def _group(self, members: Sequence[PlanningTask]) -> list[Worktree]:
        """The worktrees of a batch of `members`, computed once per set of tasks of this plan."""
        key = frozenset(t.id for t in members)
        if key not in self._grouped:
            self._grouped[key] = group_batch(
                members,
                self._splitting_within(set(key)),
                self.settings.capacity,
            )
        return self._grouped[key]

    def _record_split(self, conflict: FileConflict) -> None:
        """Note a splitting conflict (a pair is reported once, within its group or across)."""
        a, b = conflict.task_ids
        self._split_with.setdefault(a, {})[b] = conflict
        self._split_with.setdefault(b, {})[a] = conflict

    def _splitting_within(self, ids: set[int]) -> Iterator[FileConflict]:
        """The splitting conflicts of this plan between two of `ids` (the smaller id first), as
        they are read."""
        for task_id in sorted(ids):
            partners = self._split_with.get(task_id)
            if partners:
                if len(partners) < len(ids):
                    others = sorted(o for o in partners if o > task_id and o in ids)
                else:
                    others = [o for o in sorted(ids) if o > task_id and o in partners]
                for other in others:
                    yield partners[other]

    def _batch(self, number: int, members: Sequence[PlanningTask]) -> ExecutionBatch:
        lanes = [(w.task_ids, w.minutes) for w in self._group(members)]
        return assemble_batch(number, lanes, number - 1 if number > 1 else None)

    def _metadata(self, batches: Sequence[ExecutionBatch]) -> dict[str, Any]:
        combined: dict[str, list[int]] = {}
        for batch in batches:
            for worktree in self._worktrees(batch):
                if len(worktree.lanes) > 1:
                    combined[worktree.name(batch.batch_id)] = list(worktree.lanes)
        total = sum(t.minutes(self.settings.default_task_minutes) for t in self._tasks.values())
        duration = sum(b.estimated_duration for b in batches)
        return {
            "max_worktrees": self.settings.max_worktrees,
            "split_on": list(self.settings.split_on),
            "min_conflict_strength": self.settings.min_conflict_strength,
            "split_merge_friendly": self.settings.split_merge_friendly,
            "default_task_minutes": self.settings.default_task_minutes,
            "predictor": type(self.predictor).__name__,
            "task_count": len(self._tasks),
            "batch_count": len(batches),
            "parallel_batches": sum(1 for b in batches if b.can_parallel),
            "dependency_levels": len({t.level for t in self._tasks.values()}),
            "conflict_count": len(self._conflicts),
            "combined_worktrees": combined,
            "estimated_duration": duration,
            "estimated_serial_duration": total * 60,
            "why": explain_plan(
                [(b, self._worktrees(b)) for b in batches],
                self._tasks,
                self._conflicts,
                self._splits,
                self.settings,
                self.is_merge_friendly,
                self._group_of,
                self._chance,
            ),
        }
