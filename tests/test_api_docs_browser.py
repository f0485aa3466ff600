"""Swagger UI at /docs in headless Chromium with every request off the machine refused: the page
draws the API from its own assets, and its Authorize button's bearer token goes with "Try it out"."""

from __future__ import annotations

import pytest
from playwright.async_api import Route, expect

from tests.plan_browser import CHROMIUM, TIMEOUT_MS, chromium, service, serving
from tests.test_api_support import TOKEN

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")


async def test_swagger_ui_works_offline_and_authorize_sends_the_token(db_url: str) -> None:
    async with serving(service(db_url, token=TOKEN)) as base, chromium() as browser:
        page = await browser.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        outside: list[str] = []

        async def only_local(route: Route) -> None:
            if route.request.url.startswith(base + "/"):
                await route.continue_()
            else:
                outside.append(route.request.url)
                await route.abort()

        await page.route("**/*", only_local)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(f"{base}/docs")
        operation = page.locator("#operations-projects-list_projects_api_projects_get")
        await expect(operation).to_be_visible()
        # without the token, "Try it out" gets the service's 401
        await operation.locator(".opblock-summary").click()
        await operation.locator(".try-out__btn").click()
        await operation.locator(".execute").click()
        status = operation.locator(".live-responses-table .response .response-col_status")
        await expect(status).to_have_text("401")
        # Authorize with the token: the same call now goes through
        await page.locator(".auth-wrapper .authorize").click()
        await page.locator(".modal-ux input").fill(TOKEN)
        await page.locator(".modal-ux .auth-btn-wrapper .authorize").click()
        await page.locator(".modal-ux .btn-done").click()
        await operation.locator(".execute").click()
        await expect(status).to_have_text("200")
        assert outside == [] and errors == []
