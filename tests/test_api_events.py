"""Plan events and automatic builds, over a real WebSocket: Session 0, reconnects, the sweep,
two server processes sharing one database, and a slow client that must not stall the others."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import psycopg
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from analyzer import index_files, list_tracked_files
from analyzer.indexing import PROCESS_MIN_BYTES
from api.http.events import EventBroadcaster
from api.http.schemas import PlanBuilding, PlanReady
from planner.core.progress import STAGES
from planner.storage.database import Database
from planner.storage.index_store import refresh_index
from planner.usecases.automation import announce
from planner.usecases.workers import BUILD_NICENESS
from tests.conftest import commit_files, large_python_tree
from tests.test_api_support import (
    api_client,
    create_project,
    history_versions,
    next_event,
    next_ws_event,
    served_app,
    terminate_backend,
)

SESSION_0_DONE = {"type": "initializer", "status": "completed"}


async def wait_until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Poll `condition` (the state of another task, e.g. a reconnecting listener) until it holds."""
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - there is nothing to wait on but the state itself
            await asyncio.sleep(0.02)


async def test_session_0_completion_builds_the_plan_and_tells_the_websocket(db_url: str, repo: Path) -> None:
    async with served_app(db_url) as served, httpx.AsyncClient(base_url=served.base_url) as client:
        project_id = await create_project(client, repo)
        other_id = await create_project(client, repo, name="other")
        async with connect(served.ws_url(project_id)) as ws, connect(served.ws_url(other_id)) as other:
            running = await client.put(
                f"/api/projects/{project_id}/sessions/0", json={"type": "initializer", "status": "running"}
            )
            assert running.status_code == 200
            response = await client.put(f"/api/projects/{project_id}/sessions/0", json=SESSION_0_DONE)
            assert response.status_code == 200
            building = await next_ws_event(ws, "execution_plan_building")
            ready = await next_ws_event(ws, "execution_plan_ready")
            assert building["project_id"] == ready["project_id"] == project_id
            assert ready["build_id"] == building["build_id"]
            assert ready["summary"]["version"] == 1 and ready["summary"]["tasks"] == 4
            with pytest.raises(TimeoutError):  # the other project's client hears nothing
                await asyncio.wait_for(other.recv(), 0.3)
        plan = await client.get(f"/api/projects/{project_id}/execution-plan")
        assert plan.status_code == 200 and plan.json()["version"] == 1
        assert ready["summary"]["why"] == [r["text"] for r in plan.json()["metadata"]["why"]]
        # completing it again (no status change) builds nothing more
        await client.put(f"/api/projects/{project_id}/sessions/0", json=SESSION_0_DONE)
        await served.app.state.builds.wait_idle()
        assert history_versions(db_url, project_id) == [1]


async def test_websocket_for_unknown_project_is_refused(db_url: str) -> None:
    async with served_app(db_url) as served:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(served.ws_url(str(uuid.uuid4()))):
                pass
        assert refused.value.response.status_code == 404


async def test_listener_recovers_from_a_dropped_connection(db_url: str, repo: Path) -> None:
    async with api_client(db_url) as (client, app):
        project_id = await create_project(client, repo)
        listener = app.state.session_listener
        first_pid = listener.backend_pid
        assert first_pid is not None
        terminate_backend(db_url, first_pid)
        await wait_until(lambda: listener.backend_pid not in (None, first_pid))
        assert listener.channel.connects == 2
        with app.state.events.subscribe(project_id) as events:
            await client.put(f"/api/projects/{project_id}/sessions/0", json=SESSION_0_DONE)
            ready = await next_event(events, "execution_plan_ready")
        assert isinstance(ready, PlanReady) and ready.summary.version == 1


async def test_broadcaster_recovers_from_a_dropped_connection(db_url: str, repo: Path) -> None:
    async with api_client(db_url) as (client, app):
        project_id = await create_project(client, repo)
        events: EventBroadcaster = app.state.events
        first_pid = events.backend_pid
        assert first_pid is not None
        terminate_backend(db_url, first_pid)
        await wait_until(lambda: events.backend_pid not in (None, first_pid))
        with events.subscribe(project_id) as subscription:
            await client.post(f"/api/projects/{project_id}/execution-plan/build")
            assert isinstance(await next_event(subscription, "execution_plan_ready"), PlanReady)


