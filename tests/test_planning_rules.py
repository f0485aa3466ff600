"""The conflict, batch and worktree rules, on plans built in memory (no database)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from planner.builder import ExecutionPlanBuilder
from planner.conflicts import find_conflicts
from planner.model import ExecutionPlan, PredictedFile
from planner.settings import Settings
from planner.tasks import PlanningTask


def task(
    task_id: int, epic: int | None, files: list[str], level: int = 0, minutes: int | None = None, **kw: Any
) -> PlanningTask:
    return PlanningTask(
        id=task_id,
        key=f"T{task_id}",
        epic_id=epic,
        level=level,
        estimated_minutes=minutes,
        predicted_files=tuple(PredictedFile(f, 0.9, ("test",)) for f in files),
        **kw,
    )


def builder(
    max_worktrees: int = 4, split_on: tuple[str, ...] = ("same_file", "same_directory")
) -> ExecutionPlanBuilder:
    return ExecutionPlanBuilder(db=None, settings=Settings(max_worktrees=max_worktrees, split_on=split_on))


def concurrent_pairs(plan: ExecutionPlan) -> set[frozenset[int]]:
    pairs = set()
    for batch in plan.batches:
        for a in batch.task_ids:
            for b in batch.task_ids:
                if a < b and plan.worktree_assignments[a] != plan.worktree_assignments[b]:
                    pairs.add(frozenset((a, b)))
    return pairs


def test_same_file_and_same_directory_conflicts() -> None:
    tasks = [task(1, 1, ["api/orders.py"]), task(2, 2, ["api/orders.py"]), task(3, 3, ["api/users.py"]),
             task(4, 4, ["README.md"]), task(5, 5, ["setup.py"])]  # fmt: skip
    found = {c.task_ids: c for c in find_conflicts(tasks)}
    assert found[(1, 2)].conflict_type == "same_file"
    assert found[(1, 2)].predicted_files == ("api/orders.py",)
    assert found[(1, 3)].conflict_type == "same_directory"
    assert found[(1, 3)].predicted_files == ("api/",)
    assert found[(1, 2)].strength > found[(1, 3)].strength
    # files at the repository's root share no directory
    assert (4, 5) not in found


def test_named_directory_covers_files_below_it() -> None:
    tasks = [task(1, 1, ["core/"]), task(2, 2, ["core/db/pool.py"]), task(3, 3, ["web/app.js"])]
    found = {c.task_ids: c.conflict_type for c in find_conflicts(tasks)}
    assert found == {(1, 2): "same_directory"}


def test_conflicting_tasks_never_run_concurrently() -> None:
    tasks = [task(1, 1, ["a/x.py"]), task(2, 2, ["a/x.py"]), task(3, 3, ["b/y.py"]), task(4, 4, ["c/z.py"])]
    b = builder()
    plan = b.plan("p", tasks)
    assert frozenset((1, 2)) not in concurrent_pairs(plan)
    assert len(plan.batches) == 1  # sharing one worktree is as fast as a second batch
    assert all(b.validate_batch(batch, plan.predicted_conflicts) for batch in plan.batches)


def test_split_beats_merge_when_it_is_faster() -> None:
    # epics 1..4 with two tasks each; a1-b1 and c1-d1 conflict. One batch with merged worktrees
    # takes 4 units; splitting the two conflicting tasks into a second batch takes 2 + 1.
    tasks = [task(11, 1, ["a/1.py"]), task(12, 1, ["x1.py"]), task(21, 2, ["a/1.py"]),
             task(22, 2, ["x2.py"]), task(31, 3, ["c/1.py"]), task(32, 3, ["x3.py"]),
             task(41, 4, ["c/1.py"]), task(42, 4, ["x4.py"])]  # fmt: skip
    plan = builder().plan("p", tasks)
    assert [b.estimated_duration for b in plan.batches] == [2 * 30 * 60, 30 * 60]
    assert len(plan.batches) == 2
    assert not concurrent_pairs(plan) & {frozenset((11, 21)), frozenset((31, 41))}


def test_merge_beats_split_when_it_is_no_slower() -> None:
    # two independent conflicting pairs, one task per epic: one batch of two shared worktrees
    tasks = [task(1, 1, ["a/1.py"]), task(2, 2, ["a/1.py"]), task(3, 3, ["c/1.py"]), task(4, 4, ["c/1.py"])]
    plan = builder().plan("p", tasks)
    assert len(plan.batches) == 1
    assert plan.worktree_assignments[1] == plan.worktree_assignments[2]
    assert plan.worktree_assignments[3] == plan.worktree_assignments[4]
    assert plan.worktree_assignments[1] != plan.worktree_assignments[3]


def test_colouring_not_one_batch_per_conflict() -> None:
    # a star: task 1 conflicts with 2..7 (each its own epic, with a second task to keep merging costly);
    # colouring needs two batches however many conflicts there are
    tasks = [task(1, 1, [f"d{n}/f.py" for n in range(2, 8)])]
    for n in range(2, 8):
        tasks += [task(n, n, [f"d{n}/f.py"]), task(n * 10, n, [f"other{n}.py"])]
    plan = builder(max_worktrees=8).plan("p", tasks)
    assert len(plan.batches) == 2
    assert not any(frozenset((1, n)) in concurrent_pairs(plan) for n in range(2, 8))


def test_worktrees_per_epic_limit_and_names() -> None:
    tasks = [task(n, n, [f"pkg{n}/m.py"], minutes=10 * n) for n in range(1, 7)]  # 6 epics, no conflicts
    plan = builder(max_worktrees=4).plan("p", tasks)
    assert len(plan.batches) == 1
    names = set(plan.worktree_assignments.values())
    assert len(names) == 4
    assert all(name.startswith("worktree-batch1-epic") for name in names)
    # the largest epics keep their own worktree; the smallest are combined
    assert plan.worktree_assignments[6] == "worktree-batch1-epic6"
    assert plan.worktree_assignments[5] == "worktree-batch1-epic5"
    combined = plan.metadata["combined_worktrees"]
    assert combined and all(len(epics) > 1 for epics in combined.values())
    assert plan.batches[0].estimated_duration == 60 * 60  # busiest worktree: epic 6 (60 min)
    assert plan.batches[0].can_parallel


def test_dependency_levels_order_batches_and_durations() -> None:
    tasks = [task(1, 1, ["a.py"], level=0, minutes=20), task(2, 1, ["b.py"], level=1, depends_on=(1,)),
             task(3, 2, ["c.py"], level=1, depends_on=(1,), minutes=50)]  # fmt: skip
    plan = builder().plan("p", tasks)
    assert [b.task_ids for b in plan.batches] == [(1,), (2, 3)]
    assert [b.depends_on for b in plan.batches] == [(), (1,)]
    assert [b.can_parallel for b in plan.batches] == [False, True]
    assert [b.estimated_duration for b in plan.batches] == [20 * 60, 50 * 60]


def test_split_on_is_configurable() -> None:
    tasks = [task(1, 1, ["api/a.py"]), task(2, 2, ["api/b.py"])]
    assert len(builder(split_on=("same_file", "same_directory")).plan("p", tasks).batches) == 1
    strict = builder(split_on=("same_file", "same_directory")).plan("p", tasks)
    assert strict.worktree_assignments[1] == strict.worktree_assignments[2]
    loose = builder(split_on=("same_file",)).plan("p", tasks)
    assert loose.worktree_assignments[1] != loose.worktree_assignments[2]


def test_validate_batch_reports_a_conflict_split_over_worktrees() -> None:
    b = builder()
    plan = b.plan("p", [task(1, 1, ["a/x.py"]), task(2, 2, ["b/y.py"])])
    batch = plan.batches[0]
    assert b.validate_batch(batch, plan.predicted_conflicts)
    from planner.model import FileConflict

    forced = FileConflict((1, 2), ("a/x.py",), "same_file", 1.0)
    problems = b.batch_violations(batch, [forced])
    assert problems and "tasks 1 and 2 conflict" in problems[0]
    assert not b.validate_batch(batch, [forced])


def test_plan_document_round_trips() -> None:
    plan = builder().plan("p", [task(1, 1, ["a/x.py"]), task(2, 2, ["a/x.py"], level=0)])
    again = ExecutionPlan.from_dict(plan.to_dict())
    assert again == plan


files = st.sampled_from(["a/1.py", "a/2.py", "b/1.py", "b/2.py", "c/1.py", "root.py", "d/"])


@st.composite
def task_sets(draw: st.DrawFn) -> list[PlanningTask]:
    count = draw(st.integers(1, 18))
    tasks = []
    for n in range(1, count + 1):
        tasks.append(
            task(
                n,
                draw(st.one_of(st.none(), st.integers(1, 6))),
                draw(st.lists(files, max_size=3, unique=True)),
                level=draw(st.integers(0, 2)),
                minutes=draw(st.one_of(st.none(), st.integers(1, 90))),
                priority=draw(st.integers(0, 3)),
            )
        )
    return tasks


@settings(max_examples=150, deadline=None)
@given(tasks=task_sets(), max_worktrees=st.integers(1, 4), strict=st.booleans())
def test_plan_invariants(tasks: list[PlanningTask], max_worktrees: int, strict: bool) -> None:
    split_on = ("same_file", "same_directory") if strict else ("same_file",)
    b = builder(max_worktrees, split_on)
    plan = b.plan("p", tasks)
    by_id = {t.id: t for t in tasks}
    placed = [t for batch in plan.batches for t in batch.task_ids]
    assert sorted(placed) == sorted(by_id)  # every task exactly once
    batch_of = {t: n for n, batch in enumerate(plan.batches) for t in batch.task_ids}
    for t in tasks:  # a lower level never runs after a higher one
        for u in tasks:
            if t.level < u.level:
                assert batch_of[t.id] < batch_of[u.id]
    concurrent = concurrent_pairs(plan)
    for conflict in plan.predicted_conflicts:
        if conflict.conflict_type in split_on:
            assert frozenset(conflict.task_ids) not in concurrent
    for batch in plan.batches:
        worktrees: dict[str, list[int]] = defaultdict(list)
        for task_id in batch.task_ids:
            worktrees[plan.worktree_assignments[task_id]].append(task_id)
        assert len(worktrees) <= max_worktrees
        epics: dict[int | None, set[str]] = defaultdict(set)
        for name, ids in worktrees.items():
            assert name.startswith(f"worktree-batch{batch.batch_id}-epic")
            for task_id in ids:
                epics[by_id[task_id].epic_id].add(name)
        assert all(len(names) == 1 for names in epics.values())  # an epic is never split in a batch
        assert batch.estimated_duration == 60 * max(
            sum(by_id[t].minutes(30) for t in ids) for ids in worktrees.values()
        )
        assert batch.can_parallel == (len(worktrees) > 1)
        assert b.validate_batch(batch, plan.predicted_conflicts)
