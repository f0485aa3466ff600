"""The service through a database outage: every connection cut and new ones refused (the proxy
of tests/db_proxy.py), then the database back. Requests get a quick one-line 503 meanwhile,
never a hang or a 500; afterwards they work at once; automatic builds happen again."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from pathlib import Path

import psycopg
import pytest

from api.cli.main import main
from planner.core.errors import DatabaseUnavailableError
from planner.storage.database import Database
from tests.db_proxy import database_proxy
from tests.test_api_events import wait_until
from tests.test_api_support import api_client, create_project, history_versions

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def complete_session_0(db_url: str, project_id: str) -> None:
    """Session 0 completes, written straight into the database as an orchestrator would."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO sessions (project_id, session_number, type, status, started_at, ended_at)"
            " VALUES (%s, 0, 'initializer', 'completed', now(), now())",
            (project_id,),
        )


def logged(caplog: pytest.LogCaptureFixture, *words: str) -> bool:
    return any(all(word in record.getMessage() for word in words) for record in caplog.records)


async def sweeps_failed(caplog: pytest.LogCaptureFixture, times: int) -> None:
    """Wait until the periodic sweep has met the outage `times` times (and logged it)."""
    failed = "sweep for projects needing a plan failed"
    await wait_until(lambda: sum(failed in r.getMessage() for r in caplog.records) >= times, seconds=20)


async def test_automatic_builds_happen_again_after_a_database_outage(
    db_url: str, repo: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with (
        database_proxy(db_url) as proxy,
        api_client(proxy.url, sweep_interval=0.1, db_timeout=0.3) as (client, app),
    ):
        project_id = await create_project(client, repo)
        await proxy.cut()
        # the loops meet the outage: the LISTEN connection is lost, sweeps fail, more than once
        await wait_until(lambda: logged(caplog, "LISTEN", "connection lost"), seconds=20)
        await sweeps_failed(caplog, 3)
        listener = app.state.session_listener
        connects = listener.channel.connects
        await proxy.restore()
        await wait_until(lambda: listener.channel.connects > connects, seconds=20)
        complete_session_0(db_url, project_id)
        await wait_until(lambda: history_versions(db_url, project_id) == [1], seconds=30)
        assert not logged(caplog, "unexpected failure")  # nothing escaped as a bug


async def test_an_automatic_build_due_during_the_outage_is_made_once_the_database_is_back(
    db_url: str, repo: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with (
        database_proxy(db_url) as proxy,
        api_client(proxy.url, sweep_interval=0.1, db_timeout=0.3) as (client, app),
    ):
        project_id = await create_project(client, repo)
        listener = app.state.session_listener
        # Session 0 completes, but the service's notification is lost with its connection
        await proxy.cut()
        complete_session_0(db_url, project_id)
        await sweeps_failed(caplog, 3)
        assert history_versions(db_url, project_id) == []
        await proxy.restore()
        await wait_until(lambda: history_versions(db_url, project_id) == [1], seconds=30)
        await app.state.builds.wait_idle()
        assert listener.channel.listening.is_set()


async def test_requests_get_a_quick_503_while_the_database_is_down_and_work_once_it_is_back(
    db_url: str, repo: Path
) -> None:
    async with database_proxy(db_url) as proxy, api_client(proxy.url, db_timeout=0.3) as (client, _app):
        project_id = await create_project(client, repo)
        paths = ["/api/projects", f"/api/projects/{project_id}", f"/api/projects/{project_id}/execution-plan"]
        await proxy.cut()
        for path in paths:
            # a hang would end in the guard's TimeoutError, not in an answer
            response = await asyncio.wait_for(client.get(path), 15)
            assert response.status_code == 503, (path, response.text)
            detail = response.json()["detail"]
            assert detail.startswith("the database is not available") and "\n" not in detail
        built = await asyncio.wait_for(client.post(f"/api/projects/{project_id}/execution-plan/build"), 15)
        assert built.status_code == 503
        await proxy.restore()
        for path in paths[:2]:
            assert (await client.get(path)).status_code == 200, path


async def test_connections_left_in_the_pool_by_a_restart_are_replaced_before_use(
    db_url: str, repo: Path
) -> None:
    async with database_proxy(db_url) as proxy, api_client(proxy.url, db_timeout=0.3) as (client, app):
        await create_project(client, repo)
        # fill the pool with idle connections, then restart the database under them
        db = app.state.db
        async with contextlib.AsyncExitStack() as stack:
            for _ in range(4):
                await stack.enter_async_context(db.connection())
        assert db.pool.get_stats()["pool_available"] >= 4
        await proxy.cut()
        await proxy.restore()
        # every request right after the restart is answered: none gets a dead connection
        responses = await asyncio.gather(*(client.get("/api/projects") for _ in range(6)))
        assert [r.status_code for r in responses] == [200] * 6


async def test_a_database_that_refuses_is_said_so_at_once(db_url: str) -> None:
    async with database_proxy(db_url) as proxy:
        await proxy.cut()
        with pytest.raises(DatabaseUnavailableError) as refused:
            # a hang would end in the guard's TimeoutError, not in the error
            await asyncio.wait_for(Database(proxy.url, open_timeout=30).open(), 10)
        assert str(refused.value).startswith("cannot connect to the database: connection to server at")
        assert "\n" not in str(refused.value)


def test_the_command_line_says_in_one_line_that_the_database_is_down(
    db_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # a port no one listens on
    port = closed.getsockname()[1]
    monkeypatch.setenv("DATABASE_URL", f"postgresql://postgres@127.0.0.1:{port}/postgres")
    code = main(["build", "shop"])
    closed.close()
    err = capsys.readouterr().err
    assert code != 0
    assert err.startswith("execplan: error: cannot connect to the database:") and "Connection refused" in err
    assert len(err.strip().splitlines()) == 1
