"""Manual plan overrides: kept apart from the computed plan and re-applied on every rebuild.

Three kinds, all absolute so that applying them twice changes nothing:
- a task moved to a batch (`{"task_id": 7, "batch_id": 3}`);
- a batch marked sequential (`{"batch_id": 2, "sequential": true}`): one worktree, one task at a time;
- a task put in a named worktree of its batch (`worktree_assignments: {"7": "worktree-batch3-epic2"}`).
Batch ids are kept as they are (a batch emptied by a move disappears, leaving a gap), so an
override names the same batch before and after others are applied. An override that does not
apply — its task or batch is gone, or it would run a task before one of its dependencies — is
kept and reported, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from planner.core.errors import InvalidInputError
from planner.core.model import ExecutionBatch, ExecutionPlan
from planner.core.tasks import PlanningTask
from planner.core.worktrees import WORKTREE_NAME, assemble_batch, lane_of_name, worktree_name


@dataclass(frozen=True)
class Overrides:
    """A project's manual adjustments."""

    moves: dict[int, int] = field(default_factory=dict)  # task id -> batch id
    sequential: dict[int, bool] = field(default_factory=dict)  # batch id -> sequential
    worktrees: dict[int, str] = field(default_factory=dict)  # task id -> worktree name

    def __bool__(self) -> bool:
        return bool(self.moves or self.sequential or self.worktrees)

    def to_dict(self) -> dict[str, Any]:
        batch_overrides: list[dict[str, Any]] = [
            {"task_id": t, "batch_id": b} for t, b in sorted(self.moves.items())
        ]
        batch_overrides += [{"batch_id": b, "sequential": s} for b, s in sorted(self.sequential.items())]
        return {
            "worktree_assignments": {str(t): w for t, w in sorted(self.worktrees.items())},
            "batch_overrides": batch_overrides,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Overrides:
        """Parse a stored document or a PATCH body; an unknown key or a bad value is named."""
        unknown = sorted(set(data) - {"worktree_assignments", "batch_overrides"})
        if unknown:
            raise InvalidInputError(f"overrides: unknown key {unknown[0]!r}")
        worktrees: dict[int, str] = {}
        for key, name in (data.get("worktree_assignments") or {}).items():
            task_id = _int(key, f"worktree_assignments: task id {_shown(key)}")
            if not isinstance(name, str) or lane_of_name(name) is None:
                raise InvalidInputError(
                    f"worktree_assignments[{key}]: {_shown(name)} is not a worktree name like "
                    "worktree-batch2-epic3 or worktree-batch2-task7"
                )
            worktrees[task_id] = name
        moves: dict[int, int] = {}
        sequential: dict[int, bool] = {}
        for n, entry in enumerate(data.get("batch_overrides") or []):
            where = f"batch_overrides[{n}]"
            if not isinstance(entry, Mapping):
                raise InvalidInputError(f"{where}: expected an object")
            keys = set(entry)
            if keys == {"task_id", "batch_id"}:
                moves[_int(entry["task_id"], f"{where}.task_id")] = _int(
                    entry["batch_id"], f"{where}.batch_id"
                )
            elif keys == {"batch_id", "sequential"}:
                if not isinstance(entry["sequential"], bool):
                    raise InvalidInputError(f"{where}.sequential: expected true or false")
                sequential[_int(entry["batch_id"], f"{where}.batch_id")] = entry["sequential"]
            else:
                extra = sorted(keys - {"task_id", "batch_id", "sequential"})
                raise InvalidInputError(
                    f"{where}: unknown key {extra[0]!r}"
                    if extra
                    else f"{where}: expected {{task_id, batch_id}} or {{batch_id, sequential}}"
                )
        return cls(moves, sequential, worktrees)

    def merged(self, newer: Overrides) -> Overrides:
        """These overrides updated by `newer`; moving a task drops its older worktree choice."""
        worktrees = {t: w for t, w in self.worktrees.items() if t not in newer.moves}
        worktrees.update(newer.worktrees)
        sequential = {**self.sequential, **newer.sequential}
        return Overrides({**self.moves, **newer.moves}, {b: s for b, s in sequential.items() if s}, worktrees)


def _shown(value: Any) -> str:
    """`value` as it is quoted in a message: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


MAX_ID = 2**31 - 1  # task and batch ids are PostgreSQL integers


def _int(value: Any, where: str) -> int:
    """An id: an integer, or a string of ASCII digits (a JSON object's key), from 0 to MAX_ID."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value) if len(value) <= 10 else MAX_ID + 1
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInputError(f"{where}: expected an integer")
    if not 0 <= value <= MAX_ID:  # never formatted: a huge integer has no short decimal form
        raise InvalidInputError(f"{where}: out of range (0 to {MAX_ID})")
    return value


@dataclass(frozen=True)
class OverrideOutcome:
    """The plan with overrides applied, and what could not be applied and why."""

    plan: ExecutionPlan
    applied: tuple[dict[str, Any], ...]
    not_applied: tuple[dict[str, Any], ...]


class _Plan:
    """A mutable working copy of a plan's batches and worktrees."""

    def __init__(self, plan: ExecutionPlan) -> None:
        self.order = [b.batch_id for b in plan.batches]
        self.tasks = {b.batch_id: list(b.task_ids) for b in plan.batches}
        self.sequential = {b.batch_id for b in plan.batches if not b.can_parallel and len(b.task_ids) > 1}
        self.worktree = dict(plan.worktree_assignments)
        self.batch_of = {t: b.batch_id for b in plan.batches for t in b.task_ids}

    def position(self, batch_id: int) -> int:
        return self.order.index(batch_id)


def apply_overrides(
    plan: ExecutionPlan, overrides: Overrides, tasks: Mapping[int, PlanningTask], default_minutes: int
) -> OverrideOutcome:
    """Apply `overrides` to `plan`: moves first, then sequential batches, then worktree choices."""
    work = _Plan(plan)
    dependents: dict[int, list[int]] = {}
    for task in tasks.values():
        for dep in task.depends_on:
            dependents.setdefault(dep, []).append(task.id)
    key = {t.id: t.key for t in plan.tasks}
    applied: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []

    def name(task_id: int) -> str:
        return key.get(task_id, str(task_id))

    entry: dict[str, Any]
    for task_id, batch_id in sorted(overrides.moves.items()):
        entry = {"task_id": task_id, "batch_id": batch_id}
        reason = _move_problem(work, task_id, batch_id, tasks, dependents, name)
        if reason:
            skipped.append({"override": entry, "reason": reason})
            continue
        old = work.batch_of[task_id]
        if old != batch_id:
            work.tasks[old].remove(task_id)
            work.tasks[batch_id].append(task_id)
            work.batch_of[task_id] = batch_id
            lane = tasks[task_id].lane if task_id in tasks else -task_id
            work.worktree[task_id] = _worktree_for(work, batch_id, lane, task_id)
        applied.append(entry)

    for batch_id, sequential in sorted(overrides.sequential.items()):
        entry = {"batch_id": batch_id, "sequential": sequential}
        if batch_id not in work.tasks or not work.tasks[batch_id]:
            skipped.append({"override": entry, "reason": f"batch {batch_id} is not in the plan"})
            continue
        if sequential:
            work.sequential.add(batch_id)
            members = work.tasks[batch_id]
            names = [work.worktree[t] for t in members]
            keep = max(set(names), key=lambda n: (names.count(n), -names.index(n)))
            for t in members:
                work.worktree[t] = keep
        applied.append(entry)

    for task_id, worktree in sorted(overrides.worktrees.items()):
        entry = {"task_id": task_id, "worktree": worktree}
        match = WORKTREE_NAME.match(worktree)
        if task_id not in work.batch_of:
            skipped.append({"override": entry, "reason": f"task {task_id} is not in the plan (gone or done)"})
        elif match is None or int(match.group("batch")) != work.batch_of[task_id]:
            skipped.append(
                {
                    "override": entry,
                    "reason": f"task {name(task_id)} runs in batch {work.batch_of[task_id]}, "
                    f"not in the batch of {worktree}",
                }
            )
        elif work.batch_of[task_id] in work.sequential and worktree != work.worktree[task_id]:
            skipped.append(
                {"override": entry, "reason": f"batch {work.batch_of[task_id]} is sequential: one worktree"}
            )
        else:
            work.worktree[task_id] = worktree
            applied.append(entry)

    return OverrideOutcome(_rebuilt(plan, work, tasks, default_minutes), tuple(applied), tuple(skipped))


def _move_problem(
    work: _Plan,
    task_id: int,
    batch_id: int,
    tasks: Mapping[int, PlanningTask],
    dependents: Mapping[int, list[int]],
    name: Any,
) -> str | None:
    if task_id not in work.batch_of:
        return f"task {task_id} is not in the plan (gone or done)"
    if batch_id not in work.tasks:
        return f"batch {batch_id} is not in the plan"
    target = work.position(batch_id)
    task = tasks.get(task_id)
    for dep in task.depends_on if task else ():
        if dep in work.batch_of and work.position(work.batch_of[dep]) >= target:
            return (
                f"task {name(task_id)} in batch {batch_id} would not run after its dependency "
                f"{name(dep)} (batch {work.batch_of[dep]})"
            )
    for later in dependents.get(task_id, []):
        if later in work.batch_of and work.position(work.batch_of[later]) <= target:
            return (
                f"task {name(task_id)} in batch {batch_id} would not run before {name(later)} "
                f"(batch {work.batch_of[later]}), which depends on it"
            )
    return None


def _worktree_for(work: _Plan, batch_id: int, lane: int, task_id: int) -> str:
    """The worktree a moved task joins: its lane's in that batch, else a new one for its lane."""
    for other in work.tasks[batch_id]:
        if other != task_id and lane_of_name(work.worktree.get(other, "")) == lane:
            return work.worktree[other]
    if batch_id in work.sequential and len(work.tasks[batch_id]) > 1:
        return work.worktree[next(t for t in work.tasks[batch_id] if t != task_id)]
    return worktree_name(batch_id, lane)


def _rebuilt(
    plan: ExecutionPlan, work: _Plan, tasks: Mapping[int, PlanningTask], default_minutes: int
) -> ExecutionPlan:
    batches: list[ExecutionBatch] = []
    previous: int | None = None
    for batch_id in work.order:
        members = work.tasks[batch_id]
        if not members:
            continue
        load: dict[str, int] = {}
        running: dict[str, list[int]] = {}
        for t in members:
            minutes = tasks[t].minutes(default_minutes) if t in tasks else default_minutes
            load[work.worktree[t]] = load.get(work.worktree[t], 0) + minutes
            running.setdefault(work.worktree[t], []).append(t)  # each worktree in its running order
        lanes = [(running[name], load[name]) for name in load]
        batches.append(assemble_batch(batch_id, lanes, previous, sequential=batch_id in work.sequential))
        previous = batch_id
    assignments = {t: w for t, w in work.worktree.items() if t in work.batch_of}
    return replace(plan, batches=tuple(batches), worktree_assignments=assignments)
