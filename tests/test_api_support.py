"""Helpers of the API tests: the real app on the test's own database, in-process or on a loopback port.

`api_client` runs the app's lifespan and talks to it over ASGI with httpx; `served_app` runs it
under uvicorn on a free loopback port, for real HTTP and WebSocket clients (and two instances at
once). Both use the real database, listener and broadcaster; the timings are shortened so that
reconnects and sweeps happen within a test. (This module holds no tests of its own.)
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import uvicorn
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection

from api.http.app import ServiceConfig, create_app
from api.http.events import Subscription
from api.http.schemas import PlanEvent
from planner.core.settings import Settings
from planner.storage.listening import Backoff

TOKEN = "test-token-5f1c0e"


def service_config(db_url: str, **values: Any) -> ServiceConfig:
    """A configuration with short timings: quick health checks and reconnects, no periodic sweep."""
    defaults: dict[str, Any] = {
        "database_url": db_url,
        "pool_size": 8,
        "sweep_interval": 3600.0,
        "health_interval": 0.5,
        "backoff": Backoff(initial=0.05, maximum=0.5),
        "startup_timeout": 5.0,
    }
    return ServiceConfig(**{**defaults, **values})


def make_app(db_url: str, settings: Settings | None = None, **values: Any) -> FastAPI:
    return create_app(settings or Settings(max_worktrees=3), service_config(db_url, **values))


def auth_headers(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


@asynccontextmanager
async def api_client(
    db_url: str, *, token: str | None = None, **values: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    """The app with its lifespan running, and an httpx client talking to it over ASGI."""
    app = make_app(db_url, api_token=token, **values)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=auth_headers(token)
        ) as client:
            yield client, app


@dataclass(frozen=True)
class Served:
    """An app served by uvicorn on a loopback port."""

    app: FastAPI
    base_url: str

    def ws_url(self, project_id: str) -> str:
        return self.base_url.replace("http://", "ws://") + f"/api/ws/{project_id}"


@asynccontextmanager
async def served_app(
    db_url: str,
    *,
    token: str | None = None,
    send_buffer: int | None = None,
    settings: Settings | None = None,
    **values: Any,
) -> AsyncIterator[Served]:
    """The app under uvicorn (HTTP and WebSocket) on a free 127.0.0.1 port, for the length of the block.

    `send_buffer` fixes the kernel's send buffer of the connections (instead of letting it grow
    to megabytes), so that a client that stops reading blocks the server's sends soon. `settings`:
    the planner's (default: max_worktrees 3).
    """
    app = make_app(db_url, settings, api_token=token, **values)
    # protocol IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only then (else ~40 ms delayed ACKs)
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    if send_buffer is not None:  # accepted connections inherit it
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
    listening.bind(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="auto", lifespan="on"))
    serving = asyncio.create_task(server.serve(sockets=[listening]))
    try:
        async with asyncio.timeout(15):
            while not server.started:
                if serving.done():
                    serving.result()  # start-up failed: raise why
                await asyncio.sleep(0.02)
        yield Served(app, f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        await serving
        listening.close()


def tasks_doc(repo: Path, tasks: list[dict[str, Any]] | None = None, name: str = "shop") -> dict[str, Any]:
    """A tasks-file document for the `repo` fixture's shop repository."""
    return {
        "project": {"name": name, "repo_path": str(repo)},
        "epics": [
            {"key": "E1", "name": "API"},
            {"key": "E2", "name": "Core"},
            {"key": "E3", "name": "Web"},
        ],
        "tasks": tasks
        if tasks is not None
        else [
            {"key": "T1", "epic": "E2", "description": "Pool in core/database.py"},
            {"key": "T2", "epic": "E1", "description": "Orders in api/orders.py", "depends_on": ["T1"]},
            {"key": "T3", "epic": "E1", "description": "Users in api/users.py", "depends_on": ["T1"]},
            {"key": "T4", "epic": "E3", "description": "Style the shop in web/app.js"},
        ],
    }


async def create_project(client: httpx.AsyncClient, repo: Path, **doc: Any) -> str:
    """PUT a tasks file; returns the project id."""
    response = await client.put("/api/projects", json=tasks_doc(repo, **doc))
    assert response.status_code in (200, 201), response.text
    return str(response.json()["id"])


async def built_plan(client: httpx.AsyncClient, app: FastAPI, project_id: str) -> dict[str, Any]:
    """Request a build, wait for it, and return the stored plan."""
    response = await client.post(f"/api/projects/{project_id}/execution-plan/build")
    assert response.status_code == 202, response.text
    await app.state.builds.wait_idle()
    plan = await client.get(f"/api/projects/{project_id}/execution-plan")
    assert plan.status_code == 200, plan.text
    document: dict[str, Any] = plan.json()
    return document


async def next_event(subscription: Subscription, wanted: str, seconds: float = 10.0) -> PlanEvent:
    """The next event of type `wanted` in a broadcaster subscription (others are skipped)."""
    async with asyncio.timeout(seconds):
        while True:
            event = await subscription.next()
            if event.type == wanted:
                return event


async def next_ws_event(ws: ClientConnection, wanted: str, seconds: float = 10.0) -> dict[str, Any]:
    """The next WebSocket message of type `wanted` (others are skipped)."""
    async with asyncio.timeout(seconds):
        while True:
            message: dict[str, Any] = json.loads(await ws.recv())
            if message["type"] == wanted:
                return message


def history_versions(db_url: str, project_id: str) -> list[int]:
    """The plan versions saved in the history table, oldest first."""
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            "SELECT version FROM execution_plan_history WHERE project_id = %s ORDER BY version",
            (project_id,),
        ).fetchall()
    return [row[0] for row in rows]


def terminate_backend(db_url: str, pid: int) -> None:
    """Drop one server connection, as a network failure or a DBA would."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
