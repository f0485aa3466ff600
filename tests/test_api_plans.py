"""The plan routes over HTTP: read with ETag, build in the background, adjust with If-Match."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import psycopg

from api.http.schemas import PlanBuilding, PlanReady, PlanUpdated
from tests.test_api_support import (
    api_client,
    built_plan,
    create_project,
    history_versions,
    next_event,
    tasks_doc,
)


def task_ids(client_tasks: list[dict[str, Any]]) -> dict[str, int]:
    return {t["key"]: t["id"] for t in client_tasks}


def batch_of(plan: dict[str, Any], task_id: int) -> int:
    return int(next(b["batch_id"] for b in plan["batches"] if task_id in b["task_ids"]))


async def test_get_plan_404_until_built_then_etag(db_url: str, repo: Path) -> None:
    async with api_client(db_url) as (client, app):
        unknown = await client.get(f"/api/projects/{uuid.uuid4()}/execution-plan")
        assert unknown.status_code == 404 and "no project" in unknown.json()["detail"]
        assert (await client.get("/api/projects/12/execution-plan")).status_code == 422
        project_id = await create_project(client, repo)
        missing = await client.get(f"/api/projects/{project_id}/execution-plan")
        assert missing.status_code == 404
        assert "has no execution plan yet" in missing.json()["detail"]

        plan = await built_plan(client, app, project_id)
        assert plan["version"] == 1 and plan["project_id"] == project_id
        response = await client.get(f"/api/projects/{project_id}/execution-plan")
        assert response.headers["etag"] == '"1"'
        not_modified = await client.get(
            f"/api/projects/{project_id}/execution-plan", headers={"If-None-Match": '"1"'}
        )
        assert not_modified.status_code == 304
        assert (await client.get(f"/api/projects/{project_id}")).json()["plan_version"] == 1


async def test_build_is_202_and_a_running_build_is_reported_not_duplicated(db_url: str, repo: Path) -> None:
    async with api_client(db_url) as (client, app):
        assert (await client.post(f"/api/projects/{uuid.uuid4()}/execution-plan/build")).status_code == 404
        project_id = await create_project(client, repo)
        with app.state.events.subscribe(project_id) as events:
            # hold the project's lock, as a long build would: the first build waits behind it
            async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as holder:
                await holder.execute(
                    "SELECT pg_advisory_lock(hashtextextended('execplan_project:' || %s::text, 0))",
                    (project_id,),
                )
                first = await client.post(f"/api/projects/{project_id}/execution-plan/build")
                assert first.status_code == 202
                assert first.json()["already_running"] is False
                building = await next_event(events, "execution_plan_building")
                second = await client.post(f"/api/projects/{project_id}/execution-plan/build")
                assert second.status_code == 202
                assert second.json() == {**first.json(), "already_running": True}
                assert isinstance(building, PlanBuilding) and building.build_id == first.json()["build_id"]
            ready = await next_event(events, "execution_plan_ready")
            assert isinstance(ready, PlanReady) and ready.build_id == first.json()["build_id"]
        await app.state.builds.wait_idle()
        assert history_versions(db_url, project_id) == [1]
        third = await client.post(f"/api/projects/{project_id}/execution-plan/build")
        assert third.json()["already_running"] is False
        await app.state.builds.wait_idle()
        assert history_versions(db_url, project_id) == [1, 2]


async def test_patch_needs_if_match_and_refuses_stale_versions(db_url: str, repo: Path) -> None:
    async with api_client(db_url) as (client, app):
        project_id = await create_project(client, repo)
        plan = await built_plan(client, app, project_id)
        ids = task_ids((await client.get(f"/api/projects/{project_id}/tasks")).json())
        url = f"/api/projects/{project_id}/execution-plan"
        patch = {"batch_overrides": [{"batch_id": batch_of(plan, ids["T2"]), "sequential": True}]}

        missing = await client.patch(url, json=patch)
        assert missing.status_code == 428 and "If-Match" in missing.json()["detail"]
        assert (await client.patch(url, json=patch, headers={"If-Match": "*"})).status_code == 428
        assert (await client.patch(url, json=patch, headers={"If-Match": '"abc"'})).status_code == 412
        stale = await client.patch(url, json=patch, headers={"If-Match": '"7"'})
        assert stale.status_code == 412 and "version 1" in stale.json()["detail"]

        with app.state.events.subscribe(project_id) as events:
            done = await client.patch(url, json=patch, headers={"If-Match": '"1"'})
            assert done.status_code == 200, done.text
            assert done.headers["etag"] == '"2"' and done.json()["version"] == 2
            updated = await next_event(events, "execution_plan_updated")
            assert isinstance(updated, PlanUpdated) and updated.version == 2
        again = await client.patch(url, json=patch, headers={"If-Match": '"1"'})
        assert again.status_code == 412  # the first writer won; the second must reload
        unknown = await client.patch(
            f"/api/projects/{uuid.uuid4()}/execution-plan", json=patch, headers={"If-Match": '"1"'}
        )
        assert unknown.status_code == 404
        assert history_versions(db_url, project_id) == [1, 2]


async def test_patch_refuses_bad_adjustments_with_the_reason(db_url: str, repo: Path) -> None:
    async with api_client(db_url) as (client, app):
        project_id = await create_project(client, repo)
        plan = await built_plan(client, app, project_id)
        ids = task_ids((await client.get(f"/api/projects/{project_id}/tasks")).json())
        url = f"/api/projects/{project_id}/execution-plan"
        first, second = batch_of(plan, ids["T1"]), batch_of(plan, ids["T2"])
        assert first < second
        cases: list[tuple[dict[str, Any], str]] = [
            # T2 depends on T1: moving it into T1's batch would run it before its dependency
            ({"batch_overrides": [{"task_id": ids["T2"], "batch_id": first}]}, "would not run after"),
            ({"batch_overrides": [{"task_id": ids["T1"], "batch_id": second}]}, "would not run before"),
            ({"batch_overrides": [{"task_id": 999999, "batch_id": first}]}, "task 999999 is not in the plan"),
            ({"batch_overrides": [{"task_id": ids["T4"], "batch_id": 77}]}, "batch 77 is not in the plan"),
            ({"worktree_assignments": {str(ids["T4"]): "elsewhere"}}, "not a worktree name"),
            ({"worktree_assignments": {"x": "worktree-batch1-epic1"}}, "task id 'x'"),
            ({"batch_overrides": [{"batch_id": 1}]}, "batch_overrides"),
            ({"moves": []}, "moves"),
            ({}, "changes nothing"),
        ]
        for body, reason in cases:
            response = await client.patch(url, json=body, headers={"If-Match": '"1"'})
            assert response.status_code == 422, (body, response.text)
            assert reason in response.text, (reason, response.text)
        assert history_versions(db_url, project_id) == [1]


async def test_override_kept_across_rebuilds_and_reported_when_it_no_longer_applies(
    db_url: str, repo: Path
) -> None:
    async with api_client(db_url) as (client, app):
        project_id = await create_project(client, repo)
        plan = await built_plan(client, app, project_id)
        ids = task_ids((await client.get(f"/api/projects/{project_id}/tasks")).json())
        later = batch_of(plan, ids["T2"])
        assert batch_of(plan, ids["T4"]) < later
        move = {"batch_overrides": [{"task_id": ids["T4"], "batch_id": later}]}
        url = f"/api/projects/{project_id}/execution-plan"
        moved = await client.patch(url, json=move, headers={"If-Match": f'"{plan["version"]}"'})
        assert moved.status_code == 200, moved.text
        assert batch_of(moved.json(), ids["T4"]) == later

        rebuilt = await built_plan(client, app, project_id)
        assert rebuilt["version"] == 3
        assert batch_of(rebuilt, ids["T4"]) == later  # re-applied by the rebuild
        overrides = rebuilt["metadata"]["overrides"]
        assert overrides["stored"]["batch_overrides"] == move["batch_overrides"]
        assert overrides["not_applied"] == []

        # T4 now depends on T2, so running it beside T2 would break the dependency
        changed = tasks_doc(repo)
        changed["tasks"][3]["depends_on"] = ["T2"]
        assert (await client.put("/api/projects", json=changed)).status_code == 200
        rebuilt = await built_plan(client, app, project_id)
        not_applied = rebuilt["metadata"]["overrides"]["not_applied"]
        assert [item["override"] for item in not_applied] == [{"task_id": ids["T4"], "batch_id": later}]
        assert "would not run after" in not_applied[0]["reason"]
        assert batch_of(rebuilt, ids["T4"]) > batch_of(rebuilt, ids["T2"])
        assert history_versions(db_url, project_id) == [1, 2, 3, 4]


async def test_patch_puts_a_task_in_another_worktree_of_its_batch(db_url: str, repo: Path) -> None:
    async with api_client(db_url) as (client, app):
        project_id = await create_project(client, repo)
        plan = await built_plan(client, app, project_id)
        ids = task_ids((await client.get(f"/api/projects/{project_id}/tasks")).json())
        worktrees = plan["worktree_assignments"]
        assert worktrees[str(ids["T4"])] != worktrees[str(ids["T1"])]  # same batch, two worktrees
        patch = {"worktree_assignments": {str(ids["T4"]): worktrees[str(ids["T1"])]}}
        response = await client.patch(
            f"/api/projects/{project_id}/execution-plan", json=patch, headers={"If-Match": '"1"'}
        )
        assert response.status_code == 200, response.text
        adjusted = response.json()
        assert adjusted["worktree_assignments"][str(ids["T4"])] == worktrees[str(ids["T1"])]
        assert (
            adjusted["metadata"]["overrides"]["stored"]["worktree_assignments"]
            == patch["worktree_assignments"]
        )


async def test_the_plan_and_its_ready_event_say_why_it_is_serial(db_url: str, repo: Path) -> None:
    tasks = [
        {"key": "T1", "epic": "E1", "description": "Add POST /orders to api/orders.py"},
        {"key": "T2", "epic": "E2", "description": "Validate the totals in api/orders.py"},
        {"key": "T3", "epic": "E3", "description": "Log refunds in api/orders.py"},
    ]
    async with api_client(db_url) as (client, app):
        project_id = await create_project(client, repo, tasks=tasks)
        with app.state.events.subscribe(project_id) as events:
            plan = await built_plan(client, app, project_id)
            ready = await next_event(events, "execution_plan_ready")
        (reason,) = plan["metadata"]["why"]
        assert reason["kind"] == "shared_file" and reason["files"] == ["api/orders.py"]
        assert reason["text"].startswith("3 of 3 tasks are predicted to change api/orders.py;")
        assert sorted(reason["task_ids"]) == sorted(t["id"] for t in plan["tasks"])
        assert isinstance(ready, PlanReady) and ready.summary.why == [reason["text"]]
        # an adjustment keeps the reasons, and its answer documents them too
        ids = task_ids((await client.get(f"/api/projects/{project_id}/tasks")).json())
        patch = {"batch_overrides": [{"batch_id": batch_of(plan, ids["T1"]), "sequential": True}]}
        url = f"/api/projects/{project_id}/execution-plan"
        done = await client.patch(url, json=patch, headers={"If-Match": '"1"'})
        assert done.status_code == 200, done.text
        assert done.json()["metadata"]["why"] == plan["metadata"]["why"]
        assert done.json()["metadata"]["max_worktrees"] == plan["metadata"]["max_worktrees"]


ARABIC_ONE = "\N{ARABIC-INDIC DIGIT ONE}"  # int() reads it as 1; no id is written with it


def one_line(response: Any, status: int) -> str:
    """The detail of a JSON error of `status`: one short line (no echo of a huge header or value)."""
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail and len(detail) < 300, detail
    return str(detail)


async def test_if_match_and_if_none_match_are_read_as_http_says(db_url: str, repo: Path) -> None:
    async with api_client(db_url) as (client, app):
        project_id = await create_project(client, repo)
        plan = await built_plan(client, app, project_id)
        ids = task_ids((await client.get(f"/api/projects/{project_id}/tasks")).json())
        url = f"/api/projects/{project_id}/execution-plan"
        patch = {"batch_overrides": [{"batch_id": batch_of(plan, ids["T2"]), "sequential": True}]}
        # If-Match compares strongly, octet by octet: none of these names version 1
        for tag in (
            f'"{"9" * 5000}"',
            '"99999999999"',
            '"01"',
            'W/"1"',
            '"1',
            "1x",
            '"-1"',
            f'"{ARABIC_ONE}"',
        ):
            response = await client.patch(url, json=patch, headers={b"If-Match": tag.encode()})
            assert "If-Match" in one_line(response, 412)
        assert history_versions(db_url, project_id) == [1]

        # If-None-Match compares weakly (RFC 9110 13.1.2): W/"1" names version 1, * any version
        for tags in ('"1"', 'W/"1"', "*", ' "0" , W/"1"', 'W/"7", "1"'):
            response = await client.get(url, headers={"If-None-Match": tags})
            assert response.status_code == 304, tags
            assert response.headers["etag"] == '"1"' and response.content == b""
        for tags in ('"2"', 'W/"2"', '"01"', "9" * 5000, f'"{"9" * 5000}"', 'W/"', ","):
            response = await client.get(url, headers={"If-None-Match": tags})
            assert response.status_code == 200 and response.json()["version"] == 1, tags


async def test_patch_with_huge_or_foreign_numbers_is_a_422_not_a_500(db_url: str, repo: Path) -> None:
    async with api_client(db_url) as (client, app):
        project_id = await create_project(client, repo)
        plan = await built_plan(client, app, project_id)
        ids = task_ids((await client.get(f"/api/projects/{project_id}/tasks")).json())
        url = f"/api/projects/{project_id}/execution-plan"
        task, batch = str(ids["T4"]), batch_of(plan, ids["T4"])
        huge = "9" * 5000
        cases: list[tuple[dict[str, Any], str]] = [
            ({"worktree_assignments": {task: f"worktree-batch{huge}-epic1"}}, "not a worktree name"),
            ({"worktree_assignments": {task: f"worktree-batch{batch}-epic{huge}"}}, "not a worktree name"),
            ({"worktree_assignments": {task: f"worktree-batch{batch}-task{huge}"}}, "not a worktree name"),
            ({"worktree_assignments": {task: f"worktree-batch{batch}-epic1{huge}"}}, "not a worktree name"),
            # digits of other scripts are not ids
            (
                {"worktree_assignments": {task: f"worktree-batch{batch}-epic{ARABIC_ONE}"}},
                "not a worktree name",
            ),
            ({"worktree_assignments": {huge: "worktree-batch1-epic1"}}, "task id"),
            ({"worktree_assignments": {ARABIC_ONE: "worktree-batch1-epic1"}}, "task id"),
            ({"worktree_assignments": {"-3": "worktree-batch1-epic1"}}, "task id"),
            ({"batch_overrides": [{"task_id": ids["T4"], "batch_id": int(huge[:4000])}]}, "batch_id"),
            ({"batch_overrides": [{"task_id": int(huge[:4000]), "batch_id": batch}]}, "task_id"),
            ({"batch_overrides": [{"batch_id": 2**63, "sequential": True}]}, "batch_id"),
        ]
        for body, where in cases:
            response = await client.patch(url, json=body, headers={"If-Match": '"1"'})
            assert where in one_line(response, 422), (str(body)[:80], response.text[:300])
        # a number JSON cannot carry as an integer: the body is not JSON that can be read
        big_number = b'{"batch_overrides": [{"batch_id": ' + huge.encode() + b', "sequential": true}]}'
        response = await client.patch(
            url, content=big_number, headers={"If-Match": '"1"', "Content-Type": "application/json"}
        )
        assert response.status_code in (400, 422) and len(response.text) < 400, response.text
        assert history_versions(db_url, project_id) == [1]
