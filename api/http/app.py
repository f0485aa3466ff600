"""The HTTP and WebSocket service: app factory, lifespan and the dependencies routes read.

`create_app(settings, config)` builds a FastAPI app whose lifespan opens the psycopg pool,
migrates the database, starts the event broadcaster (plan events → WebSocket clients), the
Session-0 listener with its periodic sweep and the worktree watch (api/http/worktree_watch.py),
and keeps them on `app.state`; on shutdown it stops them and cancels running builds. Run it
with `execplan serve`, or `uvicorn --factory api.http.app:create_app`.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import Secret

from api.http import docs
from api.http.auth import TOKEN_VARIABLE, BearerTokenMiddleware, token_from_env
from api.http.builds import BuildRunner
from api.http.events import EventBroadcaster
from api.http.guards import SAFE_METHODS, BodySizeLimitMiddleware, SameOriginMiddleware
from api.http.listener import SessionListener
from api.http.worktree_watch import WorktreeWatch
from planner.core.errors import (
    DatabaseError,
    ExecplanError,
    InvalidInputError,
    NotFoundError,
    ServiceBusyError,
    StalePlanError,
    TaskFileError,
)
from planner.core.settings import Settings, load_settings
from planner.storage.database import Database
from planner.storage.embedded import database_url as configured_database_url
from planner.storage.listening import DEFAULT_BACKOFF, Backoff, ChannelListener
from planner.storage.migrate import migrate
from planner.usecases.workers import BuildPool

log = logging.getLogger(__name__)

# the plan page, when present: its `router`, and `serves_without_token(method, path)` for the
# requests (page frame, static assets) that carry no project data and so need no token
PAGE_MODULE = "api.http.page"
PAGE_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {
        "description": "no project could have that id or name: an HTML page saying so",
        "content": {"text/html": {}},
    }
}
UNAUTHORIZED_RESPONSE: dict[str, Any] = {
    "description": "missing or wrong bearer token (when the service has one)",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
}
TOO_LARGE_RESPONSE: dict[str, Any] = {
    "description": "the request body is larger than the service takes (8 MiB unless configured)",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
}
FOREIGN_ORIGIN_RESPONSE: dict[str, Any] = {
    "description": "from a page of another origin, or with the token cookie but no Origin (api/guards.py)",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
}


@dataclass(frozen=True)
class ServiceConfig:
    """How the service runs (the planner's own settings are `planner.core.settings.Settings`)."""

    database_url: str | None = None  # None: DATABASE_URL, else the embedded PostgreSQL
    api_token: str | None = field(default=None, repr=False)  # None: no authentication
    pool_size: int = 10
    sweep_interval: float = 60.0  # seconds between sweeps for plans a lost notification missed
    health_interval: float = 5.0  # seconds between checks of an idle LISTEN connection
    backoff: Backoff = DEFAULT_BACKOFF
    client_queue_size: int = 100  # events kept for a WebSocket client that does not keep up
    max_concurrent_builds: int = 3
    build_processes: int = 1  # worker processes that run builds (0: in the service's own process)
    startup_timeout: float = 10.0  # how long start-up waits for the LISTEN connections
    db_timeout: float = 5.0  # how long a request waits for a connection before a 503
    max_body_bytes: int = 8 * 2**20  # a larger request body gets 413 (api/guards.py)

    def __post_init__(self) -> None:
        # a build run in this process holds a connection for its transaction and another to announce
        # (its build lock is on a connection of its own, outside the pool)
        if self.pool_size < 2 * self.max_concurrent_builds + 2:
            raise ValueError(
                f"pool_size {self.pool_size} is too small for {self.max_concurrent_builds} "
                f"concurrent builds: at least {2 * self.max_concurrent_builds + 2}"
            )

    @classmethod
    def from_env(cls, **values: Any) -> ServiceConfig:
        """The configuration with the API token from EXECPLAN_API_TOKEN."""
        return cls(api_token=token_from_env(), **values)


# -- errors ----------------------------------------------------------------------------------------

ERROR_STATUS: tuple[tuple[type[ExecplanError], int], ...] = (
    (NotFoundError, 404),
    (StalePlanError, 412),
    (InvalidInputError, 422),
    (DatabaseError, 503),
    (ServiceBusyError, 503),
    (ExecplanError, 400),
)


async def execplan_error_response(request: Request, error: Exception) -> JSONResponse:
    """The response for one of the project's own exceptions: its status and its one-line reason."""
    status = next(code for kind, code in ERROR_STATUS if isinstance(error, kind))
    if status >= 500:
        log.warning("%s %s: %s", request.method, request.url.path, error)
    return JSONResponse({"detail": str(error)}, status_code=status)


async def task_file_error_response(request: Request, error: Exception) -> JSONResponse:
    """A refused tasks file: every problem, in the shape of FastAPI's own list of bad fields."""
    problems = error.problems if isinstance(error, TaskFileError) else ()
    detail = [{"loc": ["body", *p.loc], "msg": str(p), "type": p.kind} for p in problems]
    return JSONResponse({"detail": detail}, status_code=422)


# -- the app ---------------------------------------------------------------------------------------


async def _wait_listening(listeners: list[ChannelListener], seconds: float) -> None:
    try:
        async with asyncio.timeout(seconds):
            for listener in listeners:
                await listener.listening.wait()
    except TimeoutError:
        log.warning("start-up: LISTEN connections not up after %.0fs; events may be late", seconds)


def create_app(settings: Settings | None = None, config: ServiceConfig | None = None) -> FastAPI:
    """The execplan service; `config` defaults to ServiceConfig.from_env()."""
    service = config or ServiceConfig.from_env()
    planner_settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        url = service.database_url
        if url is None:  # starting the embedded server blocks: not on the event loop
            url = await asyncio.to_thread(configured_database_url)
        db = Database(url, max_size=service.pool_size, acquire_timeout=service.db_timeout)
        await db.open()
        try:
            await migrate(db)
            pool = BuildPool(service.build_processes) if service.build_processes > 0 else None
            if pool is not None:
                pool.start()
            builds = BuildRunner(
                db, planner_settings, max_concurrent=service.max_concurrent_builds, pool=pool
            )
            events = EventBroadcaster(
                url,
                queue_size=service.client_queue_size,
                health_interval=service.health_interval,
                backoff=service.backoff,
            )
            sessions = SessionListener(
                url,
                db,
                builds,
                sweep_interval=service.sweep_interval,
                health_interval=service.health_interval,
                backoff=service.backoff,
            )
            app.state.db, app.state.settings, app.state.builds = db, planner_settings, builds
            watch = WorktreeWatch(db, planner_settings)
            app.state.events, app.state.session_listener = events, sessions
            app.state.worktree_watch = watch
            tasks = [asyncio.create_task(events.run(), name="execplan-events")]
            try:
                # events first, so that the first automatic builds are heard
                await _wait_listening([events.listener], service.startup_timeout)
                tasks.append(asyncio.create_task(sessions.run(), name="execplan-session-listener"))
                await _wait_listening([sessions.channel], service.startup_timeout)
                if watch.watching:  # conflicts between live worktrees, announced unasked
                    tasks.append(asyncio.create_task(watch.run(), name="execplan-worktree-watch"))
                if service.api_token is None:
                    log.warning(
                        "%s is not set: the API has no authentication; serve it on loopback only",
                        TOKEN_VARIABLE,
                    )
                else:
                    log.info("every request needs the bearer token of %s", TOKEN_VARIABLE)
                yield
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                await builds.close()
                if pool is not None:
                    pool.close()
        finally:
            await db.close()

    app = FastAPI(
        title="execplan",
        summary="Conflict-aware execution plans for AI coding agents in parallel git worktrees",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # api/http/docs.py serves /docs and /redoc with local assets, no CDN
        redoc_url=None,
    )
    for kind, _ in ERROR_STATUS:
        app.add_exception_handler(kind, execplan_error_response)
    app.add_exception_handler(TaskFileError, task_file_error_response)

    from api.http import (
        routes_plans,
        routes_projects,  # they read the dependencies above
        routes_worktrees,
    )

    app.include_router(routes_projects.router)
    app.include_router(routes_plans.router)
    app.include_router(routes_worktrees.router)
    app.include_router(docs.router)
    # what is served without the token: the docs and the plan page, which carry no project data
    public_parts: list[Callable[[str, str], bool]] = [docs.serves_without_token]
    if importlib.util.find_spec(PAGE_MODULE) is not None:
        page = importlib.import_module(PAGE_MODULE)
        # the page answers an id that cannot be a project's with a 404 page: say so in the OpenAPI
        app.include_router(page.router, responses=PAGE_NOT_FOUND)
        public_parts.append(page.serves_without_token)  # the page's frame and assets

    def public(method: str, path: str) -> bool:
        return any(part(method, path) for part in public_parts)

    app.add_middleware(SameOriginMiddleware, cookie_authenticates=service.api_token is not None)
    if service.api_token is not None:  # outside the origin check: who first, then from where
        app.add_middleware(BearerTokenMiddleware, token=Secret(service.api_token), public=public)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=service.max_body_bytes)  # outermost
    schema = app.openapi()  # cached by FastAPI: document what the middlewares answer in it
    if service.api_token is not None:
        schema.setdefault("components", {})["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer", "description": TOKEN_VARIABLE}
        }
        schema["security"] = [{"bearer": []}]
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if method.upper() not in SAFE_METHODS:
                operation["responses"].setdefault("403", FOREIGN_ORIGIN_RESPONSE)
                operation["responses"].setdefault("413", TOO_LARGE_RESPONSE)
            if service.api_token is None:
                continue
            if public(method.upper(), path):
                operation["security"] = []  # the page's frame: served without the token
            else:
                operation["responses"].setdefault("401", UNAUTHORIZED_RESPONSE)
    return app
