"""The plan page, driven in headless Chromium (Debian's `chromium`, installed by `.ci/run`).

The real service (`api.app.create_app`, which includes the page's router) runs under uvicorn on a
free loopback port, on this test's own PostgreSQL database, with plans built by the real planner.
Playwright opens `/projects/{id}/plan` and the test checks what is on screen: batches left to
right, each worktree lane holding its tasks' cards, conflict counts, a file's evidence on hover,
why a plan is not more parallel (at the top; hovering a reason marks its tasks' cards),
and the page following the plan without being reloaded (building indicator, a PATCH through the
API, a rebuild through the API, a failed build); the page acting through the PATCH (a batch made
sequential, a task moved to another batch or worktree, Rebuild, a stale version said so); worktrees
a check found really conflicting (listed, outlined, dismissed); also the
page without a plan, and the token form when the service needs a token. Screenshots go to the
test's temporary folder (the first one's path is printed).
"""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from playwright.async_api import Browser, Page, async_playwright, expect

from api.http.app import ServiceConfig, create_app
from api.http.page import router as page_router
from api.http.page import serves_without_token
from planner.core.settings import Settings
from planner.storage.database import Database
from planner.storage.importer import import_task_file, parse_task_file
from planner.usecases.automation import announce, plan_summary
from planner.usecases.build import build_plan
from tests.conftest import make_repo

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 8000

TASKS: dict[str, Any] = {
    "project": {"name": "shop"},
    "epics": [
        {"key": "D", "name": "Data", "priority": 1},
        {"key": "A", "name": "API", "priority": 2},
        {"key": "W", "name": "Web", "priority": 3},
    ],
    "tasks": [
        {"key": "T1", "epic": "D", "description": "Add a connection pool to core/database.py"},
        {"key": "T2", "epic": "A", "description": "Add POST /orders in api/orders.py", "depends_on": ["T1"]},
        {"key": "T3", "epic": "W", "description": "Orders page calling api/orders.py", "depends_on": ["T1"]},
        {"key": "T4", "epic": "W", "description": "Style the shop in web/app.js"},
        {"key": "T5", "epic": "A", "description": "Read DATABASE_URL in core/config.py"},
        {"key": "T6", "epic": "A", "description": "Create api/users.py sign-up", "depends_on": ["T2"]},
    ],
}


# --------------------------------------------------------------------------- the app under test


def service(db_url: str, token: str | None = None) -> FastAPI:
    """The real service (`api.app.create_app`) on this test's database; it includes the page's router."""
    return create_app(Settings(), ServiceConfig(database_url=db_url, api_token=token))


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    """Serve `app` with uvicorn on a free port of 127.0.0.1; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(500):
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        if not server.started:
            if task.done():
                task.result()  # raises what stopped it
            raise RuntimeError("uvicorn did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)
        sock.close()


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def open_page(browser: Browser, url: str) -> tuple[Page, list[str]]:
    """A new tab on `url`, and the list its script errors and console errors are collected in."""
    page = await browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    await page.goto(url)
    return page, errors


# What the page draws, read from the DOM in one go: boxes and data attributes.
LAYOUT_JS = """() => {
  const box = (n) => {
    const r = n.getBoundingClientRect();
    return {x: r.x, y: r.y, w: r.width, h: r.height};
  };
  return {
    batches: [...document.querySelectorAll('.batch-head')].map(n => ({id: +n.dataset.batchId, box: box(n)})),
    lanes: [...document.querySelectorAll('.lane')].map(n => ({lane: n.dataset.lane,
                                                              box: box(n.querySelector('.lane-head'))})),
    worktrees: [...document.querySelectorAll('.worktree')].map(n => ({
      name: n.dataset.worktree, lane: n.closest('.lane').dataset.lane,
      batch: +n.closest('.cell').dataset.batchId, box: box(n),
      cards: [...n.querySelectorAll('.card')].map(c => c.dataset.taskKey)})),
    cards: [...document.querySelectorAll('.card')].map(n => ({key: n.dataset.taskKey, box: box(n),
      worktree: n.dataset.worktree, batch: +n.dataset.batchId,
      badges: [...n.querySelectorAll('.conflict-count')].filter(b => b.offsetWidth > 0).length})),
  };
}"""


def inside(inner: dict[str, float], outer: dict[str, float], slack: float = 1.0) -> bool:
    return (
        inner["x"] >= outer["x"] - slack
        and inner["y"] >= outer["y"] - slack
        and inner["x"] + inner["w"] <= outer["x"] + outer["w"] + slack
        and inner["y"] + inner["h"] <= outer["y"] + outer["h"] + slack
    )


def check_layout(layout: dict[str, Any], plan: dict[str, Any]) -> None:
    """The picture matches the plan: columns in batch order, lanes as rows, cards where they belong."""
    keys = {t["id"]: t["key"] for t in plan["tasks"]}
    batch_ids = [b["batch_id"] for b in plan["batches"]]
    heads = layout["batches"]
    assert [h["id"] for h in heads] == batch_ids
    xs = [h["box"]["x"] for h in heads]
    assert xs == sorted(xs) and len(set(xs)) == len(xs), f"batch columns not left to right: {xs}"
    column = {h["id"]: h["box"] for h in heads}
    row = {lane["lane"]: lane["box"] for lane in layout["lanes"]}
    ys = [box["y"] for box in row.values()]
    assert len(set(ys)) == len(ys), "two lanes share a row"

    expected: dict[str, list[str]] = {}
    for batch in plan["batches"]:
        for task_id in batch["task_ids"]:
            expected.setdefault(plan["worktree_assignments"][str(task_id)], []).append(keys[task_id])
    drawn = {w["name"]: w for w in layout["worktrees"]}
    assert {name: w["cards"] for name, w in drawn.items()} == expected
    for name, worktree in drawn.items():
        lane = name.split("-", 2)[2]  # worktree-batch{N}-epic{M}: the lane is epic{M}
        assert worktree["lane"] == lane
        lane_box, col_box = row[lane], column[worktree["batch"]]
        # the worktree sits in its lane's row and its batch's column
        assert lane_box["y"] - 1 <= worktree["box"]["y"]
        assert worktree["box"]["y"] + worktree["box"]["h"] <= lane_box["y"] + lane_box["h"] + 1
        assert col_box["x"] - 1 <= worktree["box"]["x"]
        assert worktree["box"]["x"] + worktree["box"]["w"] <= col_box["x"] + col_box["w"] + 1
    for card in layout["cards"]:
        assert inside(card["box"], drawn[card["worktree"]]["box"]), card
        assert card["box"]["w"] > 100 and card["box"]["h"] > 30, f"card too small to read: {card}"


# --------------------------------------------------------------------------- tests


def keeps_apart(conflict: dict[str, Any], meta: dict[str, Any]) -> bool:
    """What the page counts on a card: a conflict that keeps its tasks apart under the plan's settings."""
    if conflict.get("merge_friendly") and not meta["split_merge_friendly"]:
        return False
    return bool(
        conflict["conflict_type"] in meta["split_on"]
        and conflict["strength"] >= meta["min_conflict_strength"]
    )


