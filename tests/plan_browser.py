"""The plan page's browser harness, for its tests: the real service under uvicorn on a free
loopback port, headless Chromium (Debian's `chromium`, installed by `.ci/run`) through Playwright,
the demo-like shop project, and the check that what the page draws matches the plan."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from playwright.async_api import Browser, Page, async_playwright, expect

from api.http.app import ServiceConfig, create_app
from planner.core.settings import Settings
from planner.storage.importer import parse_task_file

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


@asynccontextmanager
async def plan_page(db_url: str, project_id: str) -> AsyncIterator[tuple[httpx.AsyncClient, Page, list[str]]]:
    """The service (no token), an API client and a tab on the project's plan page, shown at
    version 1: (client, page, the page's errors)."""
    async with (
        serving(service(db_url)) as base,
        httpx.AsyncClient(base_url=base) as api,
        chromium() as browser,
    ):
        page, errors = await open_page(browser, f"{base}/projects/{project_id}/plan")
        await expect(page.locator("body")).to_have_attribute("data-plan-version", "1")
        yield api, page, errors
