"""The conflict rule for batches: tasks predicted to conflict never run concurrently.

Within one dependency level, tasks are packed into batches in several orders — by priority, by a
DSatur colouring of the conflict graph, and a bounded number of seeded shuffles — each task going
where it lengthens the level least (`packing.place_in_order`); the packing that finishes soonest
is kept (never slower than the whole level in one batch), with the least risk of the tasks run
side by side breaking ties. Conflicting tasks of different lanes (epics, or tasks without an
epic) either share a worktree or run in different batches, never concurrently.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from planner.core.model import FileConflict
from planner.core.packing import Packing, one_batch, place_in_order
from planner.core.tasks import PlanningTask
from planner.core.worktrees import Capacity


@dataclass(frozen=True)
class SearchConfig:
    """How hard the planner looks for a short packing of one level."""

    shuffles: int = 100
    """Seeded random task orders tried besides the priority and colouring orders."""
    placement_budget: int = 50_000
    """Most (task, batch) placements the shuffles of one level weigh: big levels try fewer orders
    (the priority and colouring orders are always tried)."""
    window: int = 16
    """A task weighs only the last `window` batches of its level (0: all of them), so that packing
    a level of n tasks takes work in proportion to n, not n²."""
    seed: int = 0
    """Seed of the shuffles, so that the same tasks always get the same plan."""
    background_risk: float = 0.1
    """Chance that two tasks running concurrently meet in a file nobody predicted: with it, of two
    equally short packings the one with fewer concurrent pairs wins."""
    thorough_tasks: int = 100
    """A level of more tasks stops searching once a packing is as short as the level can be
    (`lower_bound`); a smaller one goes on, for the least risky of the shortest packings."""
    slice_tasks: int = 200
    """A dependency level of more tasks is packed in slices of this many, by priority, one after
    another (`slices`): conflicts are looked for within a slice, so that the pairs weighed grow
    with n · slice_tasks, not n². A slice fills `slice_tasks / max_worktrees` batches or more,
    so little parallelism is lost at the seams."""


def slices(tasks: Sequence[PlanningTask], size: int) -> list[list[PlanningTask]]:
    """One level's tasks in slices of at most `size` (0: one slice), by priority, then id; sized
    evenly, so that no slice is a small remainder."""
    ordered = sorted(tasks, key=lambda t: (t.priority, t.id))
    if size <= 0 or len(ordered) <= size:
        return [ordered] if ordered else []
    count = -(-len(ordered) // size)
    bounds = [round(n * len(ordered) / count) for n in range(count + 1)]
    return [ordered[bounds[n] : bounds[n + 1]] for n in range(count)]


def _colour(tasks: Sequence[PlanningTask], edges: dict[int, set[int]]) -> list[list[PlanningTask]]:
    """DSatur colouring of the tasks on `edges` (the most saturated, then the most connected, then
    the first by priority next; a lazy heap keeps it O((n + e) log n)); returns the colour classes."""
    colour: dict[int, int] = {}
    by_id = {t.id: t for t in tasks}
    rank = {t.id: n for n, t in enumerate(sorted(tasks, key=lambda t: (t.priority, t.id)))}
    seen: dict[int, set[int]] = {t: set() for t in by_id}  # colours among each task's neighbours
    heap = [(0, -len(edges[t]), rank[t], t) for t in by_id]
    heapq.heapify(heap)
    while heap:
        saturation, _, _, chosen = heapq.heappop(heap)
        if chosen in colour or -saturation != len(seen[chosen]):
            continue  # coloured already, or an outdated entry
        used = seen[chosen]
        colour[chosen] = next(c for c in range(len(used) + 1) if c not in used)
        for other in edges[chosen]:
            if other not in colour and colour[chosen] not in seen[other]:
                seen[other].add(colour[chosen])
                heapq.heappush(heap, (-len(seen[other]), -len(edges[other]), rank[other], other))
    classes: dict[int, list[PlanningTask]] = {}
    for task_id in sorted(by_id, key=lambda t: rank[t]):
        classes.setdefault(colour[task_id], []).append(by_id[task_id])
    return [classes[c] for c in sorted(classes)]


def lower_bound(tasks: Sequence[PlanningTask], edges: dict[int, set[int]], capacity: Capacity) -> int:
    """Minutes no packing of the level can beat: its work spread over `max_worktrees`, its
    busiest lane (a lane's tasks never run side by side), and a greedy clique of tasks that must
    run one after another (each conflicts with, or shares a lane with, all the others); rounded up
    to a multiple of the tasks' minutes' greatest common divisor, as every duration is."""
    minutes = {t.id: t.minutes(capacity.default_minutes) for t in tasks}
    lanes: dict[int, int] = {}
    for task in tasks:
        lanes[task.lane] = lanes.get(task.lane, 0) + minutes[task.id]
    chosen: list[PlanningTask] = []
    for task in sorted(tasks, key=lambda t: (-minutes[t.id], t.id)):
        near = edges[task.id]
        if all(c.id in near or c.lane == task.lane for c in chosen):
            chosen.append(task)
    spread = -(-sum(minutes.values()) // max(1, capacity.max_worktrees))
    bound = max(spread, max(lanes.values(), default=0), sum(minutes[t.id] for t in chosen))
    step = math.gcd(*minutes.values()) or 1
    return -(-bound // step) * step


def split_level(
    tasks: Sequence[PlanningTask],
    conflicts: Sequence[FileConflict],
    capacity: Capacity,
    risks: Sequence[FileConflict] = (),
    search: SearchConfig | None = None,
) -> list[list[PlanningTask]]:
    """The batches (in order) that one dependency level's tasks run in.

    `conflicts` split; `risks` (conflicts that do not split) only break ties between packings.
    """
    if not tasks:
        return []
    search = search or SearchConfig()
    lane_of = {t.id: t.lane for t in tasks}
    edges: dict[int, set[int]] = {t.id: set() for t in tasks}
    for conflict in conflicts:
        a, b = conflict.task_ids
        if a in lane_of and b in lane_of and lane_of[a] != lane_of[b]:
            edges[a].add(b)
            edges[b].add(a)
    weights: dict[int, dict[int, float]] = {t.id: {} for t in tasks}
    for conflict in risks:
        a, b = conflict.task_ids
        if a in lane_of and b in lane_of and lane_of[a] != lane_of[b] and b not in edges[a]:
            weights[a][b] = weights[b][a] = max(weights[a].get(b, 0.0), conflict.strength)

    def pack(order: Sequence[PlanningTask]) -> Packing:
        return place_in_order(order, edges, weights, capacity, search.background_risk, search.window)

    by_priority = sorted(tasks, key=lambda t: (t.priority, t.id))
    best = one_batch(by_priority, edges, weights, capacity, search.background_risk)
    bound = lower_bound(tasks, edges, capacity) if len(tasks) > search.thorough_tasks else -1

    def done() -> bool:
        return best.minutes <= bound

    for order in (by_priority, [t for cls in _colour(tasks, edges) for t in cls]):
        if done():
            break
        best = min(best, pack(order), key=Packing.key)
    per_order = len(tasks) * max(1, min(len(best.batches), search.window or len(best.batches)))
    rng = random.Random(search.seed)
    order = list(by_priority)
    for _ in range(min(search.shuffles, search.placement_budget // per_order)):
        if done():
            break
        rng.shuffle(order)
        best = min(best, pack(order), key=Packing.key)
    return [list(batch) for batch in best.batches]
