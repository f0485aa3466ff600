"""Manual overrides: parsed strictly, applied absolutely, kept across rebuilds, reported when stale."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from planner.core.errors import InvalidInputError, StalePlanError
from planner.core.overrides import Overrides, apply_overrides
from planner.core.settings import Settings
from planner.storage.database import Database
from planner.storage.importer import import_task_file, parse_task_file
from planner.storage.plans import get_execution_plan, get_overrides
from planner.usecases.adjust import adjust_plan
from planner.usecases.build import build_plan
from tests.test_planning_rules import builder, task


def test_parse_names_bad_keys_and_values() -> None:
    with pytest.raises(InvalidInputError, match="unknown key 'colour'"):
        Overrides.from_dict({"colour": 1})
    with pytest.raises(InvalidInputError, match=r"batch_overrides\[0\]: unknown key 'after'"):
        Overrides.from_dict({"batch_overrides": [{"task_id": 1, "after": 2}]})
    with pytest.raises(InvalidInputError, match="not a worktree name"):
        Overrides.from_dict({"worktree_assignments": {"1": "my-tree"}})
    with pytest.raises(InvalidInputError, match="task id 'x'"):
        Overrides.from_dict({"worktree_assignments": {"x": "worktree-batch1-epic1"}})
    parsed = Overrides.from_dict(
        {"worktree_assignments": {"4": "worktree-batch1-epic2"},
         "batch_overrides": [{"task_id": 4, "batch_id": 2}, {"batch_id": 1, "sequential": True}]}
    )  # fmt: skip
    assert parsed == Overrides({4: 2}, {1: True}, {4: "worktree-batch1-epic2"})
    assert Overrides.from_dict(parsed.to_dict()) == parsed


def test_merge_later_wins_and_a_move_drops_the_old_worktree() -> None:
    old = Overrides({1: 2}, {3: True}, {5: "worktree-batch1-epic1", 6: "worktree-batch1-epic1"})
    new = Overrides({5: 3}, {3: False}, {})
    merged = old.merged(new)
    assert merged.moves == {1: 2, 5: 3}
    assert merged.sequential == {}
    assert merged.worktrees == {6: "worktree-batch1-epic1"}


def plan_of(tasks: list[Any]) -> Any:
    return builder().plan("p", tasks)


def test_move_respects_dependencies() -> None:
    tasks = [task(1, 1, ["a.py"], level=0), task(2, 2, ["b.py"], level=0),
             task(3, 1, ["c.py"], level=1, depends_on=(1,))]  # fmt: skip
    plan = plan_of(tasks)
    assert [b.task_ids for b in plan.batches] == [(1, 2), (3,)]
    by_id = {t.id: t for t in tasks}
    moved = apply_overrides(plan, Overrides(moves={2: 2}), by_id, 30)
    assert not moved.not_applied
    assert [b.task_ids for b in moved.plan.batches] == [(1,), (3, 2)]
    assert moved.plan.worktree_assignments[2] == "worktree-batch2-epic2"
    assert moved.plan.batches[0].can_parallel is False and moved.plan.batches[1].can_parallel is True
    early = apply_overrides(plan, Overrides(moves={3: 1}), by_id, 30)
    assert "would not run after its dependency T1" in early.not_applied[0]["reason"]
    assert early.plan == plan
    late = apply_overrides(plan, Overrides(moves={1: 2}), by_id, 30)
    assert "would not run before T3" in late.not_applied[0]["reason"]
    gone = apply_overrides(plan, Overrides(moves={9: 1}, sequential={7: True}), by_id, 30)
    assert [i["reason"] for i in gone.not_applied] == [
        "task 9 is not in the plan (gone or done)",
        "batch 7 is not in the plan",
    ]


def test_emptied_batch_disappears_and_ids_stay() -> None:
    tasks = [task(1, 1, ["a.py"], level=0), task(2, 1, ["b.py"], level=1),
             task(3, 2, ["c.py"], level=2, depends_on=(2,))]  # fmt: skip
    plan = plan_of(tasks)
    outcome = apply_overrides(plan, Overrides(moves={2: 1}), {t.id: t for t in tasks}, 30)
    assert [b.batch_id for b in outcome.plan.batches] == [1, 3]
    assert outcome.plan.batches[1].depends_on == (1,)
    assert outcome.plan.batches[0].estimated_duration == 60 * 60  # two tasks, one worktree


def test_sequential_batch_and_worktree_choice() -> None:
    tasks = [task(n, n, [f"d{n}/x.py"], minutes=10) for n in (1, 2, 3)]
    plan = plan_of(tasks)
    by_id = {t.id: t for t in tasks}
    outcome = apply_overrides(plan, Overrides(sequential={1: True}), by_id, 30)
    batch = outcome.plan.batches[0]
    assert not batch.can_parallel and batch.estimated_duration == 30 * 60
    assert len({outcome.plan.worktree_assignments[t] for t in (1, 2, 3)}) == 1
    chosen = apply_overrides(plan, Overrides(worktrees={3: "worktree-batch1-epic1"}), by_id, 30)
    assert chosen.plan.worktree_assignments[3] == "worktree-batch1-epic1"
    assert chosen.plan.batches[0].estimated_duration == 20 * 60
    wrong = apply_overrides(plan, Overrides(worktrees={3: "worktree-batch4-epic1"}), by_id, 30)
    assert "runs in batch 1, not in the batch of worktree-batch4-epic1" in wrong.not_applied[0]["reason"]


TASKS: dict[str, Any] = {
    "project": {"name": "shop"},
    "epics": [{"key": "A", "name": "API"}, {"key": "W", "name": "Web"}],
    "tasks": [
        {"key": "T1", "epic": "A", "description": "api/a.py"},
        {"key": "T2", "epic": "W", "description": "web/b.js"},
        {"key": "T3", "epic": "A", "description": "api/c.py", "depends_on": ["T1"]},
    ],
}


async def setup(db: Database, repo: Path, doc: dict[str, Any] | None = None) -> tuple[str, dict[str, int]]:
    project_id = await import_task_file(db, parse_task_file(doc or TASKS, repo))
    await build_plan(db, project_id, Settings())
    ids = {r["key"]: r["id"] for r in await db.fetch_all("tasks_of_project", {"project_id": project_id})}
    return project_id, ids


async def test_adjust_checks_version_and_dependencies(db: Database, repo: Path) -> None:
    project_id, ids = await setup(db, repo)
    with pytest.raises(StalePlanError, match="version 1, not 7"):
        await adjust_plan(db, project_id, Overrides(moves={ids["T2"]: 2}), 7, Settings())
    with pytest.raises(InvalidInputError, match="would not run after its dependency T1"):
        await adjust_plan(db, project_id, Overrides(moves={ids["T3"]: 1}), 1, Settings())
    assert not await get_overrides(db, project_id)  # nothing stored by the refused patches
    plan = await adjust_plan(db, project_id, Overrides(moves={ids["T2"]: 2}), 1, Settings())
    assert plan.version == 2
    assert ids["T2"] in plan.batches[1].task_ids
    stored = await get_execution_plan(db, project_id)
    assert stored == plan


async def test_overrides_survive_rebuilds_and_stale_ones_are_reported(db: Database, repo: Path) -> None:
    project_id, ids = await setup(db, repo)
    await adjust_plan(db, project_id, Overrides(moves={ids["T2"]: 2}), 1, Settings())
    rebuilt = await build_plan(db, project_id, Settings())
    assert ids["T2"] in rebuilt.batches[1].task_ids  # re-applied
    assert rebuilt.metadata["overrides"]["not_applied"] == []
    # T2 now depends on T3 (level 2): the move to batch 2 would run it too early
    changed = {
        **TASKS,
        "tasks": [*TASKS["tasks"][:1], {**TASKS["tasks"][1], "depends_on": ["T3"]}, TASKS["tasks"][2]],
    }
    await import_task_file(db, parse_task_file(changed, repo))
    rebuilt = await build_plan(db, project_id, Settings())
    not_applied = rebuilt.metadata["overrides"]["not_applied"]
    assert len(not_applied) == 1 and "would not run after its dependency T3" in not_applied[0]["reason"]
    assert (await get_overrides(db, project_id)).moves == {ids["T2"]: 2}  # kept, not dropped
    # the task is gone: still kept and reported
    gone = {**TASKS, "tasks": [TASKS["tasks"][0], TASKS["tasks"][2]]}
    await import_task_file(db, parse_task_file(gone, repo))
    rebuilt = await build_plan(db, project_id, Settings())
    assert "is not in the plan" in rebuilt.metadata["overrides"]["not_applied"][0]["reason"]
    history = await db.fetch_all("plan_history_versions", {"project_id": project_id})
    assert [h["version"] for h in history] == [5, 4, 3, 2, 1]
