"""Access: the bearer token on every route and the WebSocket, loopback only without one, `execplan serve`."""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Origin

from api.cli.main import main
from api.http.auth import TOKEN_COOKIE, bind_refusal, is_loopback
from tests.test_api_support import TOKEN, api_client, create_project, next_ws_event, served_app

# the pages (/, the plan page) and the API's documentation (api/http/docs.py): no project data
PUBLIC = re.compile(r"^/$|^/projects/\{project_id\}/plan$|^/static/|^/docs|^/redoc$|^/openapi.json$")


def concrete(path: str) -> str:
    """`path` with its parameters filled in (an unknown project id, session 0)."""
    values = {"session_number": "0", "name": "plan.js"}
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m[1], str(uuid.uuid4())), path)


UNDOCUMENTED = [("GET", p) for p in ("/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json")]
PAGE = [("GET", "/projects/{project_id}/plan"), ("GET", "/static/plan.js"), ("HEAD", "/static/plan.css")]


async def test_every_http_route_needs_the_token(db_url: str) -> None:
    async with api_client(db_url, token=TOKEN) as (client, app):
        documented = [
            (method.upper(), path) for path, item in app.openapi()["paths"].items() for method in item
        ]
        assert len(documented) >= 10
        for method, path in documented + UNDOCUMENTED + PAGE:
            url = concrete(path)
            public = PUBLIC.match(path) and method in ("GET", "HEAD")
            for headers in (
                {"Authorization": ""},
                {"Authorization": "Bearer wrong-token"},
                {"Authorization": f"Basic {TOKEN}"},
                {"Authorization": f"Bearer {TOKEN}x"},
            ):
                response = await client.request(method, url, headers=headers, json={})
                if public:
                    assert response.status_code != 401, (method, url)
                else:
                    assert response.status_code == 401, (method, url, headers)
                    assert response.headers["www-authenticate"].startswith("Bearer")
                    assert TOKEN not in response.text
            allowed = await client.request(method, url, json={})
            assert allowed.status_code != 401, (method, url)
        assert (await client.get("/docs")).status_code == 200
        schema = (await client.get("/openapi.json")).json()
        assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


async def test_the_token_cookie_and_scheme_case(db_url: str) -> None:
    async with api_client(db_url, token=TOKEN) as (client, _):
        plain = {"Authorization": ""}
        assert (await client.get("/api/projects", headers=plain)).status_code == 401
        cookie = {**plain, "Cookie": f"other=1; {TOKEN_COOKIE}={TOKEN}"}
        assert (await client.get("/api/projects", headers=cookie)).status_code == 200
        wrong = {**plain, "Cookie": f"{TOKEN_COOKIE}=nope"}
        assert (await client.get("/api/projects", headers=wrong)).status_code == 401
        lower = {"Authorization": f"bearer {TOKEN}"}
        assert (await client.get("/api/projects", headers=lower)).status_code == 200


async def test_websocket_needs_the_token(db_url: str, repo: Path) -> None:
    async with served_app(db_url, token=TOKEN) as served:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with httpx.AsyncClient(base_url=served.base_url, headers=headers) as client:
            project_id = await create_project(client, repo)
        for bad in ({}, {"Authorization": "Bearer wrong"}):
            with pytest.raises(InvalidStatus) as refused:
                async with connect(served.ws_url(project_id), additional_headers=bad):
                    pass
            assert refused.value.response.status_code == 401
        async with connect(served.ws_url(project_id), additional_headers=headers) as ws:
            await client_build_and_hear(served.base_url, project_id, ws)
        cookie = {"Cookie": f"{TOKEN_COOKIE}={TOKEN}"}  # as the plan page sends it, with its Origin
        async with connect(
            served.ws_url(project_id), additional_headers=cookie, origin=Origin(served.base_url)
        ):
            pass


async def client_build_and_hear(base_url: str, project_id: str, ws: ClientConnection) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers) as client:
        assert (await client.post(f"/api/projects/{project_id}/execution-plan/build")).status_code == 202
    await next_ws_event(ws, "execution_plan_ready")


async def test_the_token_is_never_logged(db_url: str, repo: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with api_client(db_url, token=TOKEN) as (client, app):
        project_id = await create_project(client, repo)
        await client.post(f"/api/projects/{project_id}/execution-plan/build")
        await app.state.builds.wait_idle()
        await client.get("/api/projects", headers={"Authorization": "Bearer wrong"})
        assert TOKEN not in repr(app.user_middleware) and TOKEN not in repr(app.middleware_stack)
    assert caplog.records and TOKEN not in caplog.text


def test_loopback_only_without_a_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for host in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"):
        assert is_loopback(host) and bind_refusal(host, None) is None
    for host in ("0.0.0.0", "::", "192.168.1.10", "example.com"):
        assert not is_loopback(host)
        assert bind_refusal(host, None) is not None and bind_refusal(host, TOKEN) is None
    monkeypatch.delenv("EXECPLAN_API_TOKEN", raising=False)
    assert main(["serve", "--host", "0.0.0.0", "--port", "9"]) == 1
    err = capsys.readouterr().err
    assert "EXECPLAN_API_TOKEN is not set: refusing to serve on 0.0.0.0" in err


def test_execplan_serve_runs_the_api(db_url: str, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "EXECPLAN_API_TOKEN"}
    env |= {"DATABASE_URL": db_url, "EXECPLAN_SETTINGS": str(tmp_path / "none.toml")}
    (tmp_path / "none.toml").write_text("")
    command = [sys.executable, "-m", "api.cli", "serve", "--port", str(port)]
    with subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True) as server:
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    response = httpx.get(f"http://127.0.0.1:{port}/api/projects", timeout=1)
                    break
                except httpx.TransportError:
                    assert server.poll() is None and time.monotonic() < deadline, "serve did not start"
                    time.sleep(0.1)
            assert response.status_code == 200 and response.json() == []
            assert httpx.get(f"http://127.0.0.1:{port}/docs").status_code == 200
        finally:
            server.send_signal(signal.SIGINT)
            _, err = server.communicate(timeout=15)
    assert "no authentication, serving on loopback only" in err
