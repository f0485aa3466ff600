"""Schemathesis over the app's own OpenAPI: no 5xx, and every answer is one the schema documents.

The real app is served by uvicorn on a loopback port with its lifespan (pool, migrations,
listener, broadcaster) on the test's own database, seeded with a real project (tasks imported
from the `repo` fixture, a plan built, a session stored). Its OpenAPI document is read from the
running app, and every operation in it is fuzzed by schemathesis over real HTTP, with data that
fits the schema and with data that does not. Each answer must not be a server error, and its
status code, content type and body must be ones the schema documents for that operation.

Two thirds of the requests that take a `project_id` path parameter name a known project (the
seeded one, or one that fuzzing PUT /api/projects created), so that the plan, task and session
endpoints answer with real data rather than 404; the rest keep the generated id. PATCH of the plan
is sent with and without `If-Match`, sometimes with the plan's current version and a valid
adjustment (200); GET of the plan sometimes with the current ETag in `If-None-Match` (304); PUT of
a session sometimes completes Session 0, which builds plans in the background. The server must
log no warning meanwhile: a failed background build would show only there. A shorter run does the
same with EXECPLAN_API_TOKEN set, one call in five without the right token (401).

The last test pins what schemathesis found, each as a regression check: a body that is not UTF-8
is FastAPI's 400 (now documented), the plan page's 404 for what no project could be (now documented), the
422 body, whose two shapes (a reason, or FastAPI's list of bad fields) are now documented, and,
with a token, the 401 of every operation but the page's frame (which is served without it).

Not covered here: the WebSocket route `/api/ws/{id}`, which OpenAPI does not describe (the
WebSocket tests in tests/test_api_events.py cover it), and `/static/{name}`, which the app leaves
out of its schema on purpose (the plan page tests cover it).
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import hypothesis.errors
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.http.auth import TOKEN_VARIABLE
from api.http.schemas import ErrorBody, RefusedBody
from tests.test_api_support import (
    TOKEN,
    api_client,
    auth_headers,
    built_plan,
    create_project,
    make_app,
    served_app,
)

MAX_EXAMPLES = 30  # per operation and generation mode
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
POSITIVE, NEGATIVE = schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE


def settings(max_examples: int) -> hypothesis.settings:
    return hypothesis.settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        # no shrinking: the round of targets and variants (Fuzz.run) moves on with every call, so a
        # replayed case would not be sent the same way; a failure is reported with the case as sent
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


class Fuzz:
    """One fuzzing run against a served app: the projects it knows, and the failures found so far."""

    def __init__(
        self, base_url: str, project_id: str, plan: dict[str, Any], token: str | None = None
    ) -> None:
        self.base_url = base_url
        self.project_id = project_id  # the seeded project, with a plan
        self.auth = auth_headers(token)
        self.failures: list[str] = []
        self.nothing_to_negate: list[str] = []
        self.calls: dict[str, int] = {}  # by operation and mode
        self.statuses: dict[str, set[int]] = {}  # by operation
        # adjustments that apply to the seeded plan: mark a batch sequential, or keep a task's worktree
        self.valid_patches: list[dict[str, Any]] = [
            {"batch_overrides": [{"batch_id": batch["batch_id"], "sequential": sequential}]}
            for batch in plan["batches"]
            for sequential in (True, False)
        ] + [{"worktree_assignments": {task: tree}} for task, tree in plan["worktree_assignments"].items()]

    def get(self, path: str) -> requests.Response:
        # a connection per request: the test server's pre-bound socket (tests/test_api_support.py)
        # lacks TCP_NODELAY, so on a kept-alive connection each request waits ~40 ms for a delayed ACK
        return requests.get(f"{self.base_url}{path}", headers=self.auth, timeout=10)

    def current_tag(self) -> str:
        """The ETag of the seeded project's plan now (builds started by the fuzzing move it on)."""
        return self.get(f"/api/projects/{self.project_id}/execution-plan").headers.get("etag") or '"0"'

    def project_ids(self) -> list[str]:
        """The seeded project and those PUT /api/projects has created so far."""
        projects = self.get("/api/projects").json()
        return [self.project_id, *sorted(p["id"] for p in projects if p["id"] != self.project_id)]

    def run(self, operation: Any, mode: schemathesis.GenerationMode, max_examples: int) -> None:
        """Fuzz one operation in one generation mode; a failure is recorded, not raised."""
        label = f"{operation.label} ({mode.value})"
        method, path = operation.method.upper(), operation.path
        takes_project = "{project_id}" in path
        is_patch = method == "PATCH" and path.endswith("/execution-plan")
        is_plan_get = method == "GET" and path.endswith("/execution-plan")
        is_session_put = method == "PUT" and path.endswith("/sessions/{session_number}")
        others = self.project_ids()[1:] or [self.project_id]

        @settings(max_examples)
        @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
        def fuzz(case: Any) -> None:
            # the n-th case goes round the targets and variants, so that each combination is sent
            n = self.calls.get(label, 0)
            target, variant = ("seeded", "other", "generated")[n % 3], n // 3 % 4
            # a known project in the path (two thirds of the cases), so that not every call is a 404
            if takes_project and target != "generated":
                case.path_parameters["project_id"] = (
                    self.project_id if target == "seeded" else others[n // 12 % len(others)]
                )
            seeded = case.path_parameters.get("project_id") == self.project_id
            patch = self.valid_patches[n // 12 % len(self.valid_patches)]
            if mode.is_positive:  # keep what negative data made invalid
                headers = dict(case.headers or {})
                if is_patch and variant in (0, 1):  # the plan's current version: 200 or a 422 reason
                    headers["If-Match"] = self.current_tag()
                    case.body = patch if variant == 0 and seeded else case.body
                elif is_patch and variant == 2:  # no If-Match at all: 428
                    headers = {k: v for k, v in headers.items() if k.lower() != "if-match"}
                elif is_plan_get and variant == 0:  # the current ETag: 304
                    headers["If-None-Match"] = self.current_tag()
                elif is_session_put and variant == 0:  # Session 0 completes: an automatic build
                    case.path_parameters["session_number"] = 0
                    case.body = {"type": "initializer", "status": "completed"}
                case.headers = headers
            if n % 5 != 4:  # with a token, one call in five keeps what schemathesis made up (401)
                case.headers = {**(case.headers or {}), **self.auth}
            self.calls[label] = self.calls.get(label, 0) + 1
            response = case.call(base_url=self.base_url, timeout=30)  # no session: a connection per call
            self.statuses.setdefault(operation.label, set()).add(response.status_code)
            case.validate_response(response, checks=CHECKS)

        try:
            fuzz()
        except hypothesis.errors.Unsatisfiable:
            if mode.is_positive:
                raise
            # nothing in this operation's input can be made invalid (no parameters or body, or only
            # a path string that takes any value); the test checks that these are the expected few
            self.nothing_to_negate.append(operation.label)
        except (Exception, FailureGroup) as error:  # every operation is fuzzed; all failures are reported
            self.failures.append(f"== {label}\n{error}")


def run_schemathesis(
    raw_schema: dict[str, Any], fuzz: Fuzz, modes: tuple[schemathesis.GenerationMode, ...], max_examples: int
) -> list[str]:
    """Fuzz every operation of the schema (blocking: runs in a worker thread beside the server)."""
    schema = schemathesis.openapi.from_dict(raw_schema, config=schemathesis.Config())
    operations = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()  # the app's own schema must be one schemathesis can read whole
        operations.append(result.ok())
    for operation in operations:
        for mode in modes:
            fuzz.run(operation, mode, max_examples)
    return [op.label for op in operations]


async def fuzz_served_app(
    db_url: str,
    repo: Path,
    modes: tuple[schemathesis.GenerationMode, ...],
    max_examples: int,
    token: str | None = None,
) -> tuple[Fuzz, list[str]]:
    """Serve the app, seed it with a planned project, and fuzz every operation of its own OpenAPI."""
    started = time.monotonic()
    async with (
        served_app(db_url, token=token) as served,
        httpx.AsyncClient(base_url=served.base_url, headers=auth_headers(token)) as client,
    ):
        project_id = await create_project(client, repo)
        plan = await built_plan(client, served.app, project_id)
        session = await client.put(
            f"/api/projects/{project_id}/sessions/1", json={"type": "coding", "status": "running"}
        )
        assert session.status_code == 200, session.text
        openapi = await client.get("/openapi.json")
        assert openapi.status_code == 200
        fuzz = Fuzz(served.base_url, project_id, plan, token)
        labels = await asyncio.to_thread(run_schemathesis, openapi.json(), fuzz, modes, max_examples)
        await served.app.state.builds.wait_idle()
    elapsed = time.monotonic() - started
    print(f"schemathesis: {sum(fuzz.calls.values())} calls, {len(labels)} operations, {elapsed:.1f}s")
    assert not fuzz.failures, "\n\n".join(fuzz.failures)
    # every operation fuzzed in every mode, or could not be (…/check, …/merge-order and
    # …/worktree-conflicts the 13th to 15th)
    assert len(labels) == 15
    assert all(
        f"{label} ({mode.value})" in fuzz.calls or label in fuzz.nothing_to_negate
        for label in labels
        for mode in modes
    )
    return fuzz, labels


async def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    db_url: str, repo: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    fuzz, _ = await fuzz_served_app(db_url, repo, (POSITIVE, NEGATIVE), MAX_EXAMPLES)
    assert fuzz.nothing_to_negate == ["GET /api/projects", "GET /projects/{project_id}/plan"]
    # the fuzzing got real answers, not only 404 and 422
    plan_url = "/api/projects/{project_id}/execution-plan"
    for label, wanted in {
        "PUT /api/projects": {201, 422},
        "GET /api/projects/{project_id}/tasks": {200, 404, 422},
        "PUT /api/projects/{project_id}/sessions/{session_number}": {200, 404, 422},
        f"GET {plan_url}": {200, 304, 404, 422},
        f"PATCH {plan_url}": {200, 412, 422, 428},
        f"POST {plan_url}/build": {202, 404, 422},
        "GET /projects/{project_id}/plan": {200},
    }.items():
        assert wanted <= fuzz.statuses[label], (label, fuzz.statuses[label])
    # nothing went wrong out of sight either (background builds, listeners)
    expected = (TOKEN_VARIABLE, "start-up:")  # no token (loopback only); a slow start-up on a busy machine
    unexpected = [r.getMessage() for r in caplog.records if not r.getMessage().startswith(expected)]
    assert not unexpected, unexpected


async def test_schemathesis_with_the_api_token(db_url: str, repo: Path) -> None:
    # fewer examples: the operations are the same, what changes is the 401 of a call without the token
    fuzz, labels = await fuzz_served_app(db_url, repo, (POSITIVE,), 10, token=TOKEN)
    page = "GET /projects/{project_id}/plan"  # the page's frame carries no data: served without the token
    assert all(401 in fuzz.statuses[label] for label in labels if label != page), fuzz.statuses
    assert 401 not in fuzz.statuses[page]


async def test_what_schemathesis_found_is_answered_as_documented(db_url: str, repo: Path) -> None:
    async with api_client(db_url) as (client, app):
        project_id = await create_project(client, repo)
        await built_plan(client, app, project_id)
        paths = app.openapi()["paths"]
        plan_url = f"/api/projects/{project_id}/execution-plan"

        # a body that is not UTF-8 text: FastAPI's 400, documented on every operation with a body
        not_text = {"content": b"\xff\xfe{", "headers": {"Content-Type": "application/json"}}
        for method, url, path in [
            ("PUT", "/api/projects", "/api/projects"),
            (
                "PUT",
                f"/api/projects/{project_id}/sessions/1",
                "/api/projects/{project_id}/sessions/{session_number}",
            ),
            ("PATCH", plan_url, "/api/projects/{project_id}/execution-plan"),
        ]:
            response = await client.request(method, url, **not_text)  # type: ignore[arg-type]
            assert response.status_code == 400, (url, response.text)
            ErrorBody.model_validate(response.json())
            documented = paths[path][method.lower()]["responses"]
            assert documented["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
            assert documented["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/RefusedBody")

        # both shapes of a 422 are the documented RefusedBody: a reason, and FastAPI's list of fields
        relative = {"project": {"name": "x", "repo_path": "relative/path"}, "tasks": []}
        reason = await client.put("/api/projects", json=relative)
        assert reason.status_code == 422 and isinstance(reason.json()["detail"], str)
        fields = await client.put("/api/projects", json={"tasks": [], "bogus": 1})
        assert fields.status_code == 422 and isinstance(fields.json()["detail"], list)
        for response in (reason, fields):
            RefusedBody.model_validate(response.json())

        # the plan page's 404 for what no project could be is documented, as HTML
        page = await client.get("/projects/" + "x" * 501 + "/plan")
        assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
        assert "text/html" in paths["/projects/{project_id}/plan"]["get"]["responses"]["404"]["content"]

    # with a token, the 401 of every operation but the page's frame is documented
    with_token = make_app(db_url, api_token=TOKEN).openapi()["paths"]
    for path, operations in with_token.items():
        for method, operation in operations.items():
            if path == "/projects/{project_id}/plan":
                assert "401" not in operation["responses"] and operation["security"] == []
            else:
                assert operation["responses"]["401"]["description"].startswith("missing or wrong"), (
                    method,
                    path,
                )
