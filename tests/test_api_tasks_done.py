"""POST /api/projects/{id}/tasks/done: tasks marked done by key and the plan rebuilt by the
service's BuildRunner; an unknown key is a 422 naming it, and nothing is written."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import psycopg

from tests.test_api_support import api_client, built_plan, create_project, history_versions


async def test_tasks_done_marks_them_and_rebuilds_the_plan(db_url: str, repo: Path) -> None:
    async with api_client(db_url) as (client, app):
        project_id = await create_project(client, repo)
        first = await built_plan(client, app, project_id)
        url = f"/api/projects/{project_id}/tasks/done"
        response = await client.post(url, json={"keys": ["T1", "T4", "T1"]})
        assert response.status_code == 202, response.text
        answer = response.json()
        assert [t["key"] for t in answer["tasks"]] == ["T1", "T4"]
        assert answer["project_id"] == project_id and answer["build_id"]
        await app.state.builds.wait_idle()
        plan = (await client.get(f"/api/projects/{project_id}/execution-plan")).json()
        assert plan["version"] == first["version"] + 1
        assert sorted(t["key"] for t in plan["tasks"]) == ["T2", "T3"]
        tasks = {t["key"]: t["done"] for t in (await client.get(f"/api/projects/{project_id}/tasks")).json()}
        assert tasks == {"T1": True, "T2": False, "T3": False, "T4": True}


async def test_tasks_done_refuses_unknown_keys_and_bad_bodies_whole(db_url: str, repo: Path) -> None:
    async with api_client(db_url) as (client, app):
        project_id = await create_project(client, repo)
        url = f"/api/projects/{project_id}/tasks/done"
        response = await client.post(url, json={"keys": ["T2", "NOPE"]})
        assert response.status_code == 422
        detail = response.json()["detail"]
        assert "'NOPE'" in detail and "nothing marked done" in detail and "\n" not in detail
        bodies: list[dict[str, Any]] = [
            {"keys": []},
            {"keys": "T1"},
            {"keys": [1]},
            {"keys": ["T1"], "x": 1},
            {},
        ]
        for body in bodies:
            assert (await client.post(url, json=body)).status_code == 422, body
        await app.state.builds.wait_idle()
        tasks = (await client.get(f"/api/projects/{project_id}/tasks")).json()
        assert not any(t["done"] for t in tasks)
        assert (await client.get(f"/api/projects/{project_id}/execution-plan")).status_code == 404
        missing = await client.post(f"/api/projects/{uuid.uuid4()}/tasks/done", json={"keys": ["T1"]})
        assert missing.status_code == 404


async def test_tasks_done_during_a_build_are_in_the_build_after_it(db_url: str, repo: Path) -> None:
    async with (
        api_client(db_url) as (client, app),
        await psycopg.AsyncConnection.connect(db_url, autocommit=True) as holder,
    ):
        project_id = await create_project(client, repo)
        resolved = str(await asyncio.to_thread(repo.resolve))
        # a build running: held, before it reads the tasks, at its repository's index lock (the
        # project's lock would hold up the marking too: it waits for a build's transaction)
        await holder.execute("BEGIN")
        await holder.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended('execplan_repository:' || %s, 0))",
            (resolved,),
        )
        started = (await client.post(f"/api/projects/{project_id}/execution-plan/build")).json()
        marked = (await client.post(f"/api/projects/{project_id}/tasks/done", json={"keys": ["T1"]})).json()
        assert marked["already_running"] is True and marked["build_id"] == started["build_id"]
        await holder.execute("COMMIT")
        await app.state.builds.wait_idle()
        assert history_versions(db_url, project_id) == [1, 2]  # the running one, and one more
        plan = (await client.get(f"/api/projects/{project_id}/execution-plan")).json()
        assert plan["version"] == 2 and "T1" not in {t["key"] for t in plan["tasks"]}
