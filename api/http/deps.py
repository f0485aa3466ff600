"""What the routes read from the running service (its pool, settings, build runner, event
broadcaster), as FastAPI dependencies, and the path parameters and documented answers they
share: one module, which the app sets up and the routes read (no import loop).
"""

from __future__ import annotations

from typing import Annotated, Any, cast
from uuid import UUID

from fastapi import Depends, Path
from starlette.requests import HTTPConnection

from api.http.builds import BuildRunner
from api.http.events import EventBroadcaster
from api.http.schemas import ErrorBody, RefusedBody
from api.http.worktree_watch import WorktreeWatch
from planner.core.settings import Settings
from planner.storage.database import Database


def database_of(connection: HTTPConnection) -> Database:
    return cast(Database, connection.app.state.db)


def settings_of(connection: HTTPConnection) -> Settings:
    return cast(Settings, connection.app.state.settings)


def builds_of(connection: HTTPConnection) -> BuildRunner:
    return cast(BuildRunner, connection.app.state.builds)


def events_of(connection: HTTPConnection) -> EventBroadcaster:
    return cast(EventBroadcaster, connection.app.state.events)


def watch_of(connection: HTTPConnection) -> WorktreeWatch | None:
    """The service's worktree watch; None when it does not watch (`worktree_check_seconds` 0)."""
    found: WorktreeWatch | None = getattr(connection.app.state, "worktree_watch", None)
    return found if found is not None and found.watching else None


DatabaseDep = Annotated[Database, Depends(database_of)]
WatchDep = Annotated[WorktreeWatch | None, Depends(watch_of)]
SettingsDep = Annotated[Settings, Depends(settings_of)]
BuildsDep = Annotated[BuildRunner, Depends(builds_of)]
EventsDep = Annotated[EventBroadcaster, Depends(events_of)]

ProjectId = Annotated[UUID, Path(description="the project's id")]
SessionNumber = Annotated[int, Path(ge=0, le=2**31 - 1, description="0 is the initializer session")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody, "description": "no such project"}}
REFUSED: dict[int | str, dict[str, Any]] = {
    422: {"model": RefusedBody, "description": "invalid input, with the reason"},
    # the answer to a body that cannot be decoded at all (not UTF-8 text)
    400: {"model": ErrorBody, "description": "the body cannot be read as JSON"},
}
