"""Locks between processes. One lock order everywhere: the project's advisory lock first, then
its rows. A build holds the lock for its whole transaction and writes the project row at the
end; an import (or any other writer of the project) that meets it waits for the lock before
touching a row, so the two finish one after the other instead of one being killed as a deadlock.
And a build is known to run in another server process by the build lock its session holds, so a
killed server's build stops counting when its session goes."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import httpx
import psycopg

from planner.core.model import PredictedFile
from planner.core.settings import Settings
from planner.core.tasks import PlanningTask
from planner.predictors.mentions import MentionPredictor
from planner.storage.database import Database
from planner.storage.importer import import_task_file, parse_task_file
from planner.usecases.build import build_plan
from tests.test_api_support import create_project, history_versions, served_app
from tests.test_importer import spec

ROOT = Path(__file__).resolve().parent.parent


class GatedPredictor(MentionPredictor):
    """Predicts as MentionPredictor, but first says it has started and waits to be let go: the
    moment a build holds the project's lock inside its transaction."""

    def __init__(self) -> None:
        super().__init__()
        self.started = asyncio.Event()
        self.go = asyncio.Event()

    async def predict(
        self, repo_path: str | None, tasks: Sequence[PlanningTask]
    ) -> dict[int, tuple[PredictedFile, ...]]:
        self.started.set()
        await self.go.wait()
        return await super().predict(repo_path, tasks)


async def waiting_for_a_lock(db: Database) -> int:
    """How many other sessions of this database wait for a lock now."""
    async with db.connection() as conn:
        cur = await conn.raw.execute(
            "SELECT count(*) AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE NOT l.granted AND a.datname = current_database()"
        )
        row = await cur.fetchone()
    assert row is not None
    return int(row["n"])


async def until(condition: Callable[[], Awaitable[bool]], seconds: float = 10.0) -> None:
    """Poll the database's state (nothing here can be waited on) until `condition` holds."""
    async with asyncio.timeout(seconds):
        while not await condition():  # noqa: ASYNC110 - the state is another session's
            await asyncio.sleep(0.02)


async def test_an_import_during_a_build_waits_for_it_instead_of_deadlocking(db: Database, repo: Path) -> None:
    project_id = await import_task_file(db, parse_task_file(spec(repo), repo))
    predictor = GatedPredictor()
    build = asyncio.create_task(build_plan(db, project_id, Settings(), predictor))
    await asyncio.wait_for(predictor.started.wait(), 10)  # the build holds the project's lock
    changed = spec(repo)
    changed["tasks"][0]["description"] = "Add POST /orders and GET /orders in api/orders.py"
    reimport = asyncio.create_task(import_task_file(db, parse_task_file(changed, repo)))

    async def import_waits() -> bool:
        return await waiting_for_a_lock(db) >= 1

    await until(import_waits)
    predictor.go.set()  # the build goes on and writes the project row
    plan = await asyncio.wait_for(build, 30)
    assert plan.version == 1
    assert await asyncio.wait_for(reimport, 30) == project_id
    tasks = await db.fetch_all("tasks_of_project", {"project_id": project_id})
    assert any("GET /orders" in t["description"] for t in tasks)  # the import was not lost


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def poll(check: Callable[[], Awaitable[bool]], seconds: float = 30.0) -> None:
    """Ask again (over HTTP: nothing to wait on) until `check` holds."""
    async with asyncio.timeout(seconds):
        while not await check():  # noqa: ASYNC110 - the state is another process's
            await asyncio.sleep(0.1)


async def test_the_build_of_a_killed_server_does_not_hold_up_another_server(db_url: str, repo: Path) -> None:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "EXECPLAN_API_TOKEN"}
    env["DATABASE_URL"] = db_url
    other = await asyncio.create_subprocess_exec(  # another server, with its build worker, in a group
        *(sys.executable, "-m", "uvicorn", "--factory", "api.http.app:create_app", "--port", str(port)),
        *("--log-level", "warning"),
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        async with (
            served_app(db_url) as ours,
            httpx.AsyncClient(base_url=ours.base_url) as client,
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as other_client,
            await psycopg.AsyncConnection.connect(db_url, autocommit=True) as holder,
        ):
            project_id = await create_project(client, repo)
            build = f"/api/projects/{project_id}/execution-plan/build"

            async def other_is_up() -> bool:
                try:
                    return (await other_client.get("/api/projects")).status_code == 200
                except httpx.TransportError:
                    return False

            await poll(other_is_up)
            # the project's lock held, as a long build would: the other server's build waits in it
            await holder.execute(
                "SELECT pg_advisory_lock(hashtextextended('execplan_project:' || %s::text, 0))", (project_id,)
            )
            started = (await other_client.post(build)).json()
            assert started["already_running"] is False
            assert (await client.post(build)).json() == {**started, "already_running": True}

            os.killpg(other.pid, signal.SIGKILL)  # the other server dies mid-build, workers and all
            await asyncio.wait_for(other.wait(), 10)
            answers: list[dict[str, object]] = []

            async def ours_builds() -> bool:
                answers.append((await client.post(build)).json())
                return answers[-1]["already_running"] is False

            await poll(ours_builds)  # as soon as its database session is gone, not after a timer
            assert answers[-1]["build_id"] != started["build_id"]
            await holder.execute("SELECT pg_advisory_unlock_all()")
            await ours.app.state.builds.wait_idle()
            assert history_versions(db_url, project_id) == [1]  # the dead build saved nothing
    finally:
        if other.returncode is None:
            os.killpg(other.pid, signal.SIGKILL)
            await asyncio.wait_for(other.wait(), 10)
