"""The worktree rule: within a batch, one worktree per epic, at most `max_worktrees` of them.

Epics whose tasks conflict in a batch share one worktree (their tasks then run one after the
other); with more groups than `max_worktrees`, the least loaded are combined (longest first into
the least loaded worktree). A worktree is named `worktree-batch{N}-epic{M}`, M being the id of its
largest epic (0 for tasks without an epic).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .model import FileConflict
from .tasks import PlanningTask


@dataclass(frozen=True)
class Worktree:
    """Tasks that run one after another in one worktree of one batch."""

    epic_ids: tuple[int | None, ...]  # largest first
    task_ids: tuple[int, ...]  # in running order
    minutes: int

    def name(self, batch_number: int) -> str:
        largest = self.epic_ids[0] if self.epic_ids else None
        return f"worktree-batch{batch_number}-epic{largest or 0}"


class _Groups:
    """Union-find over epics."""

    def __init__(self, members: Iterable[int | None]) -> None:
        self.parent: dict[int | None, int | None] = {m: m for m in members}

    def find(self, item: int | None) -> int | None:
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: int | None, b: int | None) -> None:
        self.parent[self.find(a)] = self.find(b)


def _order(tasks: Sequence[PlanningTask]) -> list[PlanningTask]:
    return sorted(tasks, key=lambda t: (t.priority, t.id))


def group_batch(
    tasks: Sequence[PlanningTask],
    conflicts: Sequence[FileConflict],
    max_worktrees: int,
    default_minutes: int,
) -> list[Worktree]:
    """The worktrees of one batch: epics grouped by conflict, then combined down to the limit."""
    epic_of = {t.id: t.epic_id for t in tasks}
    groups = _Groups(epic_of.values())
    for conflict in conflicts:
        a, b = conflict.task_ids
        if a in epic_of and b in epic_of:
            groups.union(epic_of[a], epic_of[b])
    members: dict[int | None, list[PlanningTask]] = {}
    for task in tasks:
        members.setdefault(groups.find(task.epic_id), []).append(task)
    # each group: its tasks, its epics by load
    loads = []
    for group_tasks in members.values():
        epic_load: dict[int | None, int] = {}
        for task in group_tasks:
            epic_load[task.epic_id] = epic_load.get(task.epic_id, 0) + task.minutes(default_minutes)
        loads.append((sum(epic_load.values()), epic_load, group_tasks))
    # longest first, each into the least loaded worktree
    loads.sort(key=lambda item: (-item[0], min(t.id for t in item[2])))
    bins: list[tuple[int, dict[int | None, int], list[PlanningTask]]] = []
    for load, epic_load, group_tasks in loads:
        if len(bins) < max_worktrees:
            bins.append((load, dict(epic_load), list(group_tasks)))
            continue
        index = min(range(len(bins)), key=lambda n: (bins[n][0], n))
        total, merged_load, merged_tasks = bins[index]
        for epic, minutes in epic_load.items():
            merged_load[epic] = merged_load.get(epic, 0) + minutes
        bins[index] = (total + load, merged_load, merged_tasks + group_tasks)
    worktrees = []
    for total, epic_load, group_tasks in bins:
        epics = sorted(epic_load, key=lambda e: (-epic_load[e], e or 0))
        ordered = _order(group_tasks)
        worktrees.append(Worktree(tuple(epics), tuple(t.id for t in ordered), total))
    worktrees.sort(key=lambda w: w.task_ids[0])
    return worktrees


def batch_minutes(worktrees: Sequence[Worktree]) -> int:
    """How long a batch takes: as long as its busiest worktree."""
    return max((w.minutes for w in worktrees), default=0)


def packed_minutes(loads: Iterable[int], max_worktrees: int) -> int:
    """How long a batch of groups with these loads takes once `group_batch` combines them down to
    `max_worktrees` worktrees (longest first into the least loaded)."""
    ordered = sorted(loads, reverse=True)
    if len(ordered) <= max_worktrees:
        return ordered[0] if ordered else 0
    bins = ordered[:max_worktrees]
    heapq.heapify(bins)
    for load in ordered[max_worktrees:]:
        heapq.heappush(bins, heapq.heappop(bins) + load)
    return max(bins)
