"""Cross-origin requests: the token cookie (without a token: loopback) serves the service's own pages only.

A page of another origin — another port of the same host is same-site, so a SameSite=Strict cookie
still travels with its requests — must not be able to change anything or open the WebSocket with
the browser's cookie. The first test is that attack in headless Chromium (Debian's `chromium`);
the others pin the rule over HTTP and WebSocket: a request authenticated by the cookie that
changes state, or a WebSocket handshake, needs an `Origin` (or, lacking it, a `Referer`) naming the
service's own scheme://host:port; one authenticated by the `Authorization` header is not at risk.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from playwright.async_api import async_playwright
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Origin

from api.http.auth import TOKEN_COOKIE
from tests.test_api_support import TOKEN, api_client, create_project, next_ws_event, served_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
COOKIE = {"Authorization": "", "Cookie": f"{TOKEN_COOKIE}={TOKEN}"}  # no bearer header: the cookie alone

# The attacker's page: a form POST, a no-cors fetch and a WebSocket, all to the service, with the cookie.
HOSTILE_PAGE = """<!doctype html><html><body>
<form id="form" method="POST" target="sink"
      action="{base}/api/projects/{project}/execution-plan/build"></form>
<iframe name="sink" id="sink"></iframe>
<script>
  window.seen = {{}};
  const sink = document.getElementById("sink");
  sink.addEventListener("load", () => {{ window.seen.form = "loaded"; }});
  document.getElementById("form").submit();
  fetch("{base}/api/projects/{project}/execution-plan/build",
        {{method: "POST", mode: "no-cors", credentials: "include"}})
    .then(() => {{ window.seen.fetch = "sent"; }}, () => {{ window.seen.fetch = "failed"; }});
  const ws = new WebSocket("{ws}/api/ws/{project}");
  ws.onopen = () => {{ window.seen.ws = "open"; }};
  ws.onerror = () => {{ window.seen.ws = "refused"; }};
</script></body></html>"""


@contextmanager
def hostile_site(html: str) -> Iterator[str]:
    """A plain HTTP server on another port of 127.0.0.1 serving `html`; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
async def test_a_page_of_another_port_cannot_use_the_cookie(db_url: str, repo: Path) -> None:
    async with served_app(db_url, token=TOKEN) as served:
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        async with httpx.AsyncClient(base_url=served.base_url, headers=bearer) as api:
            project_id = await create_project(api, repo)
            ws_base = served.base_url.replace("http://", "ws://")
            page_html = HOSTILE_PAGE.format(base=served.base_url, ws=ws_base, project=project_id)
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                try:
                    context = await browser.new_context()
                    # the cookie the plan page's form sets; cookies do not tell ports apart
                    await context.add_cookies(
                        [{"name": TOKEN_COOKIE, "value": TOKEN, "url": served.base_url, "sameSite": "Strict"}]
                    )
                    page = await context.new_page()
                    answers: list[tuple[str, int]] = []
                    page.on("response", lambda r: answers.append((r.request.method, r.status)))
                    with hostile_site(page_html) as hostile:
                        await page.goto(f"{hostile}/")
                        await page.wait_for_function(
                            "window.seen.form && window.seen.fetch && window.seen.ws", timeout=8000
                        )
                        seen = await page.evaluate("window.seen")
                    hostile_posts = [status for method, status in answers if method == "POST"]
                    # the service's own page, same cookie: its POST carries its own Origin and is served
                    await page.goto(f"{served.base_url}/projects/{project_id}/plan")
                    own = await page.evaluate(
                        """async (url) => (await fetch(url, {method: "POST"})).status""",
                        f"/api/projects/{project_id}/execution-plan/build",
                    )
                finally:
                    await browser.close()
            assert hostile_posts == [403, 403], answers  # the form POST and the no-cors fetch
            assert seen["ws"] == "refused", seen
            assert own == 202
            await served.app.state.builds.wait_idle()
            versions = (await api.get(f"/api/projects/{project_id}")).json()["plan_version"]
            assert versions == 1  # only the page's own build ran


def refused(response: httpx.Response) -> bool:
    """A 403 whose body is one line of JSON saying it was the origin."""
    detail = response.json()["detail"] if response.status_code == 403 else ""
    return isinstance(detail, str) and "\n" not in detail and "rigin" in detail


