"""What happens to a stored project after its import: tasks marked done, the project deleted,
and the overview of every project. Each change is one transaction under the project's lock,
taken before its rows (the lock order of `plans.lock_project`), so it waits for a running build
instead of changing the tasks under it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic_core import to_json

from planner.core.done_files import ActualFiles
from planner.core.errors import InvalidInputError
from planner.storage.attached.install import refuse_when_attached
from planner.storage.database import Database, Queries, Row
from planner.storage.plans import lock_project
from planner.storage.projects import project_by_id, refresh_all_for_reading


async def projects_overview(conn: Queries) -> list[Row]:
    """Every project by name: id, name, repo_path, plan_version and batches (None without a plan),
    tasks and tasks_done."""
    await refresh_all_for_reading(conn)
    return await conn.fetch_all("projects_overview")


async def delete_project(db: Database, project_id: str) -> Row:
    """Delete the project with everything it holds, in one transaction; the row it had.

    NotFoundError when there is no such project (then nothing is deleted).
    """
    async with db.transaction() as conn:
        await refuse_when_attached(conn, "delete a project")
        await lock_project(conn, project_id)
        row = await project_by_id(conn, project_id)
        await conn.execute("project_delete", {"project_id": project_id})
        return row


async def mark_tasks_done(
    db: Database, project_id: str, keys: Sequence[str], actual: Mapping[str, ActualFiles] | None = None
) -> list[Row]:
    """Mark the project's tasks of these keys done, in one transaction; the tasks (id, key), in
    the order of `keys`, duplicates once. With them, the files `actual` says each (by key) really
    changed (`metadata.actual_files`, `actual_files_source`, `actual_files_branch`); a task marked
    done for the first time keeps its predicted files as `metadata.predicted_files_at_done`.

    Refused whole (InvalidInputError naming every unknown key, nothing written) when a key is not
    one of the project's tasks; NotFoundError for no such project.
    """
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        raise InvalidInputError("no task keys given: name at least one task to mark done")
    async with db.transaction() as conn:
        await refuse_when_attached(conn, "mark tasks done")
        await lock_project(conn, project_id)
        await project_by_id(conn, project_id)
        found = {
            row["key"]: row
            for row in await conn.fetch_all("tasks_with_keys", {"project_id": project_id, "keys": wanted})
        }
        unknown = [key for key in wanted if key not in found]
        if unknown:
            named = ", ".join(repr(key) for key in unknown)
            raise InvalidInputError(
                f"no task with key {named} in project {project_id}: nothing marked done"
                if len(unknown) == 1
                else f"no tasks with keys {named} in project {project_id}: nothing marked done"
            )
        await conn.execute("tasks_mark_done", {"project_id": project_id, "keys": wanted})
        rows = [
            {"id": found[key]["id"], **files.to_dict()}
            for key, files in (actual or {}).items()
            if key in found
        ]
        if rows:
            tasks = to_json(rows).decode()
            await conn.execute("tasks_record_actual_files", {"project_id": project_id, "tasks": tasks})
        return [{"id": found[key]["id"], "key": key} for key in wanted]
