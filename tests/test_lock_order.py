"""One lock order everywhere: the project's advisory lock first, then its rows. A build holds the
lock for its whole transaction and writes the project row at the end; an import (or any other
writer of the project) that meets it waits for the lock before touching a row, so the two finish
one after the other instead of one being killed as a deadlock."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from planner.builder import ExecutionPlanBuilder
from planner.database import Database
from planner.importer import import_task_file, parse_task_file
from planner.mentions import MentionPredictor
from planner.model import PredictedFile
from planner.settings import Settings
from planner.tasks import PlanningTask
from tests.test_importer import spec


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
    builder = ExecutionPlanBuilder(db, Settings(), predictor)
    build = asyncio.create_task(builder.build_plan(project_id))
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
