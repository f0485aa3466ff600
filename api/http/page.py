"""The plan pages: `GET /` (the projects, each a link), `GET /projects/{id or name}/plan` and their
static assets (HTML, CSS and vanilla JS).

The page shows a project's stored execution plan as a picture — batches as columns, one lane per
worktree, tasks as cards with their predicted files, predicted conflicts marked — and keeps it up
to date from the WebSocket. Everything it needs is served from `api/http/static/` by this router: no
CDN, no build step. The HTML and the assets carry no project data; the page's script reads the
plan and the tasks from the REST API (`/api/projects/{id}/execution-plan`, `/api/projects/{id}/tasks`)
and listens on `/api/ws/{id}`, so those calls are the ones that need the API token when one is
set. The page therefore does not ask for the token itself; on a 401 from the API it shows a form
that stores the token in the `execplan_token` cookie.
"""

from __future__ import annotations

import html
import re
from pathlib import Path as FilePath
from typing import Annotated, Final

from fastapi import APIRouter, Path
from fastapi.responses import FileResponse, HTMLResponse

STATIC_DIR: Final = FilePath(__file__).resolve().parent / "static"

_TYPES: Final = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
# The assets the router serves, by URL name (the scripts and style sheets of `static/`; the page's
# script is split into modules, `plan*.js`): nothing else under /static/ is reachable.
ASSETS: Final[dict[str, str]] = {
    path.name: _TYPES[path.suffix] for path in sorted(STATIC_DIR.iterdir()) if path.suffix in _TYPES
}

# Assets are small and change with the package: let browsers revalidate rather than guess.
_NO_CACHE: Final = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}

router = APIRouter(tags=["plan page"])

_PAGE_PATH: Final = re.compile(r"^/projects/[^/]+/plan$")


def serves_without_token(method: str, path: str) -> bool:
    """Whether a request is for the page's frame or an asset, which carry no project data.

    For the authentication middleware: a browser can only present the token as a cookie, which
    the page's own form sets after a 401 from the API, so the page itself has to load without one.
    """
    if method not in ("GET", "HEAD"):
        return False
    return path == "/" or bool(_PAGE_PATH.match(path)) or path.removeprefix("/static/") in ASSETS


def _not_found_page(message: str) -> HTMLResponse:
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not found · execplan</title>'
        '<link rel="stylesheet" href="/static/plan.css"></head>'
        f'<body><main class="notice"><h1>Not found</h1><p>{html.escape(message)}</p></main></body></html>'
    )
    return HTMLResponse(body, status_code=404, headers=_NO_CACHE)


def plan_page_html(project: str) -> str:
    """The page for one project: the static template with the project's id (or name) filled in."""
    template = (STATIC_DIR / "plan.html").read_text(encoding="utf-8")
    return template.replace("{{PROJECT_ID}}", html.escape(project))


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def projects_page() -> HTMLResponse:
    """Every project with a link to its plan page (the list itself comes from the API)."""
    return HTMLResponse((STATIC_DIR / "projects.html").read_text(encoding="utf-8"), headers=_NO_CACHE)


@router.get("/projects/{project_id}/plan", response_class=HTMLResponse, summary="The plan page")
async def plan_page(
    project_id: Annotated[str, Path(description="the project's id, or its name")],
) -> HTMLResponse:
    """The execution plan of a project, by its id or its name, as a picture kept live from the
    WebSocket. The data comes from the API, so an unknown project (or one without a plan) is
    reported on the page itself."""
    if not project_id.strip() or len(project_id) > 500:  # no project has such a name
        return _not_found_page(f"{project_id[:80]!r} is not a project id or name.")
    return HTMLResponse(plan_page_html(project_id), headers=_NO_CACHE)


@router.get("/static/{name}", include_in_schema=False, response_model=None)
async def static_asset(name: str) -> FileResponse | HTMLResponse:
    """One of the page's assets (ASSETS); anything else is a 404."""
    media_type = ASSETS.get(name)
    if media_type is None:
        return _not_found_page(f"no asset named {name!r}.")
    return FileResponse(STATIC_DIR / name, media_type=media_type, headers=_NO_CACHE)
