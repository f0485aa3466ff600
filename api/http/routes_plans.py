"""REST and WebSocket routes of execution plans: read, build, adjust, mark tasks done (and rebuild),
and follow plan events.

The plan's version is its entity tag: GET answers with `ETag: "<version>"`, and PATCH needs
`If-Match: "<version>"` (428 without it, 412 when the plan has moved on), so two people cannot
overwrite each other's adjustments.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, HTTPException, Response, WebSocket
from starlette.websockets import WebSocketDisconnect

from api.http.auth import deny_websocket
from api.http.deps import NOT_FOUND, REFUSED, BuildsDep, DatabaseDep, EventsDep, ProjectId, SettingsDep
from api.http.events import Subscription
from api.http.guards import StrictJsonRoute
from api.http.schemas import (
    BuildAccepted,
    ErrorBody,
    ExecutionPlanDoc,
    PlanPatch,
    TaskMarkedDone,
    TasksDone,
    TasksMarkedDone,
)
from planner.core.errors import InvalidInputError, NotFoundError
from planner.core.overrides import Overrides
from planner.storage import projects as stored
from planner.usecases.adjust import adjust_plan
from planner.usecases.automation import announce, plan_summary
from planner.usecases.done import mark_done as mark_tasks_done

log = logging.getLogger(__name__)

router = APIRouter(tags=["plans"], route_class=StrictJsonRoute)

PLAN = "/api/projects/{project_id}/execution-plan"


# a plan version as its entity tag says it: a PostgreSQL integer, no sign, no leading zero
VERSION_TAG = re.compile(r'"(0|[1-9][0-9]{0,9})"')


def entity_tag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None) -> int:
    """The plan version an If-Match header names: 428 when absent, 412 when it names none.

    If-Match compares strongly (RFC 9110 13.1.1): a weak tag, or one written otherwise than the
    ETag (`"01"`), names no version.
    """
    if if_match is None or if_match.strip() == "*":
        raise HTTPException(
            428, 'If-Match with the plan\'s version is required (If-Match: "<version>", from the ETag)'
        )
    match = VERSION_TAG.fullmatch(if_match.strip())
    if match is None or int(match[1]) > 2**31 - 1:
        raise HTTPException(412, 'If-Match does not name a plan version: give the ETag as sent, like "3"')
    return int(match[1])


def none_match(if_none_match: str | None, tag: str) -> bool:
    """Whether If-None-Match names `tag` (or is `*`), comparing weakly: `W/"3"` names `"3"` (RFC 9110)."""
    if if_none_match is None:
        return False
    listed = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in listed or tag in listed


@router.get(
    PLAN,
    response_model=ExecutionPlanDoc,
    responses={**NOT_FOUND, 304: {"description": "not modified (If-None-Match names the current version)"}},
)
async def get_plan(
    project_id: ProjectId,
    db: DatabaseDep,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The project's stored plan, with `ETag: "<version>"`; 404 when it has none yet."""
    # the hot path: one query, and the stored document passed on as text (written by the planner
    # from the same model this route documents), not decoded and encoded again
    document, version = await stored.plan_document_text(db, project_id)
    if document is None or version is None:
        raise NotFoundError(
            f"project {project_id} has no execution plan yet: POST {PLAN.format(project_id=project_id)}/build"
        )
    tag = entity_tag(version)
    if none_match(if_none_match, tag):
        return Response(status_code=304, headers={"ETag": tag})
    return Response(document, media_type="application/json", headers={"ETag": tag})


@router.post(PLAN + "/build", status_code=202, response_model=BuildAccepted, responses=NOT_FOUND)
async def build_plan(project_id: ProjectId, db: DatabaseDep, builds: BuildsDep) -> BuildAccepted:
    """Start building the plan in the background; follow it on the WebSocket.

    A build of this project already running (in any server process) is not duplicated: the answer
    is still 202, with that build's id and `already_running: true`.
    """
    await stored.project_by_id(db, project_id)
    build_id, already_running = await builds.request(str(project_id))
    return BuildAccepted(build_id=build_id, project_id=project_id, already_running=already_running)


