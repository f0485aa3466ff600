"""Writing a validated tasks file into the database, in one transaction.

Validation is `planner.formats` (one validator for every format, the CLI and the API); this module
writes its result. Importing a project name that exists updates that project: epics and tasks are
matched by key (keeping their ids and the planner's metadata; the keys the file's own fields set,
such as `title` or `conflicts_with`, are replaced), those no longer in the file are removed, and
dependencies are replaced.
"""

from __future__ import annotations

from pathlib import Path

from psycopg.types.json import Jsonb

from planner.formats import native
from planner.formats.validate import OWNED_METADATA, Sources, TaskEntry, TaskFile, parse_task_file
from planner.storage.attached.install import refuse_when_attached
from planner.storage.database import Database
from planner.storage.plans import lock_project

__all__ = ["TaskEntry", "TaskFile", "import_task_file", "load_task_file", "parse_task_file"]


def load_task_file(path: Path) -> TaskFile:
    """Read and validate a native tasks file, JSON (`.json`) or YAML."""
    converted = native.read(path)
    return parse_task_file(converted.document, converted.base, Sources(str(path)))


async def import_task_file(db: Database, spec: TaskFile) -> str:
    """Write a validated tasks file in one transaction; returns the project id."""
    async with db.transaction() as conn:
        await refuse_when_attached(conn, "import a tasks file")
        # the lock before the row (`lock_project`'s order): a build of the project holds the lock
        # and writes the row last, so taking the row first would deadlock with it
        existing = await conn.fetch_one("project_by_name", {"name": spec.name})
        if existing is not None:
            await lock_project(conn, str(existing["id"]))
        project_id = str(
            await conn.fetch_value("project_upsert", {"name": spec.name, "repo_path": spec.repo_path})
        )
        if existing is None or str(existing["id"]) != project_id:  # new: no one else can know it yet
            await lock_project(conn, project_id)
        epic_rows = await conn.fetch_all(
            "epics_upsert", {"project_id": project_id, "epics": Jsonb(list(spec.epics))}
        )
        epic_ids = {row["key"]: row["id"] for row in epic_rows}
        await conn.execute("epics_delete_missing", {"project_id": project_id, "keys": list(epic_ids)})
        task_rows = await conn.fetch_all(
            "tasks_upsert",
            {
                "project_id": project_id,
                "owned_keys": list(OWNED_METADATA),
                "tasks": Jsonb(
                    [
                        {
                            "key": t.key,
                            "epic_id": epic_ids.get(t.epic) if t.epic else None,
                            "description": t.description,
                            "action": t.action,
                            "priority": t.priority,
                            "done": t.done,
                            "metadata": t.metadata,
                        }
                        for t in spec.tasks
                    ]
                ),
            },
        )
        task_ids = {row["key"]: row["id"] for row in task_rows}
        await conn.execute("tasks_delete_missing", {"project_id": project_id, "keys": list(task_ids)})
        await conn.execute("dependencies_delete_for_project", {"project_id": project_id})
        dependencies = [
            {
                "task_id": task_ids[t.key],
                "depends_on_task_id": task_ids[d],
                "dependency_type": t.dependency_type,
            }
            for t in spec.tasks
            for d in dict.fromkeys(t.depends_on)
        ]
        await conn.execute("dependencies_insert", {"dependencies": Jsonb(dependencies)})
        # the database's own check: levels must exist (raises on a cycle, rolling everything back)
        await conn.fetch_all("task_levels", {"project_id": project_id})
        return project_id