def tasks_file(repo: Path, name: str = "shop", **changes: Any) -> Any:
    doc = {**TASKS, "project": {"name": name, "repo_path": str(repo)}, **changes}
    return parse_task_file(doc, repo)


pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")


async def test_plan_page_shows_the_plan_and_follows_it_live(db_url: str, repo: Path, tmp_path: Path) -> None:
    async with Database(db_url, max_size=2) as db:
        project_id = await import_task_file(db, tasks_file(repo))
        plan = (await build_plan(db, project_id, Settings())).to_dict()
        assert plan["predicted_conflicts"], "the test plan needs a predicted conflict"
        assert len(plan["batches"]) >= 3
        keys = {t["id"]: t["key"] for t in plan["tasks"]}
        ids = {key: task_id for task_id, key in keys.items()}

        async with (
            serving(service(db_url)) as base,
            httpx.AsyncClient(base_url=base) as api,
            chromium() as browser,
        ):
            page, errors = await open_page(browser, f"{base}/projects/{project_id}/plan")
            body = page.locator("body")
            await expect(body).to_have_attribute("data-plan-version", "1")
            await expect(page.locator("#connection")).to_have_attribute("data-state", "live")

            # header: version and summary; descriptions and epic names come from the API
            summary = page.locator("#summary")
            await expect(summary).to_contain_text("version 1")
            await expect(summary).to_contain_text(f"{len(plan['batches'])} batches")
            await expect(summary).to_contain_text(f"{len(plan['tasks'])} tasks")
            await expect(page.locator("#project-name")).to_have_text("shop")
            t2 = page.locator('.card[data-task-key="T2"]')
            await expect(t2.locator(".description")).to_have_text("Add POST /orders in api/orders.py")
            epic_of_t4 = next(t["epic_id"] for t in plan["tasks"] if t["key"] == "T4")
            await expect(page.locator(f'.lane[data-lane="epic{epic_of_t4}"] .lane-name')).to_have_text("Web")

            check_layout(await page.evaluate(LAYOUT_JS), plan)
            # why it is not more parallel: shown when the plan says, in its order
            reasons = page.locator("#why-list .reason")
            await expect(reasons).to_have_count(len(plan["metadata"]["why"]))
            for n, reason in enumerate(plan["metadata"]["why"]):
                await expect(reasons.nth(n)).to_contain_text(reason["text"])

            # conflicts: on each card the count of those that keep it apart; the list shows those
            # by default, all of them on demand, and a card's own when it is in focus
            meta = plan["metadata"]
            apart = [c for c in plan["predicted_conflicts"] if keeps_apart(c, meta)]
            assert apart, "the test plan needs a conflict that keeps tasks apart"
            for key in {keys[t] for t in keys}:
                mine = [c for c in apart if ids[key] in c["task_ids"]]
                count = page.locator(f'.card[data-task-key="{key}"] .conflict-count')
                if mine:
                    await expect(count).to_have_text(f"⚠ {len(mine)}")
                else:
                    await expect(count).to_have_count(0)
            items = page.locator("#conflict-list li")
            await expect(items).to_have_count(len(apart))
            await expect(items.first).to_contain_text("↔")
            await page.select_option("#conflict-filter", "all")
            await expect(items).to_have_count(len(plan["predicted_conflicts"]))
            await page.select_option("#conflict-filter", "apart")
            a, b = (keys[t] for t in apart[0]["task_ids"])
            await page.locator(f'.card[data-task-key="{a}"] .key').click()  # focus: its conflicts only
            await expect(page.locator(f'.card[data-task-key="{a}"]')).to_have_class(
                re.compile(r"\bfocused\b")
            )
            await expect(page.locator(f'.card[data-task-key="{b}"]')).to_have_class(
                re.compile(r"\bpartner\b")
            )
            await expect(items).to_have_count(len([c for c in apart if ids[a] in c["task_ids"]]))
            await expect(page.locator("#focus")).to_contain_text(a)
            await page.keyboard.press("Escape")
            await expect(page.locator("#focus")).to_be_hidden()
            await expect(items).to_have_count(len(apart))

            # hovering a predicted file shows its confidence and evidence
            predicted = next(t for t in plan["tasks"] if t["key"] == "T2")["predicted_files"][0]
            tooltip = page.locator("#tooltip")
            await expect(tooltip).to_be_hidden()
            await t2.locator(f'.file[data-path="{predicted["path"]}"]').hover()
            await expect(tooltip).to_be_visible()
            await expect(tooltip).to_contain_text(predicted["path"])
            await expect(tooltip).to_contain_text(f"{round(predicted['confidence'] * 100)}%")
            for line in predicted["evidence"]:
                await expect(tooltip).to_contain_text(line)
            shot = tmp_path / "plan-page.png"
            await page.screenshot(path=str(shot), full_page=True)
            print(f"plan page screenshot: {shot}")
            await page.mouse.move(0, 0)
            await expect(tooltip).to_be_hidden()

            # from here on, nothing may reload the page
            await page.evaluate("window.__sameDocument = true")

            # a build starting shows the indicator
            await announce(db, "execution_plan_building", project_id)
            await expect(page.locator("#build-status")).to_have_text("building…")

            # a PATCH through the API moves T4 to the last batch: the page redraws
            last = plan["batches"][-1]["batch_id"]
            patched = await api.patch(
                f"/api/projects/{project_id}/execution-plan",
                json={"batch_overrides": [{"task_id": ids["T4"], "batch_id": last}]},
                headers={"If-Match": '"1"'},
            )
            assert patched.status_code == 200, patched.text
            await expect(body).to_have_attribute("data-plan-version", "2")
            await expect(page.locator("#build-status")).to_be_hidden()
            t4 = page.locator('.card[data-task-key="T4"]')
            await expect(t4).to_have_attribute("data-batch-id", str(last))
            check_layout(await page.evaluate(LAYOUT_JS), patched.json())

            # the tasks change (T7 added) and a rebuild through the API arrives by itself
            extra = {"key": "T7", "epic": "D", "description": "Index orders in core/database.py"}
            await import_task_file(db, tasks_file(repo, tasks=[*TASKS["tasks"], extra]))
            build = await api.post(f"/api/projects/{project_id}/execution-plan/build")
            assert build.status_code == 202, build.text
            await expect(body).to_have_attribute("data-plan-version", "3")
            await expect(page.locator('.card[data-task-key="T7"] .description')).to_have_text(
                "Index orders in core/database.py"
            )
            rebuilt = (await api.get(f"/api/projects/{project_id}/execution-plan")).json()
            assert rebuilt["version"] == 3
            check_layout(await page.evaluate(LAYOUT_JS), rebuilt)
            await expect(t4).to_have_attribute("data-batch-id", str(last))  # the adjustment lasts

            # a failed build is reported, the last plan stays on screen
            await announce(db, "execution_plan_error", project_id, error="dependency cycle: T1 -> T2 -> T1")
            await expect(page.locator("#error-banner")).to_contain_text("dependency cycle: T1 -> T2 -> T1")
            await expect(page.locator(".card")).to_have_count(len(rebuilt["tasks"]))
            await page.screenshot(path=str(tmp_path / "plan-page-live.png"), full_page=True)

            assert await page.evaluate("window.__sameDocument") is True
            assert errors == []


