"""The service's worktree watch (api/http/worktree_watch.py) over a real service, database, git
repository and worktrees: a conflict between live worktrees reaches a WebSocket client with no
check asked for, once; a changed or renewed conflict again; an error is logged and the watch goes on."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import expect
from websockets.asyncio.client import ClientConnection, connect

from api.http.worktree_watch import WorktreeWatch
from planner.core.settings import Settings
from planner.storage.database import Database
from planner.usecases.worktrees import create_worktrees
from tests.conftest import git, make_repo
from tests.db_proxy import database_proxy
from tests.plan_browser import CHROMIUM, chromium, open_page
from tests.test_api_events import wait_until
from tests.test_api_support import built_plan, create_project, served_app
from tests.test_api_worktrees import TASKS, TEXT, edit

WATCH_LOGGER = "api.http.worktree_watch"


async def next_message(ws: ClientConnection) -> dict[str, Any]:
    """The very next message, whatever its type (a generous timeout: no timing is asserted)."""
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 60))
    return message


async def rounds(watch: WorktreeWatch, count: int) -> None:
    """Until `count` more rounds have finished (a round that raised would end the watch: no more)."""
    await asyncio.wait_for(watch.wait_rounds(count), 60)


def watch_warnings(caplog: pytest.LogCaptureFixture, *words: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == WATCH_LOGGER and r.levelno >= logging.WARNING and all(w in r.getMessage() for w in words)
    ]


def watch_running() -> bool:
    return any(t.get_name() == "execplan-worktree-watch" for t in asyncio.all_tasks())


async def test_the_service_announces_new_worktree_conflicts_unasked(
    db_url: str, db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=WATCH_LOGGER)
    repo = make_repo(tmp_path / "shop", {"a.py": TEXT, "b.py": TEXT, "c.py": TEXT})
    lost = make_repo(tmp_path / "lost", {"a.py": TEXT, "b.py": TEXT})
    folder = tmp_path / "shop-worktrees"
    settings = Settings(max_worktrees=3, worktree_check_seconds=0.05)
    async with (
        served_app(db_url, settings=settings) as served,
        httpx.AsyncClient(base_url=served.base_url) as client,
    ):
        watch: WorktreeWatch = served.app.state.worktree_watch
        assert watch_running()
        # a project whose repository was deleted: an error in every round, before shop's turn
        broken = await create_project(client, lost, tasks=TASKS[:2], name="broken")
        await built_plan(client, served.app, broken)
        shutil.rmtree(lost.rename(tmp_path / "lost-deleted"))  # gone at once, for the watch's rounds
        project_id = await create_project(client, repo, tasks=TASKS)
        plan = await built_plan(client, served.app, project_id)
        _, made = await create_worktrees(db, project_id, Settings(), 1)
        assert [o.done for o in made] == ["created"] * 3
        one, two, three = sorted(set(plan["worktree_assignments"].values()))
        async with connect(served.ws_url(project_id)) as ws:
            edit(folder / one / "b.py", "line 2\n", "line two\n")
            edit(folder / two / "b.py", "line 2\n", "line 2!\n")
            assert await next_message(ws) == {
                "type": "worktree_conflict",
                "project_id": project_id,
                "batch": 1,
                "worktrees": [one, two],
                "files": ["b.py"],
                "files_omitted": 0,
                "predicted": [],
            }
            # rounds go by without sending it again: the next message is the next conflict's
            await rounds(watch, 3)
            edit(folder / one / "c.py", "line 5\n", "line five\n")
            edit(folder / three / "c.py", "line 5\n", "line 5!\n")
            following = await next_message(ws)
            assert following["worktrees"] == [one, three] and following["files"] == ["c.py"]
            # the same pair with more files is new
            edit(folder / one / "a.py", "line 9\n", "line nine\n")
            edit(folder / two / "a.py", "line 9\n", "line 9!\n")
            more = await next_message(ws)
            assert more["worktrees"] == [one, two] and more["files"] == ["a.py", "b.py"]
            # clean, then conflicting again: sent again (and only that: one-three is unchanged)
            git(folder / two, "checkout", "--", "a.py", "b.py")
            await rounds(watch, 2)
            edit(folder / two / "b.py", "line 2\n", "line 2!\n")
            again = await next_message(ws)
            assert again["worktrees"] == [one, two] and again["files"] == ["b.py"]

            # the repository away for a while: logged, what was known is kept, nothing re-sent
            repo.rename(tmp_path / "shop-away")
            await rounds(watch, 2)
            (tmp_path / "shop-away").rename(repo)
            assert watch_warnings(caplog, f"project {project_id}", "repository")
            await rounds(watch, 2)
            edit(folder / two / "c.py", "line 5\n", "line 5?\n")
            changed = await next_message(ws)
            assert changed["worktrees"] == [one, two] and changed["files"] == ["b.py", "c.py"]
            newly = await next_message(ws)
            assert newly["worktrees"] == [two, three] and newly["files"] == ["c.py"]
        # the deleted repository was logged once as a warning, though every round met it
        assert watch.rounds > 10
        logged = watch_warnings(caplog, f"project {broken}")
        steady = [line for line in logged if "does not exist" in line]
        assert len(steady) == 1 and "'broken'" in steady[0] and str(lost) in steady[0], logged
        # besides it, at most the one round that saw the folder go between two of its steps
        assert len(logged) <= 2, logged
    assert not watch_running()  # stopped with the service


async def test_the_watch_goes_on_after_a_database_outage(
    db_url: str, db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=WATCH_LOGGER)
    repo = make_repo(tmp_path / "shop", {"a.py": TEXT, "b.py": TEXT})
    folder = tmp_path / "shop-worktrees"
    settings = Settings(max_worktrees=3, worktree_check_seconds=0.05)
    async with (
        database_proxy(db_url) as proxy,
        served_app(proxy.url, settings=settings, db_timeout=0.3) as served,
        httpx.AsyncClient(base_url=served.base_url) as client,
    ):
        watch: WorktreeWatch = served.app.state.worktree_watch
        project_id = await create_project(client, repo, tasks=TASKS[:2])
        plan = await built_plan(client, served.app, project_id)
        await create_worktrees(db, project_id, Settings(), 1)
        one, two = sorted(set(plan["worktree_assignments"].values()))
        await proxy.cut()
        await rounds(watch, 3)
        assert watch_warnings(caplog, "the database is not available")
        assert not [r for r in caplog.records if r.name == WATCH_LOGGER and r.levelno >= logging.ERROR]
        listener = served.app.state.events.listener
        connects = listener.connects
        await proxy.restore()
        await wait_until(lambda: listener.connects > connects, seconds=30)  # events heard again
        async with connect(served.ws_url(project_id)) as ws:
            edit(folder / one / "a.py", "line 3\n", "line three\n")
            edit(folder / two / "a.py", "line 3\n", "line 3!\n")
            event = await next_message(ws)
            assert event["type"] == "worktree_conflict" and event["worktrees"] == [one, two]
            assert event["files"] == ["a.py"]
    assert not watch_running()


async def test_no_watch_at_zero(db_url: str) -> None:
    async with served_app(db_url, settings=Settings(worktree_check_seconds=0)):
        assert not watch_running()


async def test_what_the_watch_found_is_read_back_by_the_api_and_by_a_page_that_opens_later(
    db_url: str, db: Database, tmp_path: Path
) -> None:
    """`GET …/execution-plan/worktree-conflicts` gives the pairs the watch knows, checking nothing;
    a plan page opened after the announcement lists them all the same; unknown project: 404."""
    repo = make_repo(tmp_path / "shop", {"a.py": TEXT, "b.py": TEXT, "c.py": TEXT})
    folder = tmp_path / "shop-worktrees"
    settings = Settings(max_worktrees=3, worktree_check_seconds=0.05)
    async with (
        served_app(db_url, settings=settings) as served,
        httpx.AsyncClient(base_url=served.base_url) as client,
    ):
        watch: WorktreeWatch = served.app.state.worktree_watch
        project_id = await create_project(client, repo, tasks=TASKS)
        plan = await built_plan(client, served.app, project_id)
        await create_worktrees(db, project_id, Settings(), 1)
        one, two, _ = sorted(set(plan["worktree_assignments"].values()))
        url = f"/api/projects/{project_id}/execution-plan/worktree-conflicts"
        await rounds(watch, 2)
        first = (await client.get(url)).json()
        assert first == {"project_id": project_id, "watching": True, "every_seconds": 0.05, "conflicts": []}
        edit(folder / one / "b.py", "line 2\n", "line two\n")
        edit(folder / two / "b.py", "line 2\n", "line 2!\n")
        await rounds(watch, 2)
        known = (await client.get(url)).json()["conflicts"]
        assert known == [{"batch": 1, "worktrees": [one, two], "files": ["b.py"]}]
        assert (await client.get(url.replace(project_id, str(uuid.uuid4())))).status_code == 404
        if CHROMIUM.exists():  # the page's browser tests say when it is missing
            async with chromium() as browser:
                page, errors = await open_page(browser, f"{served.base_url}/projects/{project_id}/plan")
                await expect(page.locator("#real-list li")).to_contain_text(f"{one} ↔ {two} in b.py")
                await expect(page.locator(".worktree.real-conflict")).to_have_count(2)
                # dismissed, it stays away while its files stay the same (a reconnection reads it again)
                await page.locator("#real-list .dismiss").click()
                await expect(page.locator("#real-conflicts")).to_be_hidden()
                await page.evaluate("window.dispatchEvent(new Event('online'))")
                await rounds(watch, 2)
                await expect(page.locator("#real-conflicts")).to_be_hidden()
                assert errors == []
    async with (
        served_app(db_url, settings=Settings(worktree_check_seconds=0)) as served,
        httpx.AsyncClient(base_url=served.base_url) as client,
    ):
        off = (await client.get(f"/api/projects/{project_id}/execution-plan/worktree-conflicts")).json()
        assert off["watching"] is False and off["conflicts"] == []
