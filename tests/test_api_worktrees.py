"""GET …/execution-plan/check and …/merge-order over real HTTP on real worktrees, and the
`worktree_conflict` event a WebSocket client of the project receives when a check finds a pair
that conflicts (from the API, and from the command line's check through the same channel)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

from planner.core.settings import Settings
from planner.storage.database import Database
from planner.usecases.merge_check import check_batch
from planner.usecases.worktrees import create_worktrees
from tests.conftest import git, make_repo
from tests.test_api_support import built_plan, create_project, next_ws_event, served_app

TEXT = "".join(f"line {n}\n" for n in range(1, 21))
TASKS = [
    {"key": "T1", "epic": "E1", "description": "Change a.py"},
    {"key": "T2", "epic": "E2", "description": "Change b.py"},
    {"key": "T3", "epic": "E3", "description": "Change c.py"},
]


def edit(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text().replace(old, new))


async def test_check_and_merge_order_over_http_and_the_conflict_event(
    db_url: str, db: Database, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "shop", {"a.py": TEXT, "b.py": TEXT, "c.py": TEXT})
    folder = tmp_path / "shop-worktrees"  # the service's default: beside the repository
    async with served_app(db_url) as served, httpx.AsyncClient(base_url=served.base_url) as client:
        project_id = await create_project(client, repo, tasks=TASKS)
        plan = await built_plan(client, served.app, project_id)
        check_url = f"/api/projects/{project_id}/execution-plan/check"
        missing = await client.get(check_url)
        assert (
            missing.status_code == 404 and "no worktree of project 'shop' is in" in missing.json()["detail"]
        )
        assert (await client.get(check_url, params={"batch": 0})).status_code == 422
        _, made = await create_worktrees(db, project_id, Settings(), 1)
        assert [o.done for o in made] == ["created"] * 3
        one, two, three = sorted(set(plan["worktree_assignments"].values()))
        edit(folder / one / "b.py", "line 2\n", "line two\n")
        edit(folder / two / "b.py", "line 2\n", "line 2!\n")
        edit(folder / three / "c.py", "line 2\n", "line 2!\n")
        async with connect(served.ws_url(project_id)) as ws:
            response = await client.get(check_url, params={"batch": 1})
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["batch"] == 1 and body["clean"] is False and body["missing"] == []
            pairs = {tuple(p["worktrees"]): p for p in body["pairs"]}
            assert pairs[(one, two)] == {
                "worktrees": [one, two],
                "clean": False,
                "files": ["b.py"],
                "predicted": [],
            }
            assert pairs[(one, three)]["clean"] and pairs[(two, three)]["files"] == []
            event = await next_ws_event(ws, "worktree_conflict")
            assert event == {
                "type": "worktree_conflict",
                "project_id": project_id,
                "batch": 1,
                "worktrees": [one, two],
                "files": ["b.py"],
                "files_omitted": 0,
                "predicted": [],
            }
            # a check made elsewhere (the command line's use case) is heard too
            await check_batch(db, project_id, Settings())
            assert (await next_ws_event(ws, "worktree_conflict"))["worktrees"] == [one, two]
            git(folder / two, "checkout", "--", "b.py")
            clean = await client.get(check_url)
            assert clean.status_code == 200 and clean.json()["clean"] is True
            # a clean check sends nothing: the next message is the next conflict's
            edit(folder / one / "c.py", "line 2\n", "line two\n")
            assert (await client.get(check_url)).json()["clean"] is False
            following = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert following["type"] == "worktree_conflict" and following["worktrees"] == [one, three]
            assert following["files"] == ["c.py"]
            git(folder / one, "checkout", "--", "c.py")
        for name in (one, two, three):
            git(folder / name, "commit", "-q", "--allow-empty", "-am", name)
        order = await client.get(
            f"/api/projects/{project_id}/execution-plan/merge-order", params={"batch": 1}
        )
        assert order.status_code == 200, order.text
        proposal = order.json()
        assert proposal["exhaustive"] is True and proposal["base"] == git(repo, "rev-parse", "HEAD").strip()
        assert [s["clean"] for s in proposal["order"]] == [True, True, True] and proposal[
            "needs_person"
        ] == []
        assert sorted(s["branch"] for s in proposal["order"]) == [one, two, three]
        none = await client.get(f"/api/projects/{project_id}/execution-plan/merge-order", params={"batch": 9})
        assert none.status_code == 404 and "has no batch 9" in none.json()["detail"]