SERIAL: dict[str, Any] = {
    "epics": TASKS["epics"],
    "tasks": [
        {"key": "T1", "epic": "D", "description": "Store orders in api/orders.py"},
        {"key": "T2", "epic": "A", "description": "Add POST /orders in api/orders.py"},
        {"key": "T3", "epic": "W", "description": "Paginate the list in api/orders.py"},
        {"key": "T4", "epic": "A", "description": "Refunds in api/orders.py", "depends_on": ["T1"]},
        {"key": "T5", "epic": "W", "description": "Totals in api/orders.py", "depends_on": ["T1"]},
        {"key": "T6", "epic": "D", "description": "Style the shop in web/app.js", "depends_on": ["T1"]},
    ],
}


async def test_plan_page_says_why_a_plan_is_serial(db_url: str, repo: Path, tmp_path: Path) -> None:
    async with Database(db_url, max_size=2) as db:
        project_id = await import_task_file(db, tasks_file(repo, name="serial", **SERIAL))
        plan = (await build_plan(db, project_id, Settings())).to_dict()
    reasons = plan["metadata"]["why"]
    assert reasons and reasons[0]["files"] == ["api/orders.py"]
    first = reasons[0]["text"]
    assert first.startswith(
        f"5 of 6 tasks are predicted to change api/orders.py; {len(plan['batches'])} batches"
    )
    keys = {t["id"]: t["key"] for t in plan["tasks"]}
    async with serving(service(db_url)) as base, chromium() as browser:
        page, errors = await open_page(browser, f"{base}/projects/{project_id}/plan")
        await expect(page.locator("body")).to_have_attribute("data-plan-version", "1")
        why = page.locator("#why")
        await expect(why).to_be_visible()
        await expect(why.locator("h2")).to_have_text("Why this plan is not more parallel")
        await expect(why.locator(".reason").first).to_have_text(first)
        # it sits at the top: under the header, above the board
        header, box, board = [
            await page.locator(selector).bounding_box() for selector in (".top", "#why", "#board-scroll")
        ]
        assert header and box and board and header["y"] + header["height"] <= box["y"] < board["y"]
        await page.screenshot(path=str(tmp_path / "plan-page-why.png"))
        # hovering the reason marks the cards of the tasks it names, and only those
        await why.locator(".reason").first.hover()
        marked = page.locator(".card.highlight")
        await expect(marked).to_have_count(len(reasons[0]["task_ids"]))
        assert sorted(await marked.evaluate_all("cards => cards.map(c => c.dataset.taskKey)")) == sorted(
            keys[t] for t in reasons[0]["task_ids"]
        )
        shot = tmp_path / "plan-page-why-hover.png"
        await page.screenshot(path=str(shot), full_page=True)
        print(f"plan page screenshots: {tmp_path / 'plan-page-why.png'}, {shot}")
        await page.mouse.move(0, 0)
        await expect(marked).to_have_count(0)
        assert errors == []


