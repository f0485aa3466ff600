"""The plan page acting, driven in headless Chromium (`tests/plan_browser.py`): a batch made
sequential, a task moved to another batch or worktree (the choice surviving an event about the
plan it shows), Rebuild, a stale version said so, all through the API's PATCH with If-Match; and
worktrees a check found really conflicting (listed, outlined, dismissed). Screenshots go to the
test's temporary folder."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import expect

from planner.core.settings import Settings
from planner.storage.database import Database
from planner.storage.importer import import_task_file
from planner.usecases.automation import announce, plan_summary
from planner.usecases.build import build_plan
from tests.plan_browser import (
    CHROMIUM,
    chromium,
    open_page,
    plan_page,
    service,
    serving,
    tasks_file,
)

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")


async def test_the_page_acts_through_the_patch_and_says_when_its_plan_was_stale(
    db_url: str, repo: Path, tmp_path: Path
) -> None:
    async with Database(db_url, max_size=2) as db:
        project_id = await import_task_file(db, tasks_file(repo))
        plan = (await build_plan(db, project_id, Settings())).to_dict()
    ids = {t["key"]: t["id"] for t in plan["tasks"]}
    parallel = next(b for b in plan["batches"] if b["can_parallel"])
    async with plan_page(db_url, project_id) as (api, page, errors):
        body = page.locator("body")
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
        async with plan_page(db_url, project_id) as (api, page, errors):
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
    async with plan_page(db_url, project_id) as (api, page, errors):
        body = page.locator("body")
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
