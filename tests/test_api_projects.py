"""The project routes over HTTP: list, create or replace from a tasks file, epics, tasks, sessions."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from tests.test_api_support import api_client, create_project, tasks_doc


async def test_put_creates_then_replaces_and_lists(db_url: str, repo: Path) -> None:
    async with api_client(db_url) as (client, _):
        assert (await client.get("/api/projects")).json() == []
        created = await client.put("/api/projects", json=tasks_doc(repo))
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["created"] is True and body["name"] == "shop"
        assert (body["epics"], body["tasks"]) == (3, 4)

        smaller = tasks_doc(repo, tasks=[{"key": "T1", "epic": "E2", "description": "Pool"}])
        replaced = await client.put("/api/projects", json=smaller)
        assert replaced.status_code == 200
        assert replaced.json()["id"] == body["id"] and replaced.json()["created"] is False

        listed = (await client.get("/api/projects")).json()
        assert listed == [{"id": body["id"], "name": "shop", "repo_path": str(repo)}]
        tasks = (await client.get(f"/api/projects/{body['id']}/tasks")).json()
        assert [t["key"] for t in tasks] == ["T1"]


async def test_bad_tasks_file_is_422_naming_the_problem_and_writes_nothing(db_url: str, repo: Path) -> None:
    cycle = [
        {"key": "A", "depends_on": ["B"]},
        {"key": "B", "depends_on": ["A"]},
    ]
    cases = [
        ({**tasks_doc(repo), "colour": "red"}, "colour"),
        (tasks_doc(repo, tasks=[{"key": "T1", "epic": "E9"}]), "unknown epic 'E9'"),
        (tasks_doc(repo, tasks=[{"key": "T1", "depends_on": ["T7"]}]), "unknown task 'T7'"),
        (tasks_doc(repo, tasks=[{"key": "T1"}, {"key": "T1"}]), "duplicate key"),
        (tasks_doc(repo, tasks=cycle), "dependency cycle: "),
        (tasks_doc(repo, tasks=[{"key": "T1", "priority": "high"}]), "priority"),
        (tasks_doc(repo, tasks=[{"key": "T1", "size": 3}]), "size"),
    ]
    async with api_client(db_url) as (client, _):
        for document, reason in cases:
            response = await client.put("/api/projects", json=document)
            assert response.status_code == 422, (reason, response.text)
            assert reason in response.text, (reason, response.text)
        relative = tasks_doc(repo)
        relative["project"]["repo_path"] = "shop"
        response = await client.put("/api/projects", json=relative)
        assert response.status_code == 422 and "absolute" in response.json()["detail"]
        not_git = tasks_doc(repo)
        not_git["project"]["repo_path"] = str(repo.parent)
        response = await client.put("/api/projects", json=not_git)
        assert response.status_code == 422 and "not a git repository" in response.json()["detail"]
        assert (await client.get("/api/projects")).json() == []


async def test_project_epics_and_tasks(db_url: str, repo: Path) -> None:
    async with api_client(db_url) as (client, _):
        project_id = await create_project(client, repo)
        project = (await client.get(f"/api/projects/{project_id}")).json()
        assert project["name"] == "shop" and project["plan_version"] is None
        epics = (await client.get(f"/api/projects/{project_id}/epics")).json()
        assert [e["key"] for e in epics] == ["E1", "E2", "E3"]
        tasks = {t["key"]: t for t in (await client.get(f"/api/projects/{project_id}/tasks")).json()}
        assert set(tasks) == {"T1", "T2", "T3", "T4"}
        assert tasks["T2"]["depends_on"] == [{"task_id": tasks["T1"]["id"], "dependency_type": "hard"}]
        assert tasks["T1"]["depends_on"] == [] and tasks["T1"]["done"] is False


async def test_unknown_project_is_404_and_malformed_id_422(db_url: str) -> None:
    unknown = uuid.uuid4()
    async with api_client(db_url) as (client, _):
        for path in ("", "/epics", "/tasks", "/sessions"):
            response = await client.get(f"/api/projects/{unknown}{path}")
            assert response.status_code == 404, path
            assert str(unknown) in response.json()["detail"]
            assert (await client.get(f"/api/projects/not-a-uuid{path}")).status_code == 422
        response = await client.put(
            f"/api/projects/{unknown}/sessions/0", json={"type": "initializer", "status": "running"}
        )
        assert response.status_code == 404


async def test_sessions_are_created_and_updated(db_url: str, repo: Path) -> None:
    async with api_client(db_url) as (client, _):
        project_id = await create_project(client, repo)
        url = f"/api/projects/{project_id}/sessions/1"
        first = await client.put(url, json={"type": "coding", "status": "running"})
        assert first.status_code == 200, first.text
        assert first.json()["status"] == "running" and first.json()["ended_at"] is None
        second = await client.put(url, json={"type": "coding", "status": "completed"})
        assert second.json()["id"] == first.json()["id"] and second.json()["ended_at"] is not None
        sessions = (await client.get(f"/api/projects/{project_id}/sessions")).json()
        assert [(s["session_number"], s["status"]) for s in sessions] == [(1, "completed")]

        for body in (
            {"type": "coding", "status": "done"},
            {"type": "planning", "status": "running"},
            {"type": "coding"},
            {"type": "coding", "status": "running", "extra": 1},
        ):
            assert (await client.put(url, json=body)).status_code == 422, body
        valid = {"type": "coding", "status": "running"}
        assert (await client.put(f"/api/projects/{project_id}/sessions/-1", json=valid)).status_code == 422


async def test_put_lists_every_problem_of_the_file_with_its_key(db_url: str, repo: Path) -> None:
    tasks: list[dict[str, Any]] = [
        {"key": "T1"},
        {"key": "T2", "depends_on": ["T9"]},
        {"key": "T3", "estimated_minutes": 0, "conflicts_with": ["T8"]},
        {"key": "T4", "depends_on": ["T5"]},
        {"key": "T5", "depends_on": ["T4"], "size": 1},
    ]
    async with api_client(db_url) as (client, _):
        response = await client.put("/api/projects", json=tasks_doc(repo, tasks=tasks))
        assert response.status_code == 422, response.text
        detail = response.json()["detail"]
        assert [(d["loc"], d["msg"], d["type"]) for d in detail] == [
            (
                ["body", "tasks", 1, "depends_on", 0],
                "task 'T2'.depends_on: unknown task 'T9'",
                "unknown_task",
            ),
            (
                ["body", "tasks", 2, "estimated_minutes"],
                "task 'T3'.estimated_minutes: must be positive, not 0",
                "greater_than",
            ),
            (
                ["body", "tasks", 2, "conflicts_with", 0],
                "task 'T3'.conflicts_with: unknown task 'T8'",
                "unknown_task",
            ),
            (["body", "tasks", 4, "size"], "task 'T5': unknown key 'size'", "extra_forbidden"),
            (["body", "tasks"], "dependency cycle: T4 -> T5 -> T4", "dependency_cycle"),
        ]
        # with the file wrong, a repo_path that is wrong too is one more problem of the list
        relative = tasks_doc(repo, tasks=tasks)
        relative["project"]["repo_path"] = "shop"
        listed = (await client.put("/api/projects", json=relative)).json()["detail"]
        assert listed[0]["msg"] == "project.repo_path: 'shop' must be an absolute path" and len(listed) == 6
        assert (await client.get("/api/projects")).json() == []  # nothing was written

        # the hints are kept like any other field
        hinted: list[dict[str, Any]] = [
            {"key": "T1", "parallel": True},
            {"key": "T2", "title": "Two", "conflicts_with": ["T1"]},
        ]
        project_id = (await client.put("/api/projects", json=tasks_doc(repo, tasks=hinted))).json()["id"]
        stored = {
            t["key"]: t["metadata"] for t in (await client.get(f"/api/projects/{project_id}/tasks")).json()
        }
        assert stored == {"T1": {"parallel": True}, "T2": {"title": "Two", "conflicts_with": ["T1"]}}