async def test_plan_page_without_a_plan_shows_why_and_then_the_plan(db_url: str, repo: Path) -> None:
    async with Database(db_url, max_size=2) as db:
        project_id = await import_task_file(db, tasks_file(repo, name="later"))
    async with (
        serving(service(db_url)) as base,
        httpx.AsyncClient(base_url=base) as api,
        chromium() as browser,
    ):
        page, errors = await open_page(browser, f"{base}/projects/{project_id}/plan")
        await expect(page.locator("#empty")).to_contain_text("has no execution plan yet")
        await expect(page.locator("#board-scroll")).to_be_hidden()
        await expect(page.locator("#connection")).to_have_attribute("data-state", "live")

        assert (await api.post(f"/api/projects/{project_id}/execution-plan/build")).status_code == 202
        await expect(page.locator("body")).to_have_attribute("data-plan-version", "1")
        await expect(page.locator("#empty")).to_be_hidden()
        await expect(page.locator(".card")).to_have_count(len(TASKS["tasks"]))
        # the only error is the browser's note of the plan's 404
        assert [e for e in errors if "status of 404" not in e] == []


async def test_plan_page_asks_for_the_token_and_keeps_it_in_a_cookie(db_url: str, repo: Path) -> None:
    token = "s3cret-Token_42"
    async with Database(db_url, max_size=2) as db:
        project_id = await import_task_file(db, tasks_file(repo))
        await build_plan(db, project_id, Settings())
    async with (
        serving(service(db_url, token=token)) as base,
        httpx.AsyncClient(base_url=base) as api,
        chromium() as browser,
    ):
        assert (await api.get(f"/api/projects/{project_id}/execution-plan")).status_code == 401
        page, errors = await open_page(browser, f"{base}/projects/{project_id}/plan")
        form = page.locator("#token-form")
        await expect(form).to_be_visible()
        await expect(page.locator(".card")).to_have_count(0)

        # a wrong token: the page reloads and asks again
        await page.fill("#token-input", "wrong")
        async with page.expect_navigation():
            await page.click("#token-form button")
        await expect(form).to_be_visible()

        await page.fill("#token-input", token)
        async with page.expect_navigation():
            await page.click("#token-form button")
        await expect(page.locator("body")).to_have_attribute("data-plan-version", "1")
        await expect(form).to_be_hidden()
        await expect(page.locator("#connection")).to_have_attribute("data-state", "live")
        cookies = {c["name"]: c for c in await page.context.cookies()}
        cookie = cookies["execplan_token"]
        assert (cookie["value"], cookie["path"], cookie["sameSite"]) == (token, "/", "Strict")

        # the WebSocket got in with the cookie too: a build announced is heard
        await announce_build(db_url, project_id)
        await expect(page.locator("#build-status")).to_have_text("building…")
        assert [e for e in errors if "status of 401" not in e] == []


