"""POST /api/projects/{id}/tasks/done: tasks marked done by key and the plan rebuilt by the
service's BuildRunner; an unknown key is a 422 naming it, and nothing is written."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from tests.test_api_support import api_client, built_plan, create_project


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