async def test_cookie_requests_that_change_state_must_come_from_the_service_origin(
    db_url: str, repo: Path
) -> None:
    async with api_client(db_url, token=TOKEN) as (client, app):
        project_id = await create_project(client, repo)
        build = f"/api/projects/{project_id}/execution-plan/build"
        own = "http://testserver"  # the ASGI client's scheme://host
        for headers in (
            {},  # neither Origin nor Referer: refused, a browser always sends one of them
            {"Origin": "http://testserver:8001"},
            {"Origin": "https://testserver"},
            {"Origin": "http://evil.example"},
            {"Origin": "null"},
            {"Origin": "http://[bad"},
            {"Origin": "http://testserver:99999"},
            {"Origin": "http://" + "9" * 5000},
            {"Host": "testserver:" + "9" * 5000, "Origin": "http://testserver:" + "9" * 5000},
            {"Host": "[::1", "Origin": "http://[::1"},
            {"Referer": "http://127.0.0.1:8001/attack.html"},
            {"Origin": "http://evil.example", "Referer": f"{own}/projects/x/plan"},
        ):
            response = await client.post(build, headers={**COOKIE, **headers})
            assert response.status_code == 403 and refused(response), (headers, response.text)
        for headers in (
            {"Origin": own},
            {"Origin": "http://TestServer:80"},
            {"Referer": f"{own}/projects/{project_id}/plan"},
        ):
            response = await client.post(build, headers={**COOKIE, **headers})
            assert response.status_code == 202, (headers, response.text)
            await app.state.builds.wait_idle()

        foreign = {**COOKIE, "Origin": "http://127.0.0.1:8001"}
        projects = (await client.get("/api/projects")).json()
        writes = [
            ("PUT", "/api/projects", {"project": {"name": "other", "repo_path": str(repo)}, "tasks": []}),
            ("PUT", f"/api/projects/{project_id}/sessions/0", {"type": "initializer", "status": "completed"}),
            ("PATCH", f"/api/projects/{project_id}/execution-plan", {"batch_overrides": []}),
        ]
        for method, url, body in writes:
            response = await client.request(method, url, json=body, headers={**foreign, "If-Match": '"1"'})
            assert response.status_code == 403 and refused(response), (method, url, response.text)
        assert (await client.get("/api/projects")).json() == projects
        assert (await client.get(f"/api/projects/{project_id}/sessions")).json() == []

        # reading with the cookie needs no Origin (a browser's same-origin GET sends none)
        assert (await client.get(f"/api/projects/{project_id}", headers=COOKIE)).status_code == 200
        # the Authorization header is not at risk: a page of another origin cannot set it
        bearer = {"Authorization": f"Bearer {TOKEN}", "Origin": "http://evil.example"}
        assert (await client.post(build, headers=bearer)).status_code == 202
        await app.state.builds.wait_idle()


async def test_without_a_token_a_page_of_another_origin_is_refused(db_url: str, repo: Path) -> None:
    async with api_client(db_url) as (client, app):
        project_id = await create_project(client, repo)
        build = f"/api/projects/{project_id}/execution-plan/build"
        for origin in ("http://127.0.0.1:8001", "http://evil.example", "null"):
            response = await client.post(build, headers={"Origin": origin})
            assert response.status_code == 403 and refused(response), (origin, response.text)
        assert (await client.post(build, headers={"Origin": "http://testserver"})).status_code == 202
        await app.state.builds.wait_idle()
        # a client that is no browser (the CLI, a script) sends no Origin
        assert (await client.post(build)).status_code == 202
        await app.state.builds.wait_idle()


async def test_websocket_with_the_cookie_must_come_from_the_service_origin(db_url: str, repo: Path) -> None:
    async with served_app(db_url, token=TOKEN) as served:
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        async with httpx.AsyncClient(base_url=served.base_url, headers=bearer) as client:
            project_id = await create_project(client, repo)
        url = served.ws_url(project_id)
        cookie = {"Cookie": f"{TOKEN_COOKIE}={TOKEN}"}
        other_name = served.base_url.replace("127.0.0.1", "localhost")  # same port, another origin
        for origin in (None, Origin("http://127.0.0.1:1"), Origin(other_name), Origin("null")):
            with pytest.raises(InvalidStatus) as refusal:
                async with connect(url, additional_headers=cookie, origin=origin):
                    pass
            assert refusal.value.response.status_code == 403, origin
            assert b"rigin" in refusal.value.response.body
        async with connect(url, additional_headers=cookie, origin=Origin(served.base_url)) as ws:
            async with httpx.AsyncClient(base_url=served.base_url, headers=bearer) as client:
                build = await client.post(f"/api/projects/{project_id}/execution-plan/build")
                assert build.status_code == 202
            await next_ws_event(ws, "execution_plan_ready")
        async with connect(url, additional_headers=bearer, origin=Origin("http://evil.example")):
            pass
        await served.app.state.builds.wait_idle()


async def test_websocket_without_a_token_refuses_another_origin(db_url: str, repo: Path) -> None:
    async with served_app(db_url) as served:
        async with httpx.AsyncClient(base_url=served.base_url) as client:
            project_id = await create_project(client, repo)
        with pytest.raises(InvalidStatus) as refusal:
            async with connect(served.ws_url(project_id), origin=Origin("http://127.0.0.1:1")):
                pass
        assert refusal.value.response.status_code == 403
        async with connect(served.ws_url(project_id)):  # no browser: no Origin
            pass
        async with connect(served.ws_url(project_id), origin=Origin(served.base_url)):
            pass
