"""Why a plan is less parallel than its dependencies allow: its causes, the most costly first.

The rule: dependencies allow every task of a dependency level to run at once. A cause is listed
when lifting it alone would shorten the plan by at least `MIN_SHARE` of its duration; its cost is
that saving, in minutes, estimated level by level:

- `shared_file`: the file (or directory) whose splitting conflicts cost the most. Each conflict is
  weighed again (by the conflict rule) as if no task were predicted to change that file, and the
  levels it held back are packed again (`batches.split_level`, a shorter search): the saving is
  its cost. A second file is weighed once the first is gone; two together when neither alone
  saves anything. Its text compares the batches of the levels it holds back with their number
  ("9 batches instead of 3"). What no file explains of the gap between the plan and the same
  levels without conflict splitting (each level one batch, its lanes combined down to
  `max_worktrees`, as `worktrees.packed_minutes` computes) is listed as `conflicts`.
- `epic_serial`: the epic whose tasks, one after another in its lane, make a level longest; the
  saving if its tasks (but those predicted to conflict with each other) ran side by side.
- `max_worktrees`: levels with more lanes than `max_worktrees`: the saving with no cap.
- `chain`: every level holds one task, so nothing can run side by side (the only cause then).

Lifting an epic's lane or the cap cannot make a level shorter than the tasks that conflict with
each other over one file take one after another (a greedy clique of the conflict graph): that
bound keeps their estimates honest when conflicts are what really holds the plan back.
Each reason is a JSON-able dict: kind, text, cost_minutes, files, task_ids. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from planner.core.batches import SearchConfig, split_level
from planner.core.conflicts import Chance, Footprint, Friendly, conflicts_between, footprint
from planner.core.model import CONFLICT_TYPES, ExecutionBatch, FileConflict
from planner.core.settings import Settings
from planner.core.tasks import PlanningTask
from planner.core.worktrees import Worktree, batch_minutes, group_batch, packed_minutes

MIN_SHARE = 0.05
"""A cause is listed when lifting it would save at least this share of the plan's duration."""
CANDIDATE_FILES = 3
"""Files weighed by packing again: those whose conflicting tasks take longest one after another."""
REPACK = SearchConfig(shuffles=2, placement_budget=40_000)
"""The search when levels are packed again without a file: short, the answer is an estimate."""

Splits = Callable[[FileConflict], bool]


def duration_text(minutes: int) -> str:
    """`4h05` or `45m`, as the command line writes durations."""
    hours, rest = divmod(max(0, minutes), 60)
    return f"{hours}h{rest:02d}" if hours else f"{rest}m"


@dataclass(frozen=True)
class Reason:
    """One cause of lost parallelism and what it costs."""

    kind: str
    text: str
    cost_minutes: int
    files: tuple[str, ...] = ()
    task_ids: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "text": self.text,
            "cost_minutes": self.cost_minutes,
            "files": list(self.files),
            "task_ids": list(self.task_ids),
        }


@dataclass
class _Level:
    """One dependency level as planned: its tasks, its batches' minutes, its splitting conflicts."""

    number: int
    members: list[PlanningTask] = field(default_factory=list)
    minutes: int = 0
    batches: int = 0
    conflicts: list[FileConflict] = field(default_factory=list)
    lanes: list[Worktree] = field(default_factory=list)  # one per lane: no conflicts, no cap
    holders: dict[str, list[int]] = field(default_factory=dict)  # file -> tasks of its conflicts

    def finish(self, ctx: _Context) -> None:
        self.lanes = group_batch(self.members, (), ctx.capacity.widened(len(self.members)))
        held: dict[str, set[int]] = {}
        for conflict in self.conflicts:
            for path in conflict.predicted_files:
                held.setdefault(path, set()).update(conflict.task_ids)
        self.holders = {path: sorted(ids) for path, ids in held.items()}
        self._pairs = {c.task_ids for c in self.conflicts}
        self._lane_of = {t: n for n, lane in enumerate(self.lanes) for t in lane.task_ids}

    def unsplit(self, cap: int) -> int:
        """Its minutes with no conflict splitting: one batch, lanes combined down to the cap."""
        return packed_minutes([lane.minutes for lane in self.lanes], cap)

    def serial(self, path: str, ctx: _Context, lanes: bool = True) -> int:
        """Minutes that tasks of `path` take one after another: a greedy clique of those that
        conflict with each other (or, with `lanes`, share an epic's lane)."""
        chosen: list[int] = []
        for task in sorted(self.holders[path], key=lambda t: (-ctx.minutes(t), t)):
            if all(
                (min(task, c), max(task, c)) in self._pairs
                or (lanes and self._lane_of[task] == self._lane_of[c])
                for c in chosen
            ):
                chosen.append(task)
        return sum(ctx.minutes(t) for t in chosen)

    def bound(self, ctx: _Context, lanes: bool = True) -> int:
        """The longest any file's conflicting tasks take one after another."""
        return max((self.serial(path, ctx, lanes) for path in self.holders), default=0)


