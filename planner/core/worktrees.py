"""The worktree rule: within a batch, one worktree per lane, at most `max_worktrees` of them.

A lane is an epic, or a task without an epic on its own (`PlanningTask.lane`), so a flat task
list runs in parallel too. Lanes whose tasks conflict in a batch share one worktree (their tasks
then run one after the other); with more groups than `max_worktrees`, the least loaded are
combined (longest first into the least loaded worktree). A worktree is named after its largest
lane by `worktree_name`: `worktree-batch{N}-epic{M}` (M the epic's id) or
`worktree-batch{N}-task{T}` (T the id of a task without an epic).
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from planner.core.model import ExecutionBatch, FileConflict
from planner.core.tasks import PlanningTask

WORKTREE_NAME = re.compile(
    r"^worktree-batch(?P<batch>[0-9]{1,10})-(?:epic(?P<epic>[0-9]{1,10})|task(?P<task>[0-9]{1,10}))$"
)
"""What `worktree_name` makes (and what a manual worktree assignment must look like): ASCII digits,
as many as an id (a PostgreSQL integer) can have."""


def worktree_name(batch_number: int, lane: int | None) -> str:
    """The name of a batch's worktree whose largest lane is `lane` (see `PlanningTask.lane`)."""
    if lane is not None and lane < 0:
        return f"worktree-batch{batch_number}-task{-lane}"
    return f"worktree-batch{batch_number}-epic{lane or 0}"


def lane_of_name(name: str) -> int | None:
    """The lane a worktree name was made for (None when it is not such a name)."""
    match = WORKTREE_NAME.match(name)
    if match is None:
        return None
    return -int(match.group("task")) if match.group("task") else int(match.group("epic"))


@dataclass(frozen=True)
class Worktree:
    """Tasks that run one after another in one worktree of one batch."""

    lanes: tuple[int, ...]  # largest first
    task_ids: tuple[int, ...]  # in running order
    minutes: int

    def name(self, batch_number: int) -> str:
        return worktree_name(batch_number, self.lanes[0] if self.lanes else None)


class LaneGroups:
    """The one union-find over lanes: lanes joined by a conflict share a worktree (a batch's
    groups here, the batches being packed in `packing`). A lane not met yet is a group alone."""

    def __init__(self, members: Iterable[int] = ()) -> None:
        self.parent: dict[int, int] = {m: m for m in members}

    def find(self, item: int) -> int:
        """The lane that names `item`'s group."""
        parent = self.parent
        root = item
        while (up := parent.get(root, root)) != root:
            root = up
        while item != root:
            parent[item], item = root, parent[item]
        return root

    def union(self, a: int, b: int) -> bool:
        """Join the groups of `a` and `b` (named by `b`'s from then on); whether they were apart."""
        ra, rb = self.find(a), self.find(b)
        self.parent[ra] = rb
        self.parent.setdefault(rb, rb)
        return ra != rb


def _order(tasks: Sequence[PlanningTask]) -> list[PlanningTask]:
    return sorted(tasks, key=lambda t: (t.priority, t.id))


def _lane_groups(
    tasks: Sequence[PlanningTask], conflicts: Iterable[FileConflict]
) -> list[list[PlanningTask]]:
    """The tasks of a batch by group of lanes joined by conflicts (`conflicts` is read only until
    every lane is in one group)."""
    lane_of = {t.id: t.lane for t in tasks}
    groups = LaneGroups(lane_of.values())
    apart = len(groups.parent) - 1
    for conflict in conflicts if apart else ():
        a, b = conflict.task_ids
        if a in lane_of and b in lane_of and groups.union(lane_of[a], lane_of[b]):
            apart -= 1
            if not apart:
                break
    members: dict[int, list[PlanningTask]] = {}
    for task in tasks:
        members.setdefault(groups.find(task.lane), []).append(task)
    return list(members.values())


@dataclass(frozen=True)
class Capacity:
    """What every grouping and packing rule reads of the settings, as one value: how many
    worktrees a batch may have, and how long a task without an estimate takes."""

    max_worktrees: int
    default_minutes: int

    def widened(self, max_worktrees: int) -> Capacity:
        """The same with room for `max_worktrees` worktrees (at least one)."""
        return Capacity(max(1, max_worktrees), self.default_minutes)


def grouped_minutes(
    tasks: Sequence[PlanningTask], conflicts: Iterable[FileConflict], capacity: Capacity
) -> int:
    """How long a batch of `tasks` takes: `batch_minutes(group_batch(...))`, without making its
    worktrees."""
    default = capacity.default_minutes
    loads = [sum(t.minutes(default) for t in group) for group in _lane_groups(tasks, conflicts)]
    return packed_minutes(loads, capacity.max_worktrees)


def group_batch(
    tasks: Sequence[PlanningTask],
    conflicts: Iterable[FileConflict],
    capacity: Capacity,
) -> list[Worktree]:
    """The worktrees of one batch: lanes grouped by conflict, then combined down to the limit."""
    members = _lane_groups(tasks, conflicts)
    # each group: its tasks, its lanes by load
    loads = []
    for group_tasks in members:
        lane_load: dict[int, int] = {}
        for task in group_tasks:
            lane_load[task.lane] = lane_load.get(task.lane, 0) + task.minutes(capacity.default_minutes)
        loads.append((sum(lane_load.values()), lane_load, group_tasks))
    # longest first, each into the least loaded worktree
    loads.sort(key=lambda item: (-item[0], min(t.id for t in item[2])))
    bins: list[tuple[int, dict[int, int], list[PlanningTask]]] = []
    for load, lane_load, group_tasks in loads:
        if len(bins) < capacity.max_worktrees:
            bins.append((load, dict(lane_load), list(group_tasks)))
            continue
        index = min(range(len(bins)), key=lambda n: (bins[n][0], n))
        total, merged_load, merged_tasks = bins[index]
        for lane, minutes in lane_load.items():
            merged_load[lane] = merged_load.get(lane, 0) + minutes
        bins[index] = (total + load, merged_load, merged_tasks + group_tasks)
    worktrees = []
    for total, lane_load, group_tasks in bins:
        lanes = sorted(lane_load, key=lambda e: (-lane_load[e], abs(e)))
        ordered = _order(group_tasks)
        worktrees.append(Worktree(tuple(lanes), tuple(t.id for t in ordered), total))
    worktrees.sort(key=lambda w: w.task_ids[0])
    return worktrees


def assemble_batch(
    batch_id: int,
    worktrees: Sequence[tuple[Sequence[int], int]],
    previous: int | None,
    *,
    sequential: bool = False,
) -> ExecutionBatch:
    """The batch that runs `worktrees` (each: its task ids in running order, and its minutes) side
    by side after batch `previous`: its tasks listed worktree by worktree, parallel when it has more
    than one worktree (and is not marked sequential), as long as its busiest worktree."""
    return ExecutionBatch(
        batch_id=batch_id,
        task_ids=tuple(t for ids, _ in worktrees for t in ids),
        can_parallel=len(worktrees) > 1 and not sequential,
        depends_on=(previous,) if previous is not None else (),
        estimated_duration=max((minutes for _, minutes in worktrees), default=0) * 60,
    )


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
