"""Request limits: a body over the size limit is a 413 without being read whole; no path or header a 500.

The body tests call the real app (lifespan running, real database) as an ASGI server would, with
a `receive` that counts the chunks the app asked for, so that "not read whole" is something a test
can see; one also sends a 60 MB Content-Length to the app under uvicorn over a real socket.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.types import Message
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.test_api_support import api_client, create_project, served_app, tasks_doc

LIMIT = 8 * 2**20  # the default limit (ServiceConfig.max_body_bytes), as the README says
CHUNK = 64 * 1024


async def call(
    app: FastAPI, method: str, path: str, chunks: list[bytes], headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any], int]:
    """Send a request to `app` in `chunks`; its status, its JSON body and how many chunks it read."""
    read = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal read
        if read == len(chunks):
            await asyncio.sleep(3600)  # nothing more to send: as a server, wait for the client
        read += 1
        return {"type": "http.request", "body": chunks[read - 1], "more_body": read < len(chunks)}

    async def send(message: Message) -> None:
        sent.append(message)

    raw = [(k.lower().encode(), v.encode()) for k, v in {"host": "testserver", **(headers or {})}.items()]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": raw,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "root_path": "",
        "state": {},
    }
    await asyncio.wait_for(app(scope, receive, send), 30)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], json.loads(body), read


def one_line(detail: Any) -> bool:
    return isinstance(detail, str) and "\n" not in detail and len(detail) < 300


async def test_a_body_over_the_limit_is_413_without_being_read_whole(db_url: str, repo: Path) -> None:
    async with api_client(db_url) as (client, app):
        project_id = await create_project(client, repo)
        json_type = {"content-type": "application/json"}
        document = json.dumps(tasks_doc(repo, name="big")).encode()
        padded = document + b" " * (LIMIT - len(document) + 1)  # valid JSON, one byte too many
        chunks = [padded[i : i + CHUNK] for i in range(0, len(padded), CHUNK)]

        # announced by Content-Length: refused before a byte of it is read
        declared = {**json_type, "content-length": str(len(padded))}
        status, body, read = await call(app, "PUT", "/api/projects", chunks, declared)
        assert (status, read) == (413, 0) and one_line(body["detail"]), body
        assert "8 MiB" in body["detail"]
        huge = {**json_type, "content-length": "9" * 5000}
        status, body, read = await call(app, "PUT", "/api/projects", chunks, huge)
        assert (status, read) == (413, 0)

        # streamed without a length (chunked): refused as soon as the bytes pass the limit
        sixty_mb = [b" " * CHUNK] * (60 * 2**20 // CHUNK)
        for method, path in (
            ("PUT", "/api/projects"),
            ("PATCH", f"/api/projects/{project_id}/execution-plan"),
            ("PUT", f"/api/projects/{project_id}/sessions/1"),
            ("POST", f"/api/projects/{project_id}/execution-plan/build"),  # reads no body: not refused
        ):
            status, body, read = await call(app, method, path, [document[:1], *sixty_mb], json_type)
            if method == "POST":
                assert status == 202 and read == 0
                await app.state.builds.wait_idle()
                continue
            assert status == 413 and one_line(body["detail"]), (path, body)
            assert read <= LIMIT // CHUNK + 2, read  # not the 60 MB

        status, body, read = await call(app, "PUT", "/api/projects", chunks, json_type)
        assert status == 413 and read == len(chunks)  # the last chunk passes the limit

        # a body of the limit itself is served
        session = b'{"type": "coding", "status": "running"}'
        fits = session + b" " * (LIMIT - len(session))
        status, body, _ = await call(
            app,
            "PUT",
            f"/api/projects/{project_id}/sessions/1",
            [fits],
            {**json_type, "content-length": str(LIMIT)},
        )
        assert status == 200 and body["status"] == "running", body

        bad_length = {**json_type, "content-length": "12abc"}
        status, body, read = await call(app, "PUT", "/api/projects", [document], bad_length)
        assert status == 400 and one_line(body["detail"]) and "Content-Length" in body["detail"]
        # nothing of the refused bodies was written
        assert [p["name"] for p in (await client.get("/api/projects")).json()] == ["shop"]


async def test_a_60_mb_put_is_refused_before_it_is_sent(db_url: str) -> None:
    async with served_app(db_url) as served:
        host, port = served.base_url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            writer.write(
                b"PUT /api/projects HTTP/1.1\r\nHost: " + f"{host}:{port}".encode() + b"\r\n"
                b'Content-Type: application/json\r\nContent-Length: 62914560\r\n\r\n{"project": '
            )
            await writer.drain()
            # the answer comes with 60 MB still unsent, and the server ends the connection
            answer = await asyncio.wait_for(reader.read(), 10)
        finally:
            writer.close()
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 413 "), answer[:200]
        assert b"connection: close" in head.lower()
        assert "request body too large" in json.loads(body)["detail"]


@pytest.mark.parametrize(
    "project_id", ["not-a-uuid", "1" * 5000, "%00", "00000000-0000-0000-0000-00000000000g"]
)
async def test_a_websocket_for_a_malformed_project_id_is_refused_not_a_500(
    db_url: str, project_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with served_app(db_url) as served:
        with pytest.raises(InvalidStatus) as refusal:
            async with connect(served.base_url.replace("http://", "ws://") + f"/api/ws/{project_id}"):
                pass
        assert refusal.value.response.status_code < 500
    assert not [r for r in caplog.records if r.levelname == "ERROR"], caplog.text