class _Context:
    def __init__(
        self,
        tasks: Mapping[int, PlanningTask],
        splits: Splits,
        settings: Settings,
        friendly: Friendly | None,
        chance: Chance | None = None,
    ) -> None:
        self.tasks = tasks
        self.chance = chance
        self.splits = splits
        self.friendly = friendly
        self.capacity = settings.capacity
        self._without: dict[tuple[int, frozenset[str]], tuple[PlanningTask, Footprint]] = {}
        # whether a conflict of a type but same_file and declared could keep two tasks apart
        self.others_split = any(
            splits(FileConflict((0, 0), (), kind, 1.0))
            for kind in CONFLICT_TYPES
            if kind not in ("same_file", "declared")
        )

    def without(self, task_id: int, removed: frozenset[str]) -> tuple[PlanningTask, Footprint]:
        """Task `task_id` as if it were not predicted to change `removed`, and its footprint."""
        key = (task_id, removed)
        found = self._without.get(key)
        if found is None:
            task = self.tasks[task_id]
            kept = tuple(p for p in task.predicted_files if p.path not in removed)
            task = replace(task, predicted_files=kept)
            found = self._without[key] = (task, footprint(task.predicted_files, self.chance))
        return found

    def minutes(self, task_id: int) -> int:
        return self.tasks[task_id].minutes(self.capacity.default_minutes)


def explain_plan(
    batches: Sequence[tuple[ExecutionBatch, Sequence[Worktree]]],
    tasks: Mapping[int, PlanningTask],
    conflicts: Sequence[FileConflict],
    splits: Splits,
    settings: Settings,
    friendly: Friendly | None = None,
    groups: Mapping[int, int] | None = None,
    chance: Chance | None = None,
) -> list[dict[str, Any]]:
    """The reasons the plan of `batches` (each with its worktrees) is less parallel than the
    dependency levels of `tasks` allow, most costly first; empty when it is as parallel.
    `friendly` tells merge-friendly files, as the conflicts were found with; `groups` the level
    or slice each task was packed with (by default its level); `chance` reads confidences as the
    conflicts were found with (a calibration's)."""
    ctx = _Context(tasks, splits, settings, friendly, chance)
    placed = {t for batch, _ in batches for t in batch.task_ids if t in tasks}
    group = dict(groups) if groups is not None else {t: tasks[t].level for t in placed}
    levels: dict[int, _Level] = {}
    for task_id in sorted(placed):
        levels.setdefault(group[task_id], _Level(group[task_id])).members.append(tasks[task_id])
    for conflict in conflicts:
        a, b = conflict.task_ids
        if a in placed and b in placed and group[a] == group[b] and splits(conflict):
            levels[group[a]].conflicts.append(conflict)
    for level in levels.values():  # each level as packed on its own (before tasks move between)
        level.minutes, level.batches = _packed(level.members, level.conflicts, ctx)
    planned = sum(batch_minutes(worktrees) for _, worktrees in batches)
    count = sum(len(level.members) for level in levels.values())
    if count > 1 and all(len(level.members) == 1 for level in levels.values()):
        longest = max(ctx.minutes(t.id) for level in levels.values() for t in level.members)
        ids = tuple(t.id for n in sorted(levels) for t in levels[n].members)
        text = f"no parallelism possible: every task depends on the one before ({count} tasks in a chain)"
        return [Reason("chain", text, planned - longest, (), ids).to_dict()]
    ordered = [levels[n] for n in sorted(levels)]
    for level in ordered:
        level.finish(ctx)
    unsplit = sum(level.unsplit(ctx.capacity.max_worktrees) for level in ordered)
    threshold = max(1.0, MIN_SHARE * planned)
    reasons = [
        *_shared_files(ordered, ctx, count, threshold),
        *_epic_lanes(ordered, ctx),
        *_worktree_cap(ordered, ctx),
    ]
    # tasks moved between levels may have won back part of it: no cause costs more than is lost
    # against what it is measured by (conflicts: the levels unsplit; lanes and the cap: the
    # longest task of each level)
    shortest = sum(max(ctx.minutes(t.id) for t in level.members) for level in levels.values())
    lost = {"shared_file": planned - unsplit, "conflicts": planned - unsplit}
    capped = [
        replace(r, cost_minutes=max(0, min(r.cost_minutes, lost.get(r.kind, planned - shortest))))
        for r in reasons
    ]
    kept = sorted((r for r in capped if r.cost_minutes >= threshold), key=lambda r: -r.cost_minutes)
    return [r.to_dict() for r in kept]