@router.post(
    "/api/projects/{project_id}/tasks/done",
    status_code=202,
    response_model=TasksMarkedDone,
    responses={**NOT_FOUND, **REFUSED},
)
async def mark_done(
    project_id: ProjectId, body: TasksDone, db: DatabaseDep, builds: BuildsDep
) -> TasksMarkedDone:
    """Mark tasks done by key, then rebuild the plan in the background (as POST …/build does).

    A key that is not one of the project's tasks, or a bad file list, is a 422 naming it, and
    nothing is marked. The files each task really changed are recorded: those of `files`, else
    read from its branch (named as its worktree). The answer names the tasks marked, what was
    recorded of each, and the build's id; follow the build on the WebSocket.
    """
    marked = await mark_tasks_done(db, str(project_id), body.keys, body.files, where="files")
    # a build running now may have read the tasks before: it is followed by one more
    build_id, already_running = await builds.request(str(project_id), changed=True)
    return TasksMarkedDone(
        project_id=project_id,
        tasks=[
            TaskMarkedDone(
                id=task.id,
                key=task.key,
                actual_files=None if task.actual is None else list(task.actual.files),
                actual_files_source=None if task.actual is None else task.actual.source,
                note=task.note,
            )
            for task in marked
        ],
        build_id=build_id,
        already_running=already_running,
    )


@router.patch(
    PLAN,
    response_model=ExecutionPlanDoc,
    responses={
        **NOT_FOUND,
        **REFUSED,
        412: {"model": ErrorBody, "description": "the plan is no longer at the If-Match version"},
        428: {"model": ErrorBody, "description": "If-Match is missing"},
    },
)
async def patch_plan(
    project_id: ProjectId,
    body: PlanPatch,
    db: DatabaseDep,
    settings: SettingsDep,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> Any:
    """Adjust the plan: move tasks between batches, mark batches sequential, choose worktrees.

    Refused whole (422, with the reasons) when it names an unknown task or batch or would run a
    task before one of its dependencies. Adjustments are kept apart and re-applied on every
    rebuild; the answer is the new plan, with its ETag, and `execution_plan_updated` goes out.
    """
    version = expected_version(if_match)
    patch = Overrides.from_dict(body.model_dump())
    if not patch:
        raise InvalidInputError("the patch changes nothing: give worktree_assignments or batch_overrides")
    plan = await adjust_plan(db, str(project_id), patch, version, settings)
    await announce(
        db, "execution_plan_updated", str(project_id), version=plan.version, summary=plan_summary(plan)
    )
    response.headers["ETag"] = entity_tag(plan.version)
    return plan.to_dict()


@router.websocket("/api/ws/{project_id}")
async def plan_events(websocket: WebSocket, project_id: UUID, db: DatabaseDep, events: EventsDep) -> None:
    """The project's plan events as JSON text: execution_plan_building, _ready, _updated, _error."""
    try:
        await stored.project_by_id(db, project_id)
    except NotFoundError as missing:
        body = json.dumps({"detail": str(missing)}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await deny_websocket(websocket.scope, websocket.receive, websocket.send, 404, body, headers)
        return
    with events.subscribe(str(project_id)) as subscription:
        await websocket.accept()
        await forward_events(websocket, subscription)


async def forward_events(websocket: WebSocket, subscription: Subscription) -> None:
    """Send the subscription's events until the client goes away (what it sends is ignored)."""

    async def send_events() -> None:
        while True:
            event = await subscription.next()
            await websocket.send_text(event.model_dump_json())

    async def until_closed() -> None:
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass

    sender = asyncio.create_task(send_events())
    closed = asyncio.create_task(until_closed())
    try:
        await asyncio.wait({sender, closed}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sender, closed):
            task.cancel()
        for task in (sender, closed):
            try:
                await task
            except (asyncio.CancelledError, WebSocketDisconnect, OSError):
                pass
            except RuntimeError as error:  # sending on a socket the client has just closed
                log.debug("WebSocket of project %s ended: %s", subscription.project_id, error)