async def test_sweep_builds_a_plan_whose_notification_was_missed(db_url: str, repo: Path) -> None:
    async with api_client(db_url, sweep_interval=0.3) as (client, app):
        project_id = await create_project(client, repo)
        # Session 0 completes while its notification is lost (the trigger is off)
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute("ALTER TABLE sessions DISABLE TRIGGER execplan_session_completed")
            conn.execute(
                "INSERT INTO sessions (project_id, session_number, type, status, started_at, ended_at)"
                " VALUES (%s, 0, 'initializer', 'completed', now(), now())",
                (project_id,),
            )
            conn.execute("ALTER TABLE sessions ENABLE TRIGGER execplan_session_completed")
        with app.state.events.subscribe(project_id) as events:
            await next_event(events, "execution_plan_ready", seconds=10)
        await app.state.builds.wait_idle()
        assert history_versions(db_url, project_id) == [1]
        await asyncio.sleep(0.7)  # later sweeps find nothing left to build
        assert history_versions(db_url, project_id) == [1]


async def test_two_server_processes_share_events_and_build_once(db_url: str, repo: Path) -> None:
    async with (
        served_app(db_url) as first,
        served_app(db_url) as second,
        httpx.AsyncClient(base_url=first.base_url) as client1,
        httpx.AsyncClient(base_url=second.base_url) as client2,
    ):
        project_id = await create_project(client1, repo)
        async with connect(first.ws_url(project_id)) as ws1, connect(second.ws_url(project_id)) as ws2:
            # a build requested from the first process is seen by a client of the second
            accepted = (await client1.post(f"/api/projects/{project_id}/execution-plan/build")).json()
            building = await next_ws_event(ws2, "execution_plan_building")
            ready = await next_ws_event(ws2, "execution_plan_ready")
            assert building["build_id"] == ready["build_id"] == accepted["build_id"]
            await next_ws_event(ws1, "execution_plan_ready")

            # both processes hear Session 0 complete; exactly one of them builds
            await client1.put(f"/api/projects/{project_id}/sessions/0", json=SESSION_0_DONE)
            ready1 = await next_ws_event(ws1, "execution_plan_ready")
            ready2 = await next_ws_event(ws2, "execution_plan_ready")
            assert ready1 == ready2 and ready1["summary"]["version"] == 2
            await first.app.state.builds.wait_idle()
            await second.app.state.builds.wait_idle()
            assert history_versions(db_url, project_id) == [1, 2]

            # a PATCH through the second process reaches the first one's client
            plan = (await client2.get(f"/api/projects/{project_id}/execution-plan")).json()
            patched = await client2.patch(
                f"/api/projects/{project_id}/execution-plan",
                json={"batch_overrides": [{"batch_id": plan["batches"][0]["batch_id"], "sequential": True}]},
                headers={"If-Match": '"2"'},
            )
            assert patched.status_code == 200, patched.text
            updated = await next_ws_event(ws1, "execution_plan_updated")
            assert updated["version"] == 3


async def test_a_build_running_in_another_process_is_reported_not_duplicated(db_url: str, repo: Path) -> None:
    async with (
        served_app(db_url) as first,
        served_app(db_url) as second,
        httpx.AsyncClient(base_url=first.base_url) as client1,
        httpx.AsyncClient(base_url=second.base_url) as client2,
    ):
        project_id = await create_project(client1, repo)
        build = f"/api/projects/{project_id}/execution-plan/build"
        async with (
            connect(second.ws_url(project_id)) as ws2,
            await psycopg.AsyncConnection.connect(db_url, autocommit=True) as holder,
        ):
            # hold the project's lock, as a long build would, so that the first process's build waits
            await holder.execute(
                "SELECT pg_advisory_lock(hashtextextended('execplan_project:' || %s::text, 0))", (project_id,)
            )
            started = (await client1.post(build)).json()
            await next_ws_event(ws2, "execution_plan_building")  # the second process has heard of it
            reported = (await client2.post(build)).json()
            assert reported == {**started, "already_running": True}
            await holder.execute("SELECT pg_advisory_unlock_all()")
            assert (await next_ws_event(ws2, "execution_plan_ready"))["build_id"] == started["build_id"]
        assert (await client2.post(build)).json()["already_running"] is False  # it has finished
        await second.app.state.builds.wait_idle()
        assert history_versions(db_url, project_id) == [1, 2]


