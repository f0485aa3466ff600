"""Projects and what hangs off them, as the faces read them: one lookup per question, and the
one rule for a project that is not there (`NotFoundError`, which the service answers with 404).
"""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from planner.core.errors import DatabaseError, NotFoundError
from planner.storage.attached.install import refuse_when_attached
from planner.storage.database import Queries, Row


async def refresh_projects(conn: Queries) -> None:
    """Attached mode: bring execplan's projects and sessions up to date with the orchestrator's
    (in execplan's own database: nothing). Every question about which projects there are asks this
    first."""
    await conn.execute("sync_projects")


async def refresh_project(conn: Queries, project_id: str | UUID) -> None:
    """Attached mode: bring one project's epics, tasks and dependencies up to date (under its
    lock); a dependency naming no task of the project is an InvalidInputError, nothing written."""
    await conn.execute("sync_project", {"project_id": project_id})


async def refresh_project_for_reading(conn: Queries, project_id: str | UUID) -> None:
    """Attached mode: bring one project up to date for a read, unless a build holds it (which
    brings it up to date itself); dependencies that cannot be read are left out, not refused."""
    await conn.execute("sync_project_if_free", {"project_id": project_id})


async def refresh_all_for_reading(conn: Queries) -> None:
    """Attached mode: every project up to date for the overview, as `refresh_project_for_reading`."""
    await refresh_projects(conn)
    await conn.execute("sync_projects_if_free")


async def project_by_id(conn: Queries, project_id: str | UUID) -> Row:
    """The project's row; NotFoundError when there is none."""
    row = await conn.fetch_one("project_by_id", {"id": project_id})
    if row is None:
        raise NotFoundError(f"no project with id {project_id}")
    return row


async def project_named(conn: Queries, name: str) -> Row | None:
    """The project of that name, if any."""
    return await conn.fetch_one("project_by_name", {"name": name})


async def resolve_project(conn: Queries, ref: str) -> Row:
    """The project named `ref`, or whose id is `ref`; NotFoundError names what was looked for."""
    await refresh_projects(conn)
    row = await project_named(conn, ref)
    if row is None:
        try:
            project_id: UUID | None = uuid.UUID(ref)
        except ValueError:
            project_id = None
        if project_id is not None:
            row = await conn.fetch_one("project_by_id", {"id": project_id})
    if row is None:
        raise NotFoundError(f"no project named or with id {ref!r}")
    return row


async def list_projects(conn: Queries) -> list[Row]:
    """Every project: id, name and repository path."""
    await refresh_projects(conn)
    return await conn.fetch_all("projects_list")


async def projects_with_plan(conn: Queries) -> list[str]:
    """The ids of the projects that have a stored plan, by name."""
    await refresh_projects(conn)
    return [str(row["id"]) for row in await conn.fetch_all("projects_with_plan")]


async def epics_of(conn: Queries, project_id: str | UUID) -> list[Row]:
    """The project's epics, by priority (NotFoundError for no such project)."""
    await project_by_id(conn, project_id)
    await refresh_project_for_reading(conn, project_id)
    return await conn.fetch_all("epics_of_project", {"project_id": project_id})


async def tasks_of(conn: Queries, project_id: str | UUID) -> list[Row]:
    """All of the project's tasks, done or not, each with `depends_on`: the tasks it depends on."""
    await project_by_id(conn, project_id)
    await refresh_project_for_reading(conn, project_id)
    tasks = await conn.fetch_all("tasks_of_project", {"project_id": project_id})
    dependencies = await conn.fetch_all("dependencies_of_project", {"project_id": project_id})
    depends_on: dict[int, list[dict[str, Any]]] = {}
    for dep in dependencies:
        depends_on.setdefault(dep["task_id"], []).append(
            {"task_id": dep["depends_on_task_id"], "dependency_type": dep["dependency_type"]}
        )
    return [{**task, "depends_on": depends_on.get(task["id"], [])} for task in tasks]


async def sessions_of(conn: Queries, project_id: str | UUID) -> list[Row]:
    """The project's sessions, by number."""
    await project_by_id(conn, project_id)
    return await conn.fetch_all("sessions_of_project", {"project_id": project_id})


async def store_session(
    conn: Queries, project_id: str | UUID, number: int, session_type: str, status: str
) -> Row:
    """Create or update session `number` of the project; the stored row."""
    await refuse_when_attached(conn, "record a session")
    await project_by_id(conn, project_id)
    row = await conn.fetch_one(
        "session_upsert",
        {"project_id": project_id, "session_number": number, "type": session_type, "status": status},
    )
    if row is None:  # an upsert with RETURNING always returns its row
        raise DatabaseError(f"session {number} of project {project_id} was not stored")
    return row


async def plan_document_text(conn: Queries, project_id: str | UUID) -> tuple[str | None, int | None]:
    """The project's stored plan as JSON text and its version (None, None without a plan);
    NotFoundError for no such project."""
    row = await conn.fetch_one("plan_document_text", {"project_id": project_id})
    if row is None:
        raise NotFoundError(f"no project with id {project_id}")
    return row["plan"], row["version"]


async def needs_plan(conn: Queries, project_id: str) -> bool:
    """Whether the project's Session 0 completed after its latest plan."""
    await refresh_projects(conn)
    return bool(await conn.fetch_value("project_needs_plan", {"project_id": project_id}))


async def needing_plan(conn: Queries) -> list[str]:
    """The ids of the projects whose Session 0 completed after their latest plan."""
    await refresh_projects(conn)
    return [str(row["id"]) for row in await conn.fetch_all("projects_needing_plan")]
