"""Packing one dependency level into batches: each task goes where it lengthens the plan least.

Tasks are placed one at a time, in a given order: a task joins the existing batch whose
duration it increases least — sharing a worktree with every task it conflicts with there, so
conflicting tasks never run concurrently — unless a batch of its own is no longer; ties go to
the batch where it runs concurrently with the least risk, then to the earliest. The risk of two
tasks running concurrently is the chance that they meet: the strength of their (non-splitting)
conflict, or-ed with a background chance of meeting in a file nobody predicted. A batch lasts as
long as its busiest worktree after `group_batch` has combined its lane groups down to
`max_worktrees`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from planner.core.tasks import PlanningTask
from planner.core.worktrees import Capacity, LaneGroups, packed_minutes

Edges = Mapping[int, set[int]]
"""task id -> ids of the tasks (of other lanes) it must not run concurrently with."""
Risks = Mapping[int, Mapping[int, float]]
"""task id -> {task id of another lane: strength of a conflict that does not split}."""


@dataclass
class _Batch:
    """One batch being filled: its tasks and their lanes (see `PlanningTask.lane`) grouped by
    conflict (`LaneGroups`)."""

    max_worktrees: int
    background: float
    tasks: list[PlanningTask] = field(default_factory=list)
    ids: set[int] = field(default_factory=set)
    groups: LaneGroups = field(default_factory=LaneGroups)
    load: dict[int, int] = field(default_factory=dict)  # group root -> minutes
    count: dict[int, int] = field(default_factory=dict)  # group root -> tasks
    minutes: int = 0

    def _joined(self, task: PlanningTask, edges: Edges, lane_of: Mapping[int, int]) -> set[int]:
        """The groups `task` must share a worktree with: its lane's and those of its conflicts here."""
        return {self.groups.find(task.lane)} | {
            self.groups.find(lane_of[o]) for o in edges[task.id] & self.ids
        }

    def _beside(self, task_id: int, risks: Risks) -> list[tuple[int, float]]:
        """The tasks here that `task_id` has a non-splitting conflict with, and its strength."""
        near = risks.get(task_id, {})
        if len(near) <= len(self.ids):
            return [(other, strength) for other, strength in near.items() if other in self.ids]
        return [(other, near[other]) for other in self.ids if other in near]

    def trial(
        self, task: PlanningTask, minutes: int, edges: Edges, risks: Risks, lane_of: Mapping[int, int]
    ) -> tuple[int, float]:
        """(duration of this batch with `task` in it, risk `task` would run beside)."""
        joined = self._joined(task, edges, lane_of)
        merged = minutes + sum(self.load.get(group, 0) for group in joined)
        loads = [load for group, load in self.load.items() if group not in joined]
        risk = sum(
            strength
            for other, strength in self._beside(task.id, risks)
            if self.groups.find(lane_of[other]) not in joined
        )
        others = len(self.ids) - sum(self.count.get(group, 0) for group in joined)
        risk = self.background * others + (1 - self.background) * risk
        return packed_minutes([*loads, merged], self.max_worktrees), risk

    def risk(self, risks: Risks, lane_of: Mapping[int, int]) -> float:
        """The summed strength of the non-splitting conflicts between tasks of different groups."""
        total = 0.0
        for task in self.tasks:
            group = self.groups.find(task.lane)
            for other, strength in self._beside(task.id, risks):
                if other < task.id and self.groups.find(lane_of[other]) != group:
                    total += strength
        n = len(self.ids)
        pairs = (n * n - sum(c * c for c in self.count.values())) / 2
        return self.background * pairs + (1 - self.background) * total

    def add(self, task: PlanningTask, minutes: int, edges: Edges, lane_of: Mapping[int, int]) -> None:
        joined = self._joined(task, edges, lane_of)
        target = self.groups.find(task.lane)
        total, count = minutes, 1
        for group in joined:
            total += self.load.pop(group, 0)
            count += self.count.pop(group, 0)
            self.groups.union(group, target)
        self.load[target] = total
        self.count[target] = count
        self.tasks.append(task)
        self.ids.add(task.id)
        self.minutes = packed_minutes(self.load.values(), self.max_worktrees)


@dataclass(frozen=True)
class Packing:
    """Batches of one level in order, how long they take in all, and the risk left in them."""

    batches: tuple[tuple[PlanningTask, ...], ...]
    minutes: int
    risk: float

    def key(self) -> tuple[int, float, int]:
        """Shorter first, then less risk, then fewer batches."""
        return (self.minutes, round(self.risk, 6), len(self.batches))


def one_batch(
    tasks: Sequence[PlanningTask],
    edges: Edges,
    risks: Risks,
    capacity: Capacity,
    background: float = 0.0,
) -> Packing:
    """All of `tasks` in one batch, conflicting lanes sharing worktrees: the packing to beat."""
    lane_of = {t.id: t.lane for t in tasks}
    batch = _Batch(capacity.max_worktrees, background)
    for task in tasks:
        batch.add(task, task.minutes(capacity.default_minutes), edges, lane_of)
    return Packing((tuple(batch.tasks),), batch.minutes, batch.risk(risks, lane_of))


def place_in_order(
    order: Sequence[PlanningTask],
    edges: Edges,
    risks: Risks,
    capacity: Capacity,
    background: float = 0.0,
    window: int = 0,
) -> Packing:
    """Every task of `order`, in that order, into the batch it lengthens least (see the module);
    with a `window`, only the last `window` batches are weighed (a big level's work stays linear)."""
    lane_of = {t.id: t.lane for t in order}
    batches: list[_Batch] = []
    for task in order:
        minutes = task.minutes(capacity.default_minutes)
        best: tuple[int, float, int] | None = None
        first = max(0, len(batches) - window) if window > 0 else 0
        for number, batch in enumerate(batches[first:], first):
            duration, risk = batch.trial(task, minutes, edges, risks, lane_of)
            option = (duration - batch.minutes, risk, number)
            if best is None or option < best:
                best = option
        if best is None or best[0] >= minutes:
            batches.append(_Batch(capacity.max_worktrees, background))
            best = (minutes, 0.0, len(batches) - 1)
        batches[best[2]].add(task, minutes, edges, lane_of)
    return Packing(
        tuple(tuple(b.tasks) for b in batches),
        sum(b.minutes for b in batches),
        sum(b.risk(risks, lane_of) for b in batches),
    )
