"""The conflict, batch and worktree rules, on plans built in memory (no database)."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from planner.core.batches import SearchConfig, lower_bound, slices, split_level
from planner.core.conflicts import find_conflicts, splits
from planner.core.model import ExecutionPlan, PredictedFile
from planner.core.planning import Planner
from planner.core.settings import Settings
from planner.core.tasks import PlanningTask
from planner.core.worktrees import (
    Capacity,
    LaneGroups,
    batch_minutes,
    group_batch,
    grouped_minutes,
    lane_of_name,
)


def task(
    task_id: int,
    epic: int | None,
    files: list[str],
    level: int = 0,
    minutes: int | None = None,
    confidence: float = 0.9,
    **kw: Any,
) -> PlanningTask:
    return PlanningTask(
        id=task_id,
        key=f"T{task_id}",
        epic_id=epic,
        level=level,
        estimated_minutes=minutes,
        predicted_files=tuple(PredictedFile(f, confidence, ("test",)) for f in files),
        **kw,
    )


def builder(max_worktrees: int = 4, split_on: tuple[str, ...] = ("same_file", "same_directory")) -> Planner:
    return Planner(settings=Settings(max_worktrees=max_worktrees, split_on=split_on))


def concurrent_pairs(plan: ExecutionPlan) -> set[frozenset[int]]:
    pairs = set()
    for batch in plan.batches:
        for a in batch.task_ids:
            for b in batch.task_ids:
                if a < b and plan.worktree_assignments[a] != plan.worktree_assignments[b]:
                    pairs.add(frozenset((a, b)))
    return pairs


def test_tasks_without_an_epic_each_get_a_lane_of_their_own() -> None:
    # a flat task list (no epics): independent tasks run side by side, within max_worktrees
    tasks = [task(n, None, [f"mod{n}.py"]) for n in range(1, 7)] + [task(7, None, ["mod1.py"])]
    plan = builder(max_worktrees=4).plan("p", tasks)
    first = plan.batches[0]
    names = {plan.worktree_assignments[t] for t in first.task_ids}
    assert len(names) == 4 and first.can_parallel
    assert all(lane_of_name(n) is not None and "-task" in n for n in names)
    # 7 tasks of 30 minutes on 4 lanes: two rounds, not seven
    assert plan.metadata["estimated_duration"] == 2 * 30 * 60
    # the two tasks that share mod1.py never run side by side
    assert frozenset((1, 7)) not in concurrent_pairs(plan)
    # an epic's tasks still share their epic's worktree (40 + 30 minutes: longer than one lane of 60)
    mixed = [task(1, 5, ["a.py"], minutes=40), task(2, 5, ["b.py"]), task(3, None, ["c.py"], minutes=60)]
    grouped = builder().plan("p", mixed)
    assert len(grouped.batches) == 1
    assert grouped.worktree_assignments[1] == grouped.worktree_assignments[2] == "worktree-batch1-epic5"
    assert grouped.worktree_assignments[3] == "worktree-batch1-task3"


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
    assert plan.metadata["estimated_duration"] == 2 * 30 * 60  # as fast as one batch sharing a worktree
    assert all(b.validate_batch(plan, batch) for batch in plan.batches)


def test_conflicting_tasks_go_to_different_batches_when_that_is_fastest() -> None:
    # epics 1..4 with two tasks each; a1-b1 and c1-d1 conflict. Merging worktrees takes 4 units, a
    # second batch for the conflicting tasks alone 2 + 1; the best packing swaps them: 1 + 1.
    tasks = [task(11, 1, ["a/1.py"]), task(12, 1, ["x1.py"]), task(21, 2, ["a/1.py"]),
             task(22, 2, ["x2.py"]), task(31, 3, ["c/1.py"]), task(32, 3, ["x3.py"]),
             task(41, 4, ["c/1.py"]), task(42, 4, ["x4.py"])]  # fmt: skip
    plan = builder().plan("p", tasks)
    assert [b.estimated_duration for b in plan.batches] == [30 * 60, 30 * 60]
    assert not concurrent_pairs(plan) & {frozenset((11, 21)), frozenset((31, 41))}


def test_sharing_a_worktree_wins_when_it_is_faster() -> None:
    # A (60 min) and B (10 min) conflict; C (70 min) runs beside them. A then B in one worktree
    # beside C takes 70 minutes; a second batch for either would take 80 or more.
    tasks = [task(1, 1, ["a/1.py"], minutes=60), task(2, 2, ["a/1.py"], minutes=10),
             task(3, 3, ["c/1.py"], minutes=70)]  # fmt: skip
    plan = builder().plan("p", tasks)
    assert len(plan.batches) == 1 and plan.batches[0].estimated_duration == 70 * 60
    assert plan.worktree_assignments[1] == plan.worktree_assignments[2] != plan.worktree_assignments[3]


def test_a_later_batch_wins_when_sharing_is_no_faster() -> None:
    # two conflicting pairs, one task per epic: two batches of two take as long as one batch of two
    # shared worktrees, with half as many tasks running side by side
    tasks = [task(1, 1, ["a/1.py"]), task(2, 2, ["a/1.py"]), task(3, 3, ["c/1.py"]), task(4, 4, ["c/1.py"])]
    plan = builder().plan("p", tasks)
    assert [b.estimated_duration for b in plan.batches] == [30 * 60, 30 * 60]
    assert len(concurrent_pairs(plan)) == 2
    assert not concurrent_pairs(plan) & {frozenset((1, 2)), frozenset((3, 4))}


def weighted(task_id: int, epic: int, files: dict[str, float]) -> PlanningTask:
    predicted = tuple(PredictedFile(f, c) for f, c in files.items())
    return PlanningTask(task_id, f"T{task_id}", epic, 0, predicted_files=predicted)


def test_weak_conflicts_do_not_split() -> None:
    # 1-2 meet with chance 0.9 * 0.9, 3-4 with 0.3 * 0.3: only the first keeps its tasks apart
    tasks = [weighted(1, 1, {"a.py": 0.9}), weighted(2, 2, {"a.py": 0.9}),
             weighted(3, 3, {"b.py": 0.3}), weighted(4, 4, {"b.py": 0.3})]  # fmt: skip
    plan = Planner(Settings(min_conflict_strength=0.2)).plan("p", tasks)
    assert {c.task_ids: c.strength for c in plan.predicted_conflicts} == {(1, 2): 0.81, (3, 4): 0.09}
    assert frozenset((1, 2)) not in concurrent_pairs(plan)
    assert plan.metadata["estimated_duration"] == 2 * 30 * 60
    strict = Planner(Settings(min_conflict_strength=0.0)).plan("p", tasks)
    assert not concurrent_pairs(strict) & {frozenset((1, 2)), frozenset((3, 4))}


def test_weak_conflicts_steer_equally_short_packings() -> None:
    # 1 and 2 must part (two batches either way); 4 meets 2 with chance 0.55 * 0.55, below the
    # threshold: of the equally short packings, the one that keeps 4 away from 2 wins, although
    # by count alone 4 would join the emptier batch of 2
    tasks = [weighted(1, 1, {"a.py": 0.9}), weighted(2, 2, {"a.py": 0.9, "b.py": 0.55}),
             weighted(3, 3, {"c.py": 0.9}), weighted(4, 4, {"b.py": 0.55})]  # fmt: skip
    plan = Planner(Settings(min_conflict_strength=0.5)).plan("p", tasks)
    assert plan.metadata["estimated_duration"] == 2 * 30 * 60
    assert not concurrent_pairs(plan) & {frozenset((1, 2)), frozenset((2, 4))}


def test_strength_is_the_chance_of_meeting_in_any_shared_file() -> None:
    sure = weighted
    found = find_conflicts([sure(1, 1, {"a.py": 0.5, "b.py": 0.5}), sure(2, 2, {"a.py": 0.5, "b.py": 0.5})])
    assert [(c.conflict_type, c.strength) for c in found] == [("same_file", round(1 - 0.75 * 0.75, 3))]
    # below the threshold a pair is reported with its strongest type and does not split
    found = find_conflicts([sure(1, 1, {"a/x.py": 0.2}), sure(2, 2, {"a/x.py": 0.2})], min_strength=0.5)
    assert found[0].conflict_type == "same_file" and found[0].strength == 0.04


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


def test_one_union_find_groups_lanes_for_worktrees_and_packing() -> None:
    # worktrees.group_batch and packing's batches both group conflicting lanes with LaneGroups
    groups = LaneGroups([1, 2, 3])
    assert groups.find(-9) == -9  # a lane not seen yet (packing meets lanes as it goes) is alone
    assert groups.union(1, 2) and not groups.union(2, 1)
    assert groups.union(-9, 3)
    assert groups.find(1) == groups.find(2) != groups.find(3) == groups.find(-9)
    assert groups.union(2, -9) and len({groups.find(lane) for lane in (1, 2, 3, -9)}) == 1


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
    strict = builder(split_on=("same_file", "same_directory")).plan("p", tasks)
    assert frozenset((1, 2)) not in concurrent_pairs(strict)
    loose = builder(split_on=("same_file",)).plan("p", tasks)
    assert frozenset((1, 2)) in concurrent_pairs(loose)  # not splitting, running them together is faster


def test_validate_batch_reports_a_conflict_split_over_worktrees() -> None:
    b = builder()
    plan = b.plan("p", [task(1, 1, ["a/x.py"]), task(2, 2, ["b/y.py"])])
    batch = plan.batches[0]
    assert b.validate_batch(plan, batch)
    from planner.core.model import FileConflict

    forced = FileConflict((1, 2), ("a/x.py",), "same_file", 1.0)
    problems = b.batch_violations(plan, batch, [forced])
    assert problems and "tasks 1 and 2 conflict" in problems[0]
    assert not b.validate_batch(plan, batch, [forced])


def test_plan_document_round_trips() -> None:
    plan = builder().plan("p", [task(1, 1, ["a/x.py"]), task(2, 2, ["a/x.py"], level=0)])
    again = ExecutionPlan.from_dict(plan.to_dict())
    assert again == plan


files = st.sampled_from(["a/1.py", "a/2.py", "b/1.py", "b/2.py", "c/1.py", "root.py", "d/"])


@st.composite
def task_sets(draw: st.DrawFn) -> list[PlanningTask]:
    count = draw(st.integers(1, 18))
    tasks: list[PlanningTask] = []
    for n in range(1, count + 1):
        level = draw(st.integers(0, 2))
        below = [t.id for t in tasks if t.level == level - 1]
        if level and not below:
            level = 0
        # a task of level k depends on one of level k - 1 (and maybe on more below it)
        depends = {draw(st.sampled_from(below))} if level else set()
        depends |= set(draw(st.lists(st.sampled_from([t.id for t in tasks if t.level < level] or [0]))))
        tasks.append(
            task(
                n,
                draw(st.one_of(st.none(), st.integers(1, 6))),
                draw(st.lists(files, max_size=3, unique=True)),
                level=level,
                minutes=draw(st.one_of(st.none(), st.integers(1, 90))),
                confidence=draw(st.sampled_from([0.2, 0.5, 0.9])),
                priority=draw(st.integers(0, 3)),
                depends_on=tuple(sorted(depends - {0})),
            )
        )
    return tasks


@settings(max_examples=150, deadline=None)
@given(
    tasks=task_sets(),
    max_worktrees=st.integers(1, 4),
    strict=st.booleans(),
    min_strength=st.sampled_from([0.0, 0.2, 0.5]),
)
def test_plan_invariants(
    tasks: list[PlanningTask], max_worktrees: int, strict: bool, min_strength: float
) -> None:
    split_on = ("same_file", "same_directory") if strict else ("same_file",)
    settings = Settings(max_worktrees=max_worktrees, split_on=split_on, min_conflict_strength=min_strength)
    b = Planner(settings=settings)
    plan = b.plan("p", tasks)
    by_id = {t.id: t for t in tasks}
    placed = [t for batch in plan.batches for t in batch.task_ids]
    assert sorted(placed) == sorted(by_id)  # every task exactly once
    batch_of = {t: n for n, batch in enumerate(plan.batches) for t in batch.task_ids}
    for t in tasks:  # a task runs after every task it depends on, never beside it
        for dep in t.depends_on:
            assert batch_of[dep] < batch_of[t.id]
    concurrent = concurrent_pairs(plan)
    for conflict in plan.predicted_conflicts:
        if splits(conflict, split_on, min_strength):
            assert frozenset(conflict.task_ids) not in concurrent
    # no slower than running each level's epics side by side with conflicting epics merged
    splitting = [c for c in plan.predicted_conflicts if splits(c, split_on, min_strength)]
    one_batch_per_level = sum(
        batch_minutes(
            group_batch([t for t in tasks if t.level == level], splitting, Capacity(max_worktrees, 30))
        )
        for level in {t.level for t in tasks}
    )
    assert plan.metadata["estimated_duration"] <= 60 * one_batch_per_level
    for batch in plan.batches:
        worktrees: dict[str, list[int]] = defaultdict(list)
        for task_id in batch.task_ids:
            worktrees[plan.worktree_assignments[task_id]].append(task_id)
        assert len(worktrees) <= max_worktrees
        lanes: dict[int, set[str]] = defaultdict(set)
        for name, ids in worktrees.items():
            assert lane_of_name(name) in {by_id[t].lane for t in ids}  # named after one of its lanes
            assert name.startswith(f"worktree-batch{batch.batch_id}-")
            for task_id in ids:
                lanes[by_id[task_id].lane].add(name)
        assert all(len(names) == 1 for names in lanes.values())  # a lane is never split in a batch
        assert batch.estimated_duration == 60 * max(
            sum(by_id[t].minutes(30) for t in ids) for ids in worktrees.values()
        )
        assert batch.can_parallel == (len(worktrees) > 1)
        assert b.validate_batch(plan, batch)


def test_a_conflict_only_in_a_changelog_is_reported_but_does_not_keep_tasks_apart() -> None:
    tasks = [
        task(1, 1, ["CHANGES.rst", "src/a.py"]),
        task(2, 2, ["CHANGES.rst", "src/b.py"]),
        task(3, 3, ["CHANGES.rst", "src/a.py"]),
    ]
    plan = builder(split_on=("same_file",)).plan("p", tasks)
    found = {c.task_ids: c for c in plan.predicted_conflicts}
    assert found[(1, 2)].merge_friendly and found[(1, 2)].predicted_files == ("CHANGES.rst",)
    assert frozenset((1, 2)) in concurrent_pairs(plan)  # the changelog alone does not split them
    # meeting in a source file as well: it splits, and its strength comes from that file
    assert not found[(1, 3)].merge_friendly and frozenset((1, 3)) not in concurrent_pairs(plan)
    assert found[(1, 3)].strength == round(0.9 * 0.9, 3)
    # asked to, merge-friendly conflicts split too
    strict = Planner(Settings(split_on=("same_file",), split_merge_friendly=True))
    assert frozenset((1, 2)) not in concurrent_pairs(strict.plan("p", tasks))
    # the globs are a setting: a custom one makes a file merge-friendly, an empty list none
    custom = Planner(Settings(split_on=("same_file",), merge_friendly=()))
    assert frozenset((1, 2)) not in concurrent_pairs(custom.plan("p", tasks))


def test_hints_of_the_task_list_are_evidence() -> None:
    # ccpm `conflicts_with`: the list says T1 and T2 collide, though nothing predicts a shared file
    a = task(1, 1, ["src/a.py"], conflicts_with=("T2",))
    b = task(2, 2, ["src/b.py"])
    plan = builder(split_on=("same_file",)).plan("p", [a, b])
    (conflict,) = plan.predicted_conflicts
    assert conflict.conflict_type == "declared" and conflict.strength == 1.0
    assert frozenset((1, 2)) not in concurrent_pairs(plan)
    # both declared parallel-safe (`parallel: true`, spec-kit [P]): a weak shared guess does not split
    weak = [task(3, 3, ["src/c.py"], confidence=0.5), task(4, 4, ["src/c.py"], confidence=0.5)]
    assert frozenset((3, 4)) not in concurrent_pairs(builder(split_on=("same_file",)).plan("p", weak))
    hinted = [dataclasses.replace(t, parallel=True) for t in weak]
    plan = builder(split_on=("same_file",)).plan("p", hinted)
    assert plan.predicted_conflicts[0].strength == round(0.5 * 0.5 * 0.5, 3)
    assert frozenset((3, 4)) in concurrent_pairs(plan)


def test_a_big_level_is_packed_in_slices_and_still_keeps_conflicting_tasks_apart() -> None:
    # 24 tasks of one level, in 6 epics, over 5 files: every file shared across the slices of 5
    tasks = [
        task(n, n % 6, [f"pkg/m{n % 5}.py", f"doc/d{n % 7}.md"], minutes=10 + n % 3) for n in range(1, 25)
    ]
    search = SearchConfig(slice_tasks=5)
    b = Planner(settings=Settings(max_worktrees=3), search=search)
    plan = b.plan("p", tasks)
    assert sorted(t for batch in plan.batches for t in batch.task_ids) == list(range(1, 25))
    truth = find_conflicts(tasks, split_on=("same_file",))
    concurrent = concurrent_pairs(plan)
    splitting = [c for c in truth if splits(c, ("same_file",), 0.0)]
    assert splitting and all(frozenset(c.task_ids) not in concurrent for c in splitting)
    # conflicts are looked for within a slice, and between any two tasks that share a batch
    slice_of = {t.id: n for n, part in enumerate(slices(tasks, 5)) for t in part}
    batch_of = {t: batch.batch_id for batch in plan.batches for t in batch.task_ids}
    reported = {c.task_ids for c in plan.predicted_conflicts}
    for conflict in truth:
        a, b_ = conflict.task_ids
        if slice_of[a] == slice_of[b_] or batch_of[a] == batch_of[b_]:
            assert conflict.task_ids in reported
    assert any(
        slice_of[a] != slice_of[b_] for a, b_ in (c.task_ids for c in truth) if (a, b_) not in reported
    )
    assert all(b.validate_batch(plan, batch) for batch in plan.batches)


def test_slices_are_even_and_in_priority_order() -> None:
    tasks = [task(n, 1, [], priority=(n * 7) % 5) for n in range(1, 12)]
    parts = slices(tasks, 4)
    assert [len(p) for p in parts] == [4, 3, 4]
    flat = [t for p in parts for t in p]
    assert flat == sorted(tasks, key=lambda t: (t.priority, t.id))
    assert slices(tasks, 0) == [flat] and slices([], 4) == []


def test_no_packing_beats_the_lower_bound_and_a_big_level_stops_at_it() -> None:
    import random

    rng = random.Random(3)
    for _ in range(30):
        tasks = [
            task(n, rng.randint(1, 5), [f"m{rng.randint(1, 6)}.py"], minutes=rng.choice((20, 30, 40)))
            for n in range(1, rng.randint(3, 25))
        ]
        conflicts = find_conflicts(tasks, split_on=("same_file",))
        edges: dict[int, set[int]] = {t.id: set() for t in tasks}
        lane = {t.id: t.lane for t in tasks}
        for c in conflicts:
            a, b_ = c.task_ids
            if lane[a] != lane[b_]:
                edges[a].add(b_)
                edges[b_].add(a)
        bound = lower_bound(tasks, edges, Capacity(3, 30))
        parts = split_level(tasks, conflicts, Capacity(3, 30))
        by_id = {t.id: t for t in tasks}
        minutes = sum(batch_minutes(group_batch(part, conflicts, Capacity(3, 30))) for part in parts)
        # the duration the packing weighs is the one its worktrees take
        assert minutes == sum(grouped_minutes(part, conflicts, Capacity(3, 30)) for part in parts)

        assert bound <= minutes and bound % 10 == 0  # every duration is a multiple of 10 minutes
        assert sum(by_id[t.id].minutes(30) for t in tasks) >= bound
    # every task on one file, across lanes: nothing can run side by side, so one batch is as short
    same = [task(n, n % 4, ["core.py"]) for n in range(1, 130)]
    same_conflicts = find_conflicts(same, split_on=("same_file",))
    assert len(split_level(same, same_conflicts, Capacity(4, 30))) == 1
