"""Why a plan is less parallel than its dependencies allow (`planner.core.explain`), on plans built in
memory by the real builder (no database): a shared file, a big epic, the worktree cap, a chain,
and plans with nothing to explain."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from planner.core.explain import duration_text
from planner.core.model import ExecutionPlan, PredictedFile
from planner.core.planning import Planner
from planner.core.settings import Settings
from planner.core.tasks import PlanningTask


def task(
    task_id: int, epic: int | None, files: list[str], level: int = 0, confidence: float = 0.9
) -> PlanningTask:
    predicted = tuple(PredictedFile(f, confidence, ("test",)) for f in files)
    return PlanningTask(id=task_id, key=f"T{task_id}", epic_id=epic, level=level, predicted_files=predicted)


def plan(tasks: list[PlanningTask], max_worktrees: int = 4) -> ExecutionPlan:
    """The plan of `tasks`, each task of level k depending on every task of level k - 1 (as the
    levels of a real task list would have it)."""
    below = {t.level: [] for t in tasks}  # type: dict[int, list[int]]
    for t in tasks:
        below[t.level].append(t.id)
    real = [replace(t, depends_on=tuple(below.get(t.level - 1, ()))) for t in tasks]
    return Planner(settings=Settings(max_worktrees=max_worktrees)).plan("p", real)


def why(tasks: list[PlanningTask], max_worktrees: int = 4) -> list[dict[str, Any]]:
    reasons: list[dict[str, Any]] = plan(tasks, max_worktrees).metadata["why"]
    return reasons


def minutes(built: ExecutionPlan) -> int:
    return int(built.metadata["estimated_duration"]) // 60


def shared_file_tasks() -> list[PlanningTask]:
    """Three levels of four epics, one task each; in every level three of the four change api/app.py."""
    tasks = []
    for level in range(3):
        for epic in range(1, 5):
            n = level * 4 + epic
            files = ["api/app.py", f"pkg/m{n}.py"] if epic < 4 else [f"pkg/m{n}.py"]
            tasks.append(task(n, epic, files, level))
    return tasks


def test_one_shared_file_that_serialises_most_tasks_is_named() -> None:
    tasks = shared_file_tasks()
    built = plan(tasks)
    reasons = built.metadata["why"]
    assert [r["kind"] for r in reasons] == ["shared_file"]
    (reason,) = reasons
    assert reason["files"] == ["api/app.py"]
    holders = [t.id for t in tasks if any(p.path == "api/app.py" for p in t.predicted_files)]
    assert reason["task_ids"] == holders and len(holders) == 9
    batches = len(built.batches)
    assert batches > 3
    assert reason["text"].startswith(
        f"9 of 12 tasks are predicted to change api/app.py; {batches} batches instead of 3"
    )
    # each level takes 3 x 30 minutes instead of 30: two hours saved if api/app.py did not split
    assert minutes(built) == 270
    assert reason["cost_minutes"] == 180
    assert reason["text"].endswith(f"about {duration_text(180)} longer")
    json.dumps(reasons)  # stored as JSON in the plan document


def test_a_shared_file_below_the_strength_threshold_is_no_reason() -> None:
    # 0.3 x 0.3 = 0.09 < min_conflict_strength: the conflicts do not split, nothing to explain
    tasks = [task(n, n, ["api/app.py"], confidence=0.3) for n in range(1, 5)]
    assert why(tasks) == []


def test_two_files_that_only_together_serialise_are_named_together() -> None:
    # every pair shares both files: removing either alone keeps every task apart
    tasks = [task(n, n, ["api/app.py", "api/routes.py"]) for n in range(1, 5)]
    reasons = why(tasks)
    assert [r["kind"] for r in reasons] == ["shared_file"]
    assert sorted(reasons[0]["files"]) == ["api/app.py", "api/routes.py"]
    assert reasons[0]["cost_minutes"] == 90  # 4 x 30 one after another instead of 30
    assert "4 of 4 tasks are predicted to change" in reasons[0]["text"]


def test_the_costlier_of_two_shared_files_comes_first() -> None:
    # level 0: five tasks on api/app.py; level 1: three on web/ui.js
    tasks = [task(n, n, ["api/app.py"], level=0) for n in range(1, 6)]
    tasks += [task(n, n - 10, ["web/ui.js"], level=1) for n in range(11, 14)]
    reasons = why(tasks)
    assert [r["files"] for r in reasons] == [["api/app.py"], ["web/ui.js"]]
    assert [r["cost_minutes"] for r in reasons] == [150 - 60, 90 - 30]


def big_epic_tasks(size: int) -> list[PlanningTask]:
    """Epic 1 with `size` tasks beside epics 2..4 with one each, all in one level, no shared file."""
    return [task(n, 1, [f"a/{n}.py"]) for n in range(1, size + 1)] + [
        task(100 + e, e, [f"b{e}/x.py"]) for e in (2, 3, 4)
    ]


def test_an_epic_whose_tasks_run_one_after_another_is_named() -> None:
    built = plan(big_epic_tasks(6))
    assert minutes(built) == 180  # epic 1: six tasks of 30 minutes, one after another
    reasons = built.metadata["why"]
    assert [r["kind"] for r in reasons] == ["epic_serial"]
    assert reasons[0]["task_ids"] == [1, 2, 3, 4, 5, 6]
    assert reasons[0]["text"].startswith("6 tasks of epic 1 run one after another")
    # side by side: nine tasks of 30 minutes on four worktrees take 90 minutes
    assert reasons[0]["cost_minutes"] == 90


def test_an_epic_whose_tasks_conflict_with_each_other_is_no_reason() -> None:
    # the six tasks of epic 1 all change a/core.py: they must run one after another anyway
    tasks = [task(n, 1, ["a/core.py"]) for n in range(1, 7)] + [
        task(100 + e, e, [f"b{e}/x.py"]) for e in (2, 3)
    ]
    assert why(tasks) == []


def test_the_worktree_cap_is_named() -> None:
    tasks = [task(n, n, [f"p{n}/x.py"]) for n in range(1, 9)]
    built = plan(tasks, max_worktrees=2)
    assert minutes(built) == 120
    reasons = built.metadata["why"]
    assert [r["kind"] for r in reasons] == ["max_worktrees"]
    assert reasons[0]["text"].startswith("max_worktrees is 2 but up to 8 worktrees could run side by side")
    assert reasons[0]["cost_minutes"] == 90
    assert why(tasks, max_worktrees=8) == []


def test_the_cap_is_no_reason_when_a_shared_file_holds_the_level_back() -> None:
    # five epics on four worktrees, but three of them share api/app.py: 90 minutes either way
    tasks = [task(n, n, ["api/app.py"] if n <= 3 else [f"p{n}/x.py"]) for n in range(1, 6)]
    reasons = why(tasks)
    assert [r["kind"] for r in reasons] == ["shared_file"]
    assert reasons[0]["cost_minutes"] == 90 - 60  # without it: five lanes on four worktrees


def test_reasons_are_ordered_by_cost() -> None:
    # level 0: four epics share api/app.py (120 minutes instead of 30: 90 lost);
    # level 1: epic 5 with `size` tasks beside two single tasks
    def tasks(size: int) -> list[PlanningTask]:
        shared = [task(n, n, ["api/app.py"], level=0) for n in range(1, 5)]
        epic = [task(10 + n, 5, [f"e/{n}.py"], level=1) for n in range(size)]
        return shared + epic + [task(30, 6, ["f/x.py"], level=1), task(31, 7, ["g/x.py"], level=1)]

    small = why(tasks(3))  # epic lane 90 minutes; side by side 5 tasks on 4 worktrees: 60
    assert [(r["kind"], r["cost_minutes"]) for r in small] == [("shared_file", 90), ("epic_serial", 30)]
    large = why(tasks(8))  # epic lane 240 minutes; side by side 10 tasks on 4 worktrees: 90
    assert [(r["kind"], r["cost_minutes"]) for r in large] == [("epic_serial", 150), ("shared_file", 90)]


def test_a_chain_says_no_parallelism_is_possible() -> None:
    tasks = [task(n, 1 + n % 2, ["api/app.py"], level=n) for n in range(5)]
    reasons = why(tasks)
    assert [r["kind"] for r in reasons] == ["chain"]
    assert reasons[0]["text"].startswith("no parallelism possible: every task depends on the one before")
    assert reasons[0]["task_ids"] == [0, 1, 2, 3, 4]


def test_a_plan_as_parallel_as_its_dependencies_allow_has_no_reasons() -> None:
    tasks = [task(n, n % 4 + 1, [f"p{n}/x.py"], level=n // 4) for n in range(12)]
    built = plan(tasks)
    assert len(built.batches) == 3 and minutes(built) == 90
    assert built.metadata["why"] == []
    assert why([task(1, 1, ["a.py"])]) == []  # one task: nothing to run side by side


def test_why_survives_the_plan_document() -> None:
    built = plan(shared_file_tasks())
    again = ExecutionPlan.from_dict(json.loads(json.dumps(built.to_dict())))
    assert again.metadata["why"] == built.metadata["why"]


def test_a_flat_task_list_is_explained_like_one_with_epics() -> None:
    # tasks without an epic each have a lane of their own: side by side unless a file keeps them apart
    assert why([task(n, None, [f"p{n}/x.py"]) for n in range(1, 5)]) == []
    tasks = [task(n, None, ["api/app.py"] if n <= 3 else [f"p{n}/x.py"]) for n in range(1, 5)]
    reasons = why(tasks)
    assert [(r["kind"], r["files"], r["task_ids"]) for r in reasons] == [
        ("shared_file", ["api/app.py"], [1, 2, 3])
    ]
    assert reasons[0]["cost_minutes"] == 90 - 30