async def announce_build(db_url: str, project_id: str) -> None:
    async with Database(db_url, max_size=1) as db:
        await announce(db, "execution_plan_building", project_id)


async def test_page_and_assets_are_served_without_the_network() -> None:
    app = FastAPI()
    app.include_router(page_router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://page") as client:
        project_id = "7d4c2a8e-1b2f-4c3d-9e8f-0a1b2c3d4e5f"
        page = await client.get(f"/projects/{project_id}/plan")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert f'data-project-id="{project_id}"' in page.text
        assert "{{PROJECT_ID}}" not in page.text
        assert "http://" not in page.text and "https://" not in page.text  # nothing from a CDN
        for name, kind in (
            ("plan.js", "text/javascript"),
            ("plan.css", "text/css"),
            ("projects.js", "text/javascript"),
        ):
            asset = await client.get(f"/static/{name}")
            assert asset.status_code == 200 and asset.headers["content-type"].startswith(kind)
            assert "http://" not in asset.text and "https://" not in asset.text
        named = await client.get("/projects/shop/plan")  # by name: the page resolves it via the API
        assert named.status_code == 200 and 'data-project-id="shop"' in named.text
        assert (await client.get("/projects/" + "x" * 501 + "/plan")).status_code == 404
        index = await client.get("/")
        assert index.status_code == 200 and "projects.js" in index.text
        assert "http://" not in index.text and "https://" not in index.text
        injected = (await client.get("/projects/<script>/plan")).text
        assert 'data-project-id="&lt;script&gt;"' in injected and "<script>" not in injected
        assert (await client.get("/static/page.py")).status_code == 404
        assert (await client.get("/static/..%2Fpage.py")).status_code == 404
    # what the authentication middleware may let through: the frame and assets, nothing else
    assert serves_without_token("GET", f"/projects/{project_id}/plan") and serves_without_token("GET", "/")
    assert serves_without_token("GET", "/static/plan.js") and serves_without_token("HEAD", "/static/plan.css")
    assert not serves_without_token("POST", f"/projects/{project_id}/plan")
    assert not serves_without_token("GET", f"/api/projects/{project_id}/execution-plan")
    assert not serves_without_token("GET", f"/projects/{project_id}/plan/x")
    assert not serves_without_token("GET", "/static/page.py")


async def test_the_projects_page_links_each_plan_and_a_page_is_reached_by_name(
    db_url: str, repo: Path, tmp_path: Path
) -> None:
    async with Database(db_url, max_size=2) as db:
        project_id = await import_task_file(db, tasks_file(repo))
        await build_plan(db, project_id, Settings())
        await import_task_file(db, tasks_file(repo, name="other project"))
    async with serving(service(db_url)) as base, chromium() as browser:
        page, errors = await open_page(browser, f"{base}/")
        links = page.locator("#project-rows a")
        await expect(links).to_have_count(2)
        await expect(page.locator("#summary")).to_have_text("2 projects: open one to see its plan.")
        await page.screenshot(path=str(tmp_path / "projects.png"), full_page=True)
        await links.filter(has_text="shop").click()
        await page.wait_for_url(f"{base}/projects/{project_id}/plan")
        await expect(page.locator("#project-name")).to_have_text("shop")
        await expect(page.locator(".card")).to_have_count(len(TASKS["tasks"]))

        named, named_errors = await open_page(browser, f"{base}/projects/shop/plan")
        await expect(named.locator(".card")).to_have_count(len(TASKS["tasks"]))
        assert named.url == f"{base}/projects/{project_id}/plan"  # the id's URL, once found
        missing, _ = await open_page(browser, f"{base}/projects/nothing-here/plan")
        await expect(missing.locator("#empty")).to_contain_text('There is no project named "nothing-here".')
        assert errors == [] and named_errors == []


async def test_the_page_acts_through_the_patch_and_says_when_its_plan_was_stale(
    db_url: str, repo: Path, tmp_path: Path
) -> None:
    async with Database(db_url, max_size=2) as db:
        project_id = await import_task_file(db, tasks_file(repo))
        plan = (await build_plan(db, project_id, Settings())).to_dict()
    ids = {t["key"]: t["id"] for t in plan["tasks"]}
    parallel = next(b for b in plan["batches"] if b["can_parallel"])
    async with (
        serving(service(db_url)) as base,
        httpx.AsyncClient(base_url=base) as api,
        chromium() as browser,
    ):
        page, errors = await open_page(browser, f"{base}/projects/{project_id}/plan")
        body = page.locator("body")
        await expect(body).to_have_attribute("data-plan-version", "1")
        # mark a batch sequential from its header
        head = page.locator(f'.batch-head[data-batch-id="{parallel["batch_id"]}"]')
        await head.locator(".batch-toggle").click()
        await expect(body).to_have_attribute("data-plan-version", "2")
        await expect(head).to_have_class(re.compile(r"\bsequential\b"))
        await expect(head.locator(".batch-toggle")).to_have_text("make parallel")
        stored = (await api.get(f"/api/projects/{project_id}/execution-plan")).json()
        assert not next(b for b in stored["batches"] if b["batch_id"] == parallel["batch_id"])["can_parallel"]

        # move T4 to the last batch from its card's panel
        last = plan["batches"][-1]["batch_id"]
        await page.locator('.card[data-task-key="T4"] .key').click()
        await page.select_option("#move-batch", str(last))
        await page.locator('#move-form button[type="submit"]').click()
        await expect(body).to_have_attribute("data-plan-version", "3")
        await expect(page.locator('.card[data-task-key="T4"]')).to_have_attribute("data-batch-id", str(last))
        await page.screenshot(path=str(tmp_path / "acted.png"), full_page=True)

        # someone else changes the plan: the page's next change is refused as stale, said so, redrawn
        other = await api.patch(
            f"/api/projects/{project_id}/execution-plan",
            json={"batch_overrides": [{"task_id": ids["T5"], "batch_id": last}]},
            headers={"If-Match": '"3"'},
        )
        assert other.status_code == 200
        await expect(body).to_have_attribute("data-plan-version", "4")  # heard over the WebSocket
        # a PATCH with a stale tag (forced on the way out): 412, said so, the plan reloaded
        await expect(page.locator("#focus")).to_contain_text("T4")  # still in focus
        await page.select_option("#move-batch", str(plan["batches"][0]["batch_id"]))
        await page.route(
            "**/execution-plan",
            lambda route: (
                route.continue_(headers={**route.request.headers, "if-match": '"1"'})
                if route.request.method == "PATCH"
                else route.continue_()
            ),
        )
        await page.locator('#move-form button[type="submit"]').click()
        await expect(page.locator("#notice-banner")).to_contain_text("The plan changed meanwhile")
        await expect(body).to_have_attribute("data-plan-version", "4")
        assert errors == [] or all("412" in e for e in errors), errors


async def test_a_choice_in_the_move_form_survives_an_event_about_the_plan_it_shows(
    db_url: str, repo: Path
) -> None:
    """An event for a plan the page already shows (its own PATCH, heard back over the WebSocket)
    does not redraw the panel under the user's hand: the batch chosen is the batch moved to."""
    async with Database(db_url, max_size=2) as db:
        project_id = await import_task_file(db, tasks_file(repo))
        built = await build_plan(db, project_id, Settings())
        last = built.batches[-1].batch_id
        async with serving(service(db_url)) as base, chromium() as browser:
            page, errors = await open_page(browser, f"{base}/projects/{project_id}/plan")
            await expect(page.locator("body")).to_have_attribute("data-plan-version", "1")
            await page.locator('.card[data-task-key="T4"] .key').click()
            await page.select_option("#move-batch", str(last))
            async with page.expect_response(
                lambda r: r.request.method == "GET" and r.url.endswith("/execution-plan")
            ):
                await announce(
                    db, "execution_plan_updated", project_id, version=1, summary=plan_summary(built)
                )
            await expect(page.locator("#move-batch")).to_have_value(str(last))
            await page.locator('#move-form button[type="submit"]').click()
            await expect(page.locator("body")).to_have_attribute("data-plan-version", "2")
            card = page.locator('.card[data-task-key="T4"]')
            await expect(card).to_have_attribute("data-batch-id", str(last))
            assert errors == []


async def test_worktrees_that_really_conflict_are_listed_and_outlined_until_dismissed(
    db_url: str, repo: Path, tmp_path: Path
) -> None:
    """A `worktree_conflict` event (a check of the worktrees on disk) lists the pair above the
    board and outlines both worktrees; the outline survives a new plan that keeps them; a pair
    heard again replaces its entry; dismissing it clears both."""
    async with Database(db_url, max_size=2) as db:
        project_id = await import_task_file(db, tasks_file(repo))
        built = (await build_plan(db, project_id, Settings())).to_dict()
        wide = next(
            b
            for b in built["batches"]
            if len({built["worktree_assignments"][str(t)] for t in b["task_ids"]}) > 1
        )
        pair = sorted({built["worktree_assignments"][str(t)] for t in wide["task_ids"]})[:2]
        other = next(b for b in built["batches"] if b["can_parallel"] and b["batch_id"] != wide["batch_id"])
        files = [f"src/file{n}.py" for n in range(7)]
        async with (
            serving(service(db_url)) as base,
            httpx.AsyncClient(base_url=base) as api,
            chromium() as browser,
        ):
            page, errors = await open_page(browser, f"{base}/projects/{project_id}/plan")
            await expect(page.locator("body")).to_have_attribute("data-plan-version", "1")
            await expect(page.locator("#connection")).to_have_attribute("data-state", "live")
            box = page.locator("#real-conflicts")
            await expect(box).to_be_hidden()
            await announce(
                db, "worktree_conflict", project_id,
                batch=wide["batch_id"], worktrees=pair[::-1], files=files, files_omitted=3, predicted=[],
            )  # fmt: skip
            await expect(box).to_be_visible()
            item = page.locator("#real-list li")
            await expect(item).to_have_count(1)
            await expect(item).to_contain_text(f"batch {wide['batch_id']}: {pair[0]} ↔ {pair[1]}")
            await expect(item).to_contain_text("src/file4.py and 5 more")  # 5 shown, 2 + 3 omitted
            outlined = page.locator(".worktree.real-conflict")
            await expect(outlined).to_have_count(2)
            assert sorted(await outlined.evaluate_all("ns => ns.map(n => n.dataset.worktree)")) == pair
            await page.screenshot(path=str(tmp_path / "real-conflict.png"), full_page=True)
            # a new plan that keeps both worktrees (another batch made sequential) keeps the outline
            patched = await api.patch(
                f"/api/projects/{project_id}/execution-plan",
                json={"batch_overrides": [{"batch_id": other["batch_id"], "sequential": True}]},
                headers={"If-Match": '"1"'},
            )
            assert patched.status_code == 200, patched.text
            await expect(page.locator("body")).to_have_attribute("data-plan-version", "2")
            await expect(outlined).to_have_count(2)
            # heard again, fewer files: the entry is replaced, not added
            await announce(
                db, "worktree_conflict", project_id,
                batch=wide["batch_id"], worktrees=pair, files=["src/file0.py"], predicted=[],
            )  # fmt: skip
            await expect(item).to_have_text(re.compile(r"in src/file0\.py✕$"))
            await page.locator("#real-list .dismiss").click()
            await expect(box).to_be_hidden()
            await expect(outlined).to_have_count(0)
            assert errors == []


def big_project(root: Path, tasks: int = 300, epics: int = 12) -> Any:
    """A generated project of `tasks` tasks in `epics` epics on a repository of 60 modules: each
    task names one module (some two), one in four depends on an earlier task of its epic."""
    modules = [f"pkg/area{n // 10}/module{n}.py" for n in range(60)]
    repo = make_repo(root / "big", {m: f"def f{n}():\n    return {n}\n" for n, m in enumerate(modules)})
    doc_tasks: list[dict[str, Any]] = []
    for n in range(tasks):
        epic = n % epics
        named = modules[(n * 7) % len(modules)]
        text = f"Change {named} for feature {n}" + (f" and {modules[(n * 3) % 60]}" if n % 5 == 0 else "")
        task: dict[str, Any] = {"key": f"T{n + 1}", "epic": f"E{epic}", "description": text}
        if n % 4 == 3 and n >= epics:
            task["depends_on"] = [f"T{n + 1 - epics}"]
        doc_tasks.append(task)
    doc = {
        "project": {"name": "big", "repo_path": str(repo)},
        "epics": [{"key": f"E{e}", "name": f"Feature area {e}"} for e in range(epics)],
        "tasks": doc_tasks,
    }
    return parse_task_file(doc, repo)


async def test_a_300_task_plan_stays_readable(db_url: str, tmp_path: Path) -> None:
    async with Database(db_url, max_size=2) as db:
        project_id = await import_task_file(db, big_project(tmp_path))
        plan = (await build_plan(db, project_id, Settings())).to_dict()
    assert len(plan["tasks"]) == 300
    async with serving(service(db_url)) as base, chromium() as browser:
        page = await browser.new_page(viewport={"width": 1600, "height": 1000})
        page.set_default_timeout(30_000)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        started = asyncio.get_running_loop().time()
        await page.goto(f"{base}/projects/big/plan")
        await expect(page.locator(".card")).to_have_count(300)
        rendered = asyncio.get_running_loop().time() - started
        size = await page.evaluate("() => document.documentElement.outerHTML.length")
        batches = len(plan["batches"])
        print(f"300-task plan page: rendered in {rendered:.2f}s, DOM {size / 1e6:.2f} MB, {batches} batches")
        assert size < 1_000_000  # the whole page, every card and the conflicts listed
        await expect(page.locator("#conflict-list li")).to_have_count(
            min(100, sum(keeps_apart(c, plan["metadata"]) for c in plan["predicted_conflicts"]))
        )
        # every task can be found by search: its key matches exactly one card, that one
        missing = await page.evaluate(
            """(keys) => {
              const search = document.getElementById("search");
              const lost = [];
              for (const key of keys) {
                search.value = key;
                search.dispatchEvent(new Event("input"));
                const hit = document.querySelector(`.card.match[data-task-key="${key}"]`);
                if (!hit) lost.push(key);
              }
              search.value = "";
              search.dispatchEvent(new Event("input"));
              return lost;
            }""",
            [t["key"] for t in plan["tasks"]],
        )
        assert missing == []
        await expect(page.locator(".lane .lane-name").first).to_contain_text("Feature area")
        top_left = "() => { scrollTo(0, 0); document.getElementById('board-scroll').scrollLeft = 0; }"
        await page.evaluate(top_left)
        await page.screenshot(path=str(tmp_path / "plan-300.png"))
        # a task in focus: its dependency drawn as an arrow from the card it waits for
        dependent = next(t for t in plan["tasks"] if t["key"] == "T16")  # depends on T4 (see big_project)
        first = next(t for t in plan["tasks"] if t["key"] == "T4")
        await page.locator('.card[data-task-key="T16"] .key').click()
        await expect(page.locator(f'#arrows .arrow[data-from="{first["id"]}"]')).to_have_count(1)
        await expect(page.locator('.card[data-task-key="T4"]')).to_have_class(re.compile(r"\bdependency\b"))
        await expect(page.locator("#focus")).to_contain_text("after T4")
        assert dependent["id"] != first["id"]
        await page.keyboard.press("Escape")
        await expect(page.locator("#arrows .arrow")).to_have_count(0)
        await page.locator("#search").fill("module7.py")
        await expect(page.locator("#search-count")).to_contain_text("match")
        await page.screenshot(path=str(tmp_path / "plan-300-search.png"))
        assert errors == []


async def test_the_page_rebuilds_and_moves_a_task_to_the_worktree_chosen(
    db_url: str, repo: Path, tmp_path: Path
) -> None:
    """Rebuild from its button; a task moved to another worktree of its batch, and to another
    batch and a worktree chosen there (the worktree the form shows is the one it lands in); the
    legend is on the page."""
    async with Database(db_url, max_size=2) as db:
        project_id = await import_task_file(db, tasks_file(repo))
        plan = (await build_plan(db, project_id, Settings())).to_dict()
    ids = {t["key"]: t["id"] for t in plan["tasks"]}
    keys = {task_id: key for key, task_id in ids.items()}
    assigned = plan["worktree_assignments"]
    # a task in a batch of several worktrees, and another worktree of that batch
    batch = next(b for b in plan["batches"] if len({assigned[str(t)] for t in b["task_ids"]}) > 1)
    mover = batch["task_ids"][0]
    other = sorted({assigned[str(t)] for t in batch["task_ids"]} - {assigned[str(mover)]})[0]
    last = plan["batches"][-1]
    target = sorted({assigned[str(t)] for t in last["task_ids"]})[0]
    async with (
        serving(service(db_url)) as base,
        httpx.AsyncClient(base_url=base) as api,
        chromium() as browser,
    ):
        page, errors = await open_page(browser, f"{base}/projects/{project_id}/plan")
        body = page.locator("body")
        await expect(body).to_have_attribute("data-plan-version", "1")
        await expect(page.locator(".legend")).to_contain_text("conflicts that keep it apart")

        await page.locator("#rebuild").click()
        await expect(body).to_have_attribute("data-plan-version", "2")
        assert (await api.get(f"/api/projects/{project_id}/execution-plan")).json()["version"] == 2

        # another worktree of the same batch
        card = page.locator(f'.card[data-task-key="{keys[mover]}"]')
        await card.locator(".key").click()
        await page.select_option("#move-worktree", other)
        await page.locator('#move-form button[type="submit"]').click()
        await expect(body).to_have_attribute("data-plan-version", "3")
        await expect(card).to_have_attribute("data-worktree", other)
        stored = (await api.get(f"/api/projects/{project_id}/execution-plan")).json()
        assert stored["worktree_assignments"][str(mover)] == other

        # T4 (no dependencies either way) to the last batch, into the worktree chosen there
        t4 = page.locator('.card[data-task-key="T4"]')
        await page.keyboard.press("Escape")
        await t4.locator(".key").click()
        await page.select_option("#move-batch", str(last["batch_id"]))
        await page.select_option("#move-worktree", target)
        await page.locator('#move-form button[type="submit"]').click()
        await expect(body).to_have_attribute("data-plan-version", "4")
        await expect(t4).to_have_attribute("data-batch-id", str(last["batch_id"]))
        await expect(t4).to_have_attribute("data-worktree", target)
        await page.screenshot(path=str(tmp_path / "moved.png"), full_page=True)
        assert errors == []
