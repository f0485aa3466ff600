"""REST routes of projects: what an orchestrator needs to use execplan without the CLI.

List projects, create or replace one from a tasks-file body, read its epics, tasks and sessions,
and create or update a session's status (Session 0 completing is what builds the plan).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Response
from pydantic import SkipValidation

from api.http.deps import NOT_FOUND, REFUSED, DatabaseDep, ProjectId, SessionNumber
from api.http.guards import StrictJsonRoute
from api.http.schemas import (
    Epic,
    ImportedProject,
    ProjectDetail,
    ProjectSummary,
    Session,
    SessionUpdate,
    Task,
    TasksFile,
)
from planner.core.errors import InvalidInputError
from planner.storage import projects as stored
from planner.storage.database import Row
from planner.storage.importer import import_task_file, parse_task_file

router = APIRouter(prefix="/api/projects", tags=["projects"], route_class=StrictJsonRoute)


@router.get("", response_model=list[ProjectSummary])
async def list_projects(db: DatabaseDep) -> list[Row]:
    """Every project: id, name and repository path."""
    return await stored.list_projects(db)


@router.put(
    "",
    response_model=ImportedProject,
    responses={201: {"model": ImportedProject, "description": "a new project"}, **REFUSED},
)
async def put_project(
    body: Annotated[SkipValidation[TasksFile], Body(description="a tasks file (`execplan schema`)")],
    db: DatabaseDep,
    response: Response,
) -> ImportedProject:
    """Create the project of the file's name, or replace its epics, tasks and dependencies.

    The whole file is checked first by the planner's validator (the CLI's): a bad one is a 422
    listing every problem, each naming its key (unknown epic or dependency, duplicate key, cycle,
    a field of the wrong type...), and nothing is written. `repo_path` must be the absolute path
    of the top of a git repository (a 422 with the reason when it alone is wrong).
    """
    # FastAPI leaves the body as the importer's parser read it (StrictJsonRoute, SkipValidation):
    # the validator reports all that is wrong, each with its key
    document: Any = body
    try:  # checking the repository runs git: keep it off the event loop
        spec = await asyncio.to_thread(parse_task_file, document, None)
    except OSError as error:  # a path the file system refuses (too long, no permission)
        raise InvalidInputError(f"project.repo_path: {error.strerror or error}") from None
    existed = await stored.project_named(db, spec.name) is not None
    project_id = await import_task_file(db, spec)
    response.status_code = 200 if existed else 201
    return ImportedProject(
        id=UUID(project_id),
        name=spec.name,
        repo_path=spec.repo_path,
        created=not existed,
        epics=len(spec.epics),
        tasks=len(spec.tasks),
    )


@router.get("/{project_id}", response_model=ProjectDetail, responses=NOT_FOUND)
async def get_project(project_id: ProjectId, db: DatabaseDep) -> ProjectDetail:
    """The project, with the version of its stored plan (null when none)."""
    row = await stored.project_by_id(db, project_id)
    plan = (row["metadata"] or {}).get("execution_plan") or {}
    return ProjectDetail(
        id=row["id"],
        name=row["name"],
        repo_path=row["repo_path"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        plan_version=plan.get("version"),
    )


@router.get("/{project_id}/epics", response_model=list[Epic], responses=NOT_FOUND)
async def get_epics(project_id: ProjectId, db: DatabaseDep) -> list[Row]:
    """The project's epics, by priority."""
    async with db.transaction() as conn:
        return await stored.epics_of(conn, project_id)


@router.get("/{project_id}/tasks", response_model=list[Task], responses=NOT_FOUND)
async def get_tasks(project_id: ProjectId, db: DatabaseDep) -> list[Row]:
    """All of the project's tasks, done or not, each with the tasks it depends on."""
    async with db.transaction() as conn:
        return await stored.tasks_of(conn, project_id)


@router.get("/{project_id}/sessions", response_model=list[Session], responses=NOT_FOUND)
async def get_sessions(project_id: ProjectId, db: DatabaseDep) -> list[Row]:
    """The project's sessions, by number."""
    async with db.transaction() as conn:
        return await stored.sessions_of(conn, project_id)


@router.put(
    "/{project_id}/sessions/{session_number}",
    response_model=Session,
    responses={**NOT_FOUND, **REFUSED},
)
async def put_session(
    project_id: ProjectId, session_number: SessionNumber, body: SessionUpdate, db: DatabaseDep
) -> Row:
    """Create or update a session's type and status.

    When Session 0 (type `initializer`) moves to `completed`, the database notifies every
    server process and one of them builds the plan, announcing `execution_plan_ready`.
    """
    async with db.transaction() as conn:
        return await stored.store_session(conn, project_id, session_number, body.type, body.status)
