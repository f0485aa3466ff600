"""The plan page, driven in headless Chromium (`tests/plan_browser.py`): the real service under
uvicorn, on this test's own PostgreSQL database, with plans built by the real planner.

Playwright opens `/projects/{id}/plan` and the test checks what is on screen: batches left to
right, each worktree lane holding its tasks' cards, conflict counts, a file's evidence on hover,
why a plan is not more parallel (at the top; hovering a reason marks its tasks' cards), and the
page following the plan without being reloaded (building indicator, a PATCH through the API, a
rebuild through the API, a failed build); also the page without a plan, the token form when the
service needs a token, the projects page, and a 300-task plan. The page acting is in
`test_plan_page_acts.py`. Screenshots go to the test's temporary folder (the first one's path
is printed).
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from playwright.async_api import expect

from api.http.page import router as page_router
from api.http.page import serves_without_token
from planner.core.settings import Settings
from planner.storage.database import Database
from planner.storage.importer import import_task_file, parse_task_file
from planner.usecases.automation import announce
from planner.usecases.build import build_plan
from tests.conftest import make_repo
from tests.plan_browser import (
    CHROMIUM,
    LAYOUT_JS,
    TASKS,
    check_layout,
    chromium,
    keeps_apart,
    open_page,
    plan_page,
    service,
    serving,
    tasks_file,
)

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")


async def test_plan_page_shows_the_plan_and_follows_it_live(db_url: str, repo: Path, tmp_path: Path) -> None:
    async with Database(db_url, max_size=2) as db:
        project_id = await import_task_file(db, tasks_file(repo))
        plan = (await build_plan(db, project_id, Settings())).to_dict()
        assert plan["predicted_conflicts"], "the test plan needs a predicted conflict"
        assert len(plan["batches"]) >= 3
        keys = {t["id"]: t["key"] for t in plan["tasks"]}
        ids = {key: task_id for task_id, key in keys.items()}

        async with plan_page(db_url, project_id) as (api, page, errors):
            body = page.locator("body")
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
