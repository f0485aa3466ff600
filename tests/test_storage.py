"""Plans are built from the database and stored in one transaction, each as the next version."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from planner.core.errors import DependencyCycleError, NotFoundError
from planner.core.model import PredictedFile
from planner.core.settings import Settings
from planner.storage.database import Database
from planner.storage.importer import import_task_file, parse_task_file
from planner.storage.plans import get_execution_plan, update_task_predicted_files
from planner.usecases.build import build_plan

TASKS: dict[str, Any] = {
    "project": {"name": "shop"},
    "epics": [{"key": "A", "name": "API"}, {"key": "W", "name": "Web"}, {"key": "D", "name": "Data"}],
    "tasks": [
        {"key": "T1", "epic": "D", "description": "Pool in core/database.py"},
        {"key": "T2", "epic": "A", "description": "POST /orders in api/orders.py", "depends_on": ["T1"]},
        {"key": "T3", "epic": "W", "description": "Orders page calling api/orders.py", "depends_on": ["T1"]},
        {"key": "T4", "epic": "W", "description": "Style web/app.js"},
        {"key": "T5", "epic": "A", "description": "Already done", "done": True},
        {"key": "T6", "epic": "A", "description": "Create api/refunds.py", "depends_on": ["T5"]},
    ],
}


async def imported(db: Database, repo: Path) -> str:
    doc = {**TASKS, "project": {"name": "shop", "repo_path": str(repo)}}
    return await import_task_file(db, parse_task_file(doc, repo))


async def raw(db: Database, statement: str, *params: Any) -> list[dict[str, Any]]:
    async with db.connection() as conn:
        cur = await conn.raw.execute(statement, params)
        return await cur.fetchall() if cur.description else []


async def test_build_stores_plan_predictions_and_history(db: Database, repo: Path) -> None:
    project_id = await imported(db, repo)
    plan = await build_plan(db, project_id, Settings())
    assert plan.version == 1
    keys = {t.id: t.key for t in plan.tasks}
    assert sorted(keys.values()) == ["T1", "T2", "T3", "T4", "T6"]  # the done task is not planned
    batch_of = {keys[t]: b.batch_id for b in plan.batches for t in b.task_ids}
    assert batch_of["T1"] < batch_of["T2"] and batch_of["T1"] < batch_of["T3"]
    # T2 and T3 both name api/orders.py: never concurrently
    assert batch_of["T2"] != batch_of["T3"] or (
        plan.worktree_assignments[_id(keys, "T2")] == plan.worktree_assignments[_id(keys, "T3")]
    )
    predicted = {t.key: [p.path for p in t.predicted_files] for t in plan.tasks}
    assert predicted["T2"][0] == "api/orders.py"
    assert "api/refunds.py" in predicted["T6"]  # a file to be created
    stored = await get_execution_plan(db, project_id)
    assert stored == plan
    rows = await raw(
        db, "SELECT key, metadata -> 'predicted_files' AS pf FROM tasks WHERE NOT done ORDER BY key"
    )
    assert rows[1]["key"] == "T2" and rows[1]["pf"][0]["path"] == "api/orders.py"
    history = await db.fetch_all("plan_history_versions", {"project_id": project_id})
    assert [h["version"] for h in history] == [1]


def _id(keys: dict[int, str], key: str) -> int:
    return next(i for i, k in keys.items() if k == key)


async def test_concurrent_builds_are_serialised_with_increasing_versions(db: Database, repo: Path) -> None:
    project_id = await imported(db, repo)
    plans = await asyncio.gather(*(build_plan(db, project_id, Settings()) for _ in range(4)))
    assert sorted(p.version for p in plans) == [1, 2, 3, 4]
    history = await db.fetch_all("plan_history_versions", {"project_id": project_id})
    assert [h["version"] for h in history] == [4, 3, 2, 1]
    latest = await get_execution_plan(db, project_id)
    assert latest is not None and latest.version == 4


async def test_cycle_stops_the_build_and_stores_nothing(db: Database, repo: Path) -> None:
    project_id = await imported(db, repo)
    await build_plan(db, project_id, Settings())
    # a cycle written behind the importer's back: T2 -> T3 -> T2
    await raw(
        db,
        "INSERT INTO task_dependencies (task_id, depends_on_task_id)"
        " SELECT a.id, b.id FROM tasks a, tasks b WHERE (a.key, b.key) IN (('T2', 'T3'), ('T3', 'T2'))",
    )
    with pytest.raises(DependencyCycleError) as caught:
        await build_plan(db, project_id, Settings())
    assert set(caught.value.cycle) == {"T2", "T3"}
    history = await db.fetch_all("plan_history_versions", {"project_id": project_id})
    assert [h["version"] for h in history] == [1]
    stored = await get_execution_plan(db, project_id)
    assert stored is not None and stored.version == 1


async def test_unknown_project(db: Database) -> None:
    missing = "00000000-0000-0000-0000-000000000000"
    with pytest.raises(NotFoundError, match=missing):
        await build_plan(db, missing, Settings())
    with pytest.raises(NotFoundError):
        await get_execution_plan(db, missing)


async def test_no_plan_yet_is_none(db: Database, repo: Path) -> None:
    assert await get_execution_plan(db, await imported(db, repo)) is None


async def test_predicted_files_update_is_one_statement_for_all_tasks(db: Database, repo: Path) -> None:
    project_id = await imported(db, repo)
    ids = [row["id"] for row in await db.fetch_all("tasks_of_project", {"project_id": project_id})]
    files = {i: (PredictedFile(f"f{i}.py", 0.5, ("x",)),) for i in ids}
    async with db.transaction() as conn:
        written = await update_task_predicted_files(conn, project_id, files)
    assert written == len(ids)  # one UPDATE touched every task
    rows = await raw(db, "SELECT id, metadata -> 'predicted_files' -> 0 ->> 'path' AS path FROM tasks")
    assert {r["id"]: r["path"] for r in rows} == {i: f"f{i}.py" for i in ids}


async def test_tasks_of_other_projects_are_never_touched(db: Database, repo: Path) -> None:
    project_id = await imported(db, repo)
    other = {**TASKS, "project": {"name": "other"}}
    other_id = await import_task_file(db, parse_task_file(other, repo))
    other_ids = [row["id"] for row in await db.fetch_all("tasks_of_project", {"project_id": other_id})]
    async with db.transaction() as conn:
        written = await update_task_predicted_files(conn, project_id, {other_ids[0]: ()})
    assert written == 0


async def test_views_show_the_stored_plan(db: Database, repo: Path) -> None:
    project_id = await imported(db, repo)
    plan = await build_plan(db, project_id, Settings())
    rows = await raw(db, "SELECT * FROM execplan_plan_tasks_v1 WHERE project_id = %s", project_id)
    assert len(rows) == len(plan.tasks)
    for row in rows:
        assert row["worktree"] == plan.worktree_assignments[row["task_id"]]
        assert row["task_id"] in plan.batches[row["batch_id"] - 1].task_ids
        assert row["plan_version"] == 1
    conflicts = await raw(db, "SELECT * FROM execplan_plan_conflicts_v1 WHERE project_id = %s", project_id)
    assert [(c["conflict_type"], c["task_ids"]) for c in conflicts] == [
        (c.conflict_type, list(c.task_ids)) for c in plan.predicted_conflicts
    ]
    assert conflicts and all(len(c["task_keys"]) == 2 for c in conflicts)
    live = await raw(db, "SELECT task_key, level FROM execplan_live_levels_v1 ORDER BY task_key")
    assert {r["task_key"]: r["level"] for r in live} == {"T1": 0, "T2": 1, "T3": 1, "T4": 0, "T6": 0}
    await raw(db, "UPDATE tasks SET done = true WHERE key = 'T1'")
    live = await raw(db, "SELECT task_key, level FROM execplan_live_levels_v1 ORDER BY task_key")
    assert {r["task_key"]: r["level"] for r in live} == {"T2": 0, "T3": 0, "T4": 0, "T6": 0}
