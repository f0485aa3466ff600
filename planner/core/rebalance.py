"""Moving tasks between batches where their dependencies leave them room, to finish sooner.

Batches start as dependency levels (each split further by conflicts), so a task waits for every
task of the levels before its own, not only for those it depends on; and the independent tasks
of one epic all land in the first batch, one after another in its worktree, while later batches
wait on a chain elsewhere. A task may run in any batch after all the tasks it depends on and
before all the tasks that depend on it. Two passes, repeated while either helps:

- *earlier*: a task moves to the earliest batch its dependencies allow where it fits into idle
  time (that batch takes no longer) and meets no likelier conflict than where it is, so the
  chains behind it can start sooner;
- *apart*: a task of a batch's busiest worktree moves to another batch in its range when the
  plan gets shorter (the time the first batch saves exceeds what the second gains).

A task never moves next to one of another lane it must not run beside. Batches left empty are
dropped. The work is bounded (`max_work`: the tasks of the batches whose durations are weighed,
summed), and the same tasks always get the same plan.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from planner.core.tasks import PlanningTask

Duration = Callable[[Sequence[PlanningTask]], int]
"""Minutes a batch of these tasks takes (its busiest worktree)."""
Meets = Callable[[PlanningTask, Sequence[PlanningTask]], bool]
"""Whether a task must not run beside one of these tasks (a splitting conflict, other lane)."""
Busiest = Callable[[Sequence[PlanningTask]], Sequence[PlanningTask]]
"""The tasks of a batch's busiest worktree."""
Risk = Callable[[PlanningTask, Sequence[PlanningTask]], float]
"""How likely a task meets those of other lanes among these tasks (conflicts that do not split)."""


class _Plan:
    """Batches being rebalanced: where each task is, and each batch's minutes."""

    def __init__(self, batches: Sequence[Sequence[PlanningTask]], duration: Duration, budget: int) -> None:
        self.work = [list(batch) for batch in batches]
        self.duration = duration
        self.budget = budget
        self.where = {t.id: n for n, batch in enumerate(self.work) for t in batch}
        self.dependents: dict[int, list[int]] = {}
        for batch in self.work:
            for task in batch:
                for dep in task.depends_on:
                    self.dependents.setdefault(dep, []).append(task.id)
        self.minutes = [duration(batch) for batch in self.work]

    def weigh(self, members: Sequence[PlanningTask]) -> int:
        self.budget -= len(members)
        return self.duration(members)

    def room(self, task: PlanningTask) -> range:
        """The batches `task` may run in."""
        first = max((self.where[d] + 1 for d in task.depends_on if d in self.where), default=0)
        after = [self.where[d] - 1 for d in self.dependents.get(task.id, ()) if d in self.where]
        return range(first, min(after, default=len(self.work) - 1) + 1)

    def move(self, task: PlanningTask, target: int) -> None:
        source = self.where[task.id]
        self.work[source] = [t for t in self.work[source] if t.id != task.id]
        self.work[target].append(task)
        self.where[task.id] = target
        self.minutes[source] = self.duration(self.work[source])
        self.minutes[target] = self.duration(self.work[target])


def _earlier(plan: _Plan, meets: Meets, risk: Risk) -> bool:
    """Each task to the earliest batch it fits into for free (see the module)."""
    improved = False
    for source in range(1, len(plan.work)):
        for task in list(plan.work[source]):
            here: float | None = None
            for target in plan.room(task):
                if target >= source or plan.budget <= 0:
                    break
                if meets(task, plan.work[target]):
                    continue
                if here is None:
                    here = risk(task, [t for t in plan.work[source] if t.id != task.id])
                if risk(task, plan.work[target]) > here:
                    continue
                if plan.weigh([*plan.work[target], task]) <= plan.minutes[target]:
                    plan.move(task, target)
                    improved = True
                    break
    return improved


def _apart(plan: _Plan, meets: Meets, busiest: Busiest) -> bool:
    """A task of a busiest worktree to the batch where it lengthens the plan least, if it
    shortens it (see the module)."""
    improved = False
    for source in range(len(plan.work)):
        lane = busiest(plan.work[source])
        if len(lane) < 2:
            continue
        for task in sorted(lane, key=lambda t: (-t.priority, -t.id)):
            rest = [t for t in plan.work[source] if t.id != task.id]
            shorter = plan.minutes[source] - plan.weigh(rest)
            best: tuple[int, int] | None = None
            for target in plan.room(task):
                if target == source or plan.budget <= 0 or shorter <= 0:
                    continue
                if meets(task, plan.work[target]):
                    continue
                longer = plan.weigh([*plan.work[target], task]) - plan.minutes[target]
                if longer < shorter and (best is None or longer < best[0]):
                    best = (longer, target)
            if best is not None:
                plan.move(task, best[1])
                improved = True
                break
    return improved


def rebalance(
    batches: Sequence[Sequence[PlanningTask]],
    duration: Duration,
    meets: Meets,
    busiest: Busiest,
    risk: Risk,
    max_work: int = 15_000,
) -> list[list[PlanningTask]]:
    """`batches` with tasks moved where the plan gets shorter (see the module); empty ones dropped."""
    plan = _Plan(batches, duration, max_work)
    for _ in range(len(plan.where) + 1):
        changed = _earlier(plan, meets, risk)
        changed = _apart(plan, meets, busiest) or changed
        if not changed or plan.budget <= 0:
            break
    return [batch for batch in plan.work if batch]
