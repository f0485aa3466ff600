"""The conflict rule for batches: tasks predicted to conflict never run concurrently.

Within one dependency level, conflicting tasks of different epics are split into sequential
batches by graph colouring (DSatur), and colour classes are then merged back wherever sharing a
worktree is faster than running one batch after the other; the result never has two conflicting
tasks in the same batch but different worktrees.
"""

from __future__ import annotations

from collections.abc import Sequence

from .model import FileConflict
from .tasks import PlanningTask
from .worktrees import batch_minutes, group_batch


def _colour(tasks: Sequence[PlanningTask], edges: dict[int, set[int]]) -> list[list[PlanningTask]]:
    """DSatur colouring of the tasks on `edges`; returns the colour classes."""
    colour: dict[int, int] = {}
    by_id = {t.id: t for t in tasks}
    rank = {t.id: n for n, t in enumerate(sorted(tasks, key=lambda t: (t.priority, t.id)))}
    while len(colour) < len(tasks):
        pending = [t for t in by_id if t not in colour]
        chosen = max(
            pending,
            key=lambda t: (len({colour[n] for n in edges[t] if n in colour}), len(edges[t]), -rank[t]),
        )
        used = {colour[n] for n in edges[chosen] if n in colour}
        colour[chosen] = next(c for c in range(len(tasks) + 1) if c not in used)
    classes: dict[int, list[PlanningTask]] = {}
    for task_id in sorted(by_id, key=lambda t: rank[t]):
        classes.setdefault(colour[task_id], []).append(by_id[task_id])
    return [classes[c] for c in sorted(classes)]


def split_level(
    tasks: Sequence[PlanningTask],
    conflicts: Sequence[FileConflict],
    max_worktrees: int,
    default_minutes: int,
) -> list[list[PlanningTask]]:
    """The batches (in order) that one dependency level's tasks run in."""
    if not tasks:
        return []
    epic_of = {t.id: t.epic_id for t in tasks}
    edges: dict[int, set[int]] = {t.id: set() for t in tasks}
    for conflict in conflicts:
        a, b = conflict.task_ids
        if a in epic_of and b in epic_of and epic_of[a] != epic_of[b]:
            edges[a].add(b)
            edges[b].add(a)

    def cost(members: Sequence[PlanningTask]) -> int:
        return batch_minutes(group_batch(members, conflicts, max_worktrees, default_minutes))

    classes = _colour(tasks, edges)
    # merge two classes whenever one batch with shared worktrees is no slower than two batches
    improved = True
    while improved and len(classes) > 1:
        improved = False
        best: tuple[int, int, int] | None = None
        for i in range(len(classes)):
            for j in range(i + 1, len(classes)):
                gain = cost(classes[i]) + cost(classes[j]) - cost([*classes[i], *classes[j]])
                if gain >= 0 and (best is None or gain > best[0]):
                    best = (gain, i, j)
        if best is not None:
            _, i, j = best
            classes[i] = [*classes[i], *classes[j]]
            del classes[j]
            improved = True
    return classes