# -- shared files ------------------------------------------------------------------------------


def _lifted(conflict: FileConflict, removed: frozenset[str], ctx: _Context) -> bool:
    """Whether `conflict` would no longer split if no task were predicted to change `removed`."""
    if removed.isdisjoint(conflict.predicted_files):
        return False
    if conflict.conflict_type != "same_file":
        return True  # a directory or a related pair it names
    if removed.issuperset(conflict.predicted_files) and not ctx.others_split:
        a, b = (ctx.tasks[t] for t in conflict.task_ids)
        if a.key not in b.conflicts_with and b.key not in a.conflicts_with:
            return True  # they share no file any more, and nothing else of theirs could split
    (a, fa), (b, fb) = (ctx.without(t, removed) for t in conflict.task_ids)
    again = conflicts_between(a, b, fa, fb, friendly=ctx.friendly)
    return not any(ctx.splits(c) for c in again)


def _repacked(level: _Level, removed: frozenset[str], ctx: _Context) -> int:
    """The level's minutes, packed again as if no task were predicted to change `removed`."""
    kept = [c for c in level.conflicts if not _lifted(c, removed, ctx)]
    if len(kept) == len(level.conflicts):
        return level.minutes
    return min(level.minutes, _packed(level.members, kept, ctx)[0])


def _packed(
    members: Sequence[PlanningTask], conflicts: Sequence[FileConflict], ctx: _Context
) -> tuple[int, int]:
    """(minutes, batches) of one level's tasks packed with these splitting conflicts."""
    parts = split_level(members, conflicts, ctx.capacity, search=REPACK)
    part_of = {t.id: n for n, part in enumerate(parts) for t in part}
    within: list[list[FileConflict]] = [[] for _ in parts]
    for conflict in conflicts:
        a, b = conflict.task_ids
        if a in part_of and b in part_of and part_of[a] == part_of[b]:
            within[part_of[a]].append(conflict)
    total = sum(
        batch_minutes(group_batch(part, inside, ctx.capacity))
        for part, inside in zip(parts, within, strict=True)
    )
    return total, len(parts)