async def stalled_websocket(base_url: str, path: str) -> socket.socket:
    """A WebSocket client that completes the handshake and then never reads again."""
    host, port = base_url.removeprefix("http://").split(":")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, (host, int(port)))
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    await loop.sock_sendall(sock, request.encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += await loop.sock_recv(sock, 1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


async def test_a_slow_websocket_client_does_not_stall_the_others(db_url: str, repo: Path) -> None:
    count, padding = 300, "x" * 6000  # ~1.8 MB: far more than a stalled connection's buffers hold
    async with (
        served_app(db_url, client_queue_size=8, send_buffer=8192) as served,
        Database(db_url, max_size=2) as db,
    ):
        async with httpx.AsyncClient(base_url=served.base_url) as client:
            project_id = await create_project(client, repo)
        slow = await stalled_websocket(served.base_url, f"/api/ws/{project_id}")
        try:
            async with connect(served.ws_url(project_id)) as fast:
                for n in range(count):
                    await announce(db, "execution_plan_error", project_id, build_id=str(n), error=padding)
                received: list[str] = []
                async with asyncio.timeout(10):
                    while len(received) < count:
                        received.append(json.loads(await fast.recv())["build_id"])
                assert received == [str(n) for n in range(count)]  # all of them, in order
                subscriptions = served.app.state.events._subscriptions[project_id]
                dropped = sorted(s.dropped for s in subscriptions)
                assert dropped[0] == 0 and dropped[1] > count / 2  # only the stalled one lost events
        finally:
            slow.close()


async def test_bounded_queues_drop_the_oldest_events_of_a_slow_subscriber(db_url: str) -> None:
    broadcaster = EventBroadcaster(db_url, queue_size=4)
    project_id = str(uuid.uuid4())
    with broadcaster.subscribe(project_id) as slow, broadcaster.subscribe(None) as everything:
        for n in range(10):
            broadcaster.publish(
                PlanBuilding(type="execution_plan_building", project_id=project_id, build_id=str(n))
            )
        assert slow.dropped == everything.dropped == 6
        kept = [await slow.next() for _ in range(4)]
        assert [e.build_id for e in kept if isinstance(e, PlanBuilding)] == ["6", "7", "8", "9"]
    assert broadcaster.subscriber_count(project_id) == 0


async def test_a_build_runs_in_a_worker_process_and_reports_its_stages(db_url: str, repo: Path) -> None:
    async with served_app(db_url) as served, httpx.AsyncClient(base_url=served.base_url) as client:
        project_id = await create_project(client, repo)
        async with connect(served.ws_url(project_id)) as ws:
            response = await client.post(f"/api/projects/{project_id}/execution-plan/build")
            assert response.status_code == 202
            stages: list[str] = []
            async with asyncio.timeout(30):
                while True:
                    message = json.loads(await ws.recv())
                    if message["type"] == "execution_plan_ready":
                        break
                    if message["type"] == "execution_plan_building" and message.get("stage"):
                        assert 0.0 <= message["fraction"] <= 1.0
                        stages.append(message["stage"])
        assert list(dict.fromkeys(stages)) == list(STAGES)  # every stage, in order
        await served.app.state.builds.wait_idle()
        pool = served.app.state.builds.pool
        assert pool is not None and pool.built == 1  # by the worker, not the service's own process
        # the worker yields the CPU to the service: its priority is lower than the service's
        worker_niceness = await asyncio.wrap_future(pool._pool().submit(os.nice, 0))
        assert worker_niceness >= os.nice(0) + min(BUILD_NICENESS, 19 - os.nice(0))


async def test_a_build_worker_parses_a_large_repository_in_processes_of_its_own(
    db_url: str, repo: Path
) -> None:
    commit_files(repo, large_python_tree(PROCESS_MIN_BYTES), "many modules")
    files = list_tracked_files(repo)
    assert sum(f.size for f in files) >= PROCESS_MIN_BYTES  # so the build worker parses in processes
    async with served_app(db_url) as served, httpx.AsyncClient(base_url=served.base_url) as client:
        project_id = await create_project(client, repo)
        response = await client.post(f"/api/projects/{project_id}/execution-plan/build")
        assert response.status_code == 202
        await served.app.state.builds.wait_idle()
        plan = await client.get(f"/api/projects/{project_id}/execution-plan")
        assert plan.status_code == 200, plan.text
        pool = served.app.state.builds.pool
        assert pool is not None and pool.built == 1
    async with Database(db_url) as db:
        index, report = await refresh_index(db, repo)  # what the build worker stored
    assert report.parsed == 0 and report.commits == 0
    assert index.records == index_files(repo, files, progress=False, workers=0)
