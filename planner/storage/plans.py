"""Storage of plans and predictions: one transaction, set-based writes, every version kept.

`save_execution_plan` writes the plan into `projects.metadata.execution_plan` with `jsonb_set`,
every task's `metadata.predicted_files` in one statement, and the version into the history
table, all in the caller's transaction (serialised per project by an advisory lock).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from psycopg.types.json import Jsonb
from pydantic_core import to_json  # several times faster than json.dumps on big plans

from planner.core.model import ExecutionPlan, PredictedFile
from planner.core.overrides import Overrides
from planner.core.tasks import PlanningTask
from planner.storage.database import Queries
from planner.storage.projects import project_by_id


async def lock_project(conn: Queries, project_id: str) -> None:
    """Serialise work on one project until the end of the current transaction.

    The lock order, everywhere: this lock first, then the project's rows (projects, epics,
    tasks, dependencies); a transaction that has written one of them must not take it after.
    """
    await conn.execute("project_lock", {"project_id": project_id})


async def get_tasks_for_planning(conn: Queries, project_id: str) -> list[PlanningTask]:
    """A project's unfinished tasks with their levels (raises DependencyCycleError on a cycle)."""
    rows = await conn.fetch_all("tasks_for_planning", {"project_id": project_id})
    return [PlanningTask.from_row(row) for row in rows]


async def update_task_predicted_files(
    conn: Queries, project_id: str, predicted: Mapping[int, Sequence[PredictedFile]]
) -> int:
    """Write each task's predicted files into its metadata, in one statement; returns rows written."""
    rows = [
        {"id": task_id, "predicted_files": [p.to_dict() for p in files]}
        for task_id, files in predicted.items()
    ]
    return await _store_predicted(conn, project_id, rows)


async def _store_predicted(conn: Queries, project_id: str, rows: list[dict[str, Any]]) -> int:
    """Write `[{id, predicted_files}]` into the tasks' metadata (JSON text, cast in SQL)."""
    text = to_json(rows).decode()
    return await conn.execute("tasks_store_predicted_files", {"project_id": project_id, "tasks": text})


async def save_execution_plan(conn: Queries, plan: ExecutionPlan) -> ExecutionPlan:
    """Store `plan` as the project's next version (with its tasks' predicted files); returns it.

    Call inside a transaction that holds the project lock (`lock_project`).
    """
    project_id = plan.project_id
    await project_by_id(conn, project_id)
    version = int(await conn.fetch_value("plan_next_version", {"project_id": project_id}))
    stored = replace(plan, version=version)
    data = stored.to_dict()
    document = to_json(data).decode()  # JSON text, cast (parsed once) in SQL
    await conn.execute("plan_store", {"project_id": project_id, "version": version, "plan": document})
    rows = [{"id": t["id"], "predicted_files": t["predicted_files"]} for t in data["tasks"]]
    await _store_predicted(conn, project_id, rows)
    return stored


async def get_execution_plan(conn: Queries, project_id: str) -> ExecutionPlan | None:
    """The project's stored plan, or None when it has none; NotFoundError for an unknown project."""
    await project_by_id(conn, project_id)
    document = await conn.fetch_value("plan_get", {"project_id": project_id})
    if document is None:
        return None
    if isinstance(document, str):  # a driver without the jsonb loader
        document = json.loads(document)
    return ExecutionPlan.from_dict(document)


async def get_overrides(conn: Queries, project_id: str) -> Overrides:
    """A project's stored manual overrides (empty when it has none)."""
    document = await conn.fetch_value("overrides_get", {"project_id": project_id})
    return Overrides.from_dict(document) if document else Overrides()


async def store_overrides(conn: Queries, project_id: str, overrides: Overrides) -> None:
    """Replace a project's stored manual overrides."""
    await conn.execute("overrides_store", {"project_id": project_id, "overrides": Jsonb(overrides.to_dict())})