def _shared_files(levels: Sequence[_Level], ctx: _Context, task_count: int, threshold: float) -> list[Reason]:
    """The files whose conflicts cost the most, and the cost of the other conflicts (see the module)."""
    unsplit = {level.number: level.unsplit(ctx.capacity.max_worktrees) for level in levels}
    costly = [level for level in levels if level.minutes > unsplit[level.number] and level.conflicts]
    gap = sum(level.minutes - unsplit[level.number] for level in costly)
    if gap <= 0:
        return []
    held: dict[str, set[int]] = {}
    for level in costly:
        for path, ids in level.holders.items():
            held.setdefault(path, set()).update(ids)

    def forced(path: str) -> int:
        """Minutes its conflicting tasks take one after another beyond the unsplit levels."""
        return sum(
            min(
                level.minutes - unsplit[level.number], max(0, level.serial(path, ctx) - unsplit[level.number])
            )
            for level in costly
            if path in level.holders
        )

    rank = {path: (-forced(path), -len(ids), path) for path, ids in held.items()}
    candidates = sorted(held, key=rank.__getitem__)[:CANDIDATE_FILES]
    current = {level.number: level.minutes for level in costly}

    def saving(removed: frozenset[str]) -> tuple[int, dict[int, int], tuple[str, ...]]:
        after = {level.number: min(current[level.number], _repacked(level, removed, ctx)) for level in costly}
        return (
            sum(current.values()) - sum(after.values()),
            after,
            tuple(sorted(removed, key=rank.__getitem__)),
        )

    reasons: list[Reason] = []
    removed: frozenset[str] = frozenset()
    for _ in range(2):
        if gap - sum(r.cost_minutes for r in reasons) < threshold:
            break  # what is left could not be listed
        options = [saving(removed | {p}) for p in candidates if p not in removed]
        if not reasons and len(candidates) > 1 and max((o[0] for o in options), default=0) <= 0:
            options.append(saving(frozenset(candidates[:2])))  # neither alone: the two together
        saved, after, paths = max(options, key=lambda o: (o[0], -len(o[2])), default=(0, current, ()))
        if saved <= 0:
            break
        new = [p for p in paths if p not in removed]
        ids = sorted({t for p in new for t in held[p]})
        named = " or ".join(f"files in {p}" if p.endswith("/") else p for p in new)
        held_back = [level for level in costly if after[level.number] < current[level.number]]
        batch_count = sum(level.batches for level in held_back)
        shape = (
            f"{batch_count} batches instead of {len(held_back)}"
            if batch_count > len(held_back)
            else "they run one after another"
        )
        text = (
            f"{len(ids)} of {task_count} tasks are predicted to change {named}; "
            f"{shape}, about {duration_text(saved)} longer"
        )
        reasons.append(Reason("shared_file", text, saved, tuple(new), tuple(ids)))
        removed, current = frozenset(paths), after
    rest = gap - sum(r.cost_minutes for r in reasons)
    left = [c for level in costly for c in level.conflicts if not _lifted(c, removed, ctx)]
    if rest > 0 and left:
        count = {p: len(held[p]) for c in left for p in c.predicted_files}
        most = sorted(count, key=lambda p: (-count[p], p))
        ids = sorted({t for c in left for t in c.task_ids})
        text = (
            f"{len(left)} {'other ' if reasons else ''}predicted conflicts, over {len(most)} files, "
            f"keep tasks apart; about {duration_text(rest)} longer"
        )
        reasons.append(Reason("conflicts", text, rest, tuple(most[:5]), tuple(ids)))
    return reasons


# -- epics and the worktree cap ----------------------------------------------------------------


def _epic_lanes(levels: Sequence[_Level], ctx: _Context) -> list[Reason]:
    """The epic whose lane makes a level longest, if its tasks could run side by side."""
    cost: dict[int, int] = {}
    ids: dict[int, list[int]] = {}
    for level in levels:
        longest = max(lane.minutes for lane in level.lanes)
        for lane in level.lanes:
            if lane.minutes < longest or len(lane.task_ids) < 2:
                continue
            # its tasks each in a lane of its own; those predicted to conflict still share one
            inside = set(lane.task_ids)
            among = [c for c in level.conflicts if c.task_ids[0] in inside and c.task_ids[1] in inside]
            alone = [replace(ctx.tasks[t], epic_id=None) for t in lane.task_ids]
            groups = group_batch(alone, among, ctx.capacity.widened(len(alone)))
            loads = [w.minutes for w in level.lanes if w is not lane] + [g.minutes for g in groups]
            apart = max(packed_minutes(loads, ctx.capacity.max_worktrees), level.bound(ctx, lanes=False))
            if apart < level.minutes:
                epic = lane.lanes[0]  # an epic: a task without one has a lane to itself
                cost[epic] = cost.get(epic, 0) + level.minutes - apart
                ids.setdefault(epic, []).extend(lane.task_ids)
    reasons = []
    for epic, saved in cost.items():
        text = (
            f"{len(ids[epic])} tasks of epic {epic} run one after another (one worktree per epic); "
            f"about {duration_text(saved)} longer than side by side"
        )
        reasons.append(Reason("epic_serial", text, saved, (), tuple(sorted(ids[epic]))))
    return reasons


def _worktree_cap(levels: Sequence[_Level], ctx: _Context) -> list[Reason]:
    """Levels with more lanes than `max_worktrees`: what they would save without the cap."""
    saved, widest, ids = 0, 0, list[int]()
    for level in levels:
        if len(level.lanes) <= ctx.capacity.max_worktrees:
            continue
        uncapped = max(max(lane.minutes for lane in level.lanes), level.bound(ctx))
        if uncapped < level.minutes:
            saved += level.minutes - uncapped
            widest = max(widest, len(level.lanes))
            ids.extend(t.id for t in level.members)
    if saved <= 0:
        return []
    text = (
        f"max_worktrees is {ctx.capacity.max_worktrees} but up to {widest} worktrees could run side by side; "
        f"about {duration_text(saved)} longer"
    )
    return [Reason("max_worktrees", text, saved, (), tuple(sorted(ids)))]
