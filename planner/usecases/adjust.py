"""Manual adjustments of a stored plan (the API's PATCH): checked, applied, kept for rebuilds.

An adjustment names the plan version it was made against; if the plan has moved on since, it
is refused (StalePlanError), so two people cannot overwrite each other. One that names an
unknown task or batch, or would run a task before one of its dependencies, is refused whole
(InvalidInputError with the reasons) and nothing changes. Otherwise the adjustment is merged into
the project's stored overrides and the adjusted plan is saved as the next version.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from planner.core.errors import InvalidInputError, NotFoundError, StalePlanError
from planner.core.model import ExecutionPlan
from planner.core.overrides import Overrides, apply_overrides
from planner.core.settings import Settings
from planner.storage.database import Database
from planner.storage.plans import (
    get_execution_plan,
    get_overrides,
    get_tasks_for_planning,
    lock_project,
    save_execution_plan,
    store_overrides,
)


def _entry(item: dict[str, Any]) -> tuple[str, int]:
    override = item["override"]
    return ("task", override["task_id"]) if "task_id" in override else ("batch", override["batch_id"])


async def adjust_plan(
    db: Database, project_id: str, patch: Overrides, expected_version: int, settings: Settings
) -> ExecutionPlan:
    """Apply `patch` to the project's plan of version `expected_version`; returns the saved plan."""
    async with db.transaction() as conn:
        await lock_project(conn, project_id)
        current = await get_execution_plan(conn, project_id)
        if current is None:
            raise NotFoundError(f"project {project_id} has no execution plan yet")
        if current.version != expected_version:
            raise StalePlanError(
                f"the plan is at version {current.version}, not {expected_version}: reload it and try again"
            )
        tasks = {t.id: t for t in await get_tasks_for_planning(conn, project_id)}
        outcome = apply_overrides(current, patch, tasks, settings.default_task_minutes)
        if outcome.not_applied:
            raise InvalidInputError("; ".join(item["reason"] for item in outcome.not_applied))
        merged = (await get_overrides(conn, project_id)).merged(patch)
        await store_overrides(conn, project_id, merged)
        # earlier overrides that still do not apply stay reported, unless this patch replaced them
        replaced = {("task", t) for t in (*patch.moves, *patch.worktrees)} | {
            ("batch", b) for b in patch.sequential
        }
        previous = (current.metadata.get("overrides") or {}).get("not_applied", [])
        still = [item for item in previous if _entry(item) not in replaced]
        metadata = {**current.metadata, "overrides": {"stored": merged.to_dict(), "not_applied": still}}
        return await save_execution_plan(conn, replace(outcome.plan, metadata=metadata))
