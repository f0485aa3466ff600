"""The API's documentation pages, offline: Swagger UI at `/docs`, ReDoc at `/redoc`.

FastAPI's own pages load their scripts and styles from a CDN, so they stay blank on a machine
without internet access. These pages are FastAPI's same HTML, pointed at copies of Swagger UI
and ReDoc that ship inside the `fastapi-offline` package and are served from `/docs-assets/`.
The pages, their assets and `/openapi.json` describe the API and carry no project data, so they
load without the API token (`serves_without_token`); the calls made from the pages ("Try it
out") carry the token that Swagger UI's Authorize button takes, through the bearer security
scheme that `api/http/app.py` declares when a token is configured.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import fastapi_offline
from fastapi import APIRouter
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import FileResponse, HTMLResponse, Response

ASSETS_DIR: Final = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSETS_PREFIX: Final = "/docs-assets/"
OPENAPI_URL: Final = "/openapi.json"
SWAGGER_URL: Final = "/docs"
OAUTH2_REDIRECT_URL: Final = "/docs/oauth2-redirect"
REDOC_URL: Final = "/redoc"

# The assets served, by file name: nothing else of the package's folder is reachable.
ASSETS: Final[dict[str, str]] = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}
_PAGES: Final = frozenset({OPENAPI_URL, SWAGGER_URL, OAUTH2_REDIRECT_URL, REDOC_URL})
_HEADERS: Final = {"X-Content-Type-Options": "nosniff"}

router = APIRouter(include_in_schema=False)


def serves_without_token(method: str, path: str) -> bool:
    """Whether a request is for a documentation page, its assets or the OpenAPI document."""
    if method not in ("GET", "HEAD"):
        return False
    return path in _PAGES or (path.startswith(ASSETS_PREFIX) and path.removeprefix(ASSETS_PREFIX) in ASSETS)


def _asset(name: str) -> str:
    return ASSETS_PREFIX + name


@router.get(SWAGGER_URL)
async def swagger_ui() -> HTMLResponse:
    """Swagger UI on the API's OpenAPI document; its Authorize button takes the bearer token."""
    return get_swagger_ui_html(
        openapi_url=OPENAPI_URL,
        title="execplan - Swagger UI",
        swagger_js_url=_asset("swagger-ui-bundle.js"),
        swagger_css_url=_asset("swagger-ui.css"),
        swagger_favicon_url=_asset("favicon.png"),
        oauth2_redirect_url=OAUTH2_REDIRECT_URL,
        swagger_ui_parameters={"persistAuthorization": True},
    )


@router.get(OAUTH2_REDIRECT_URL)
async def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get(REDOC_URL)
async def redoc() -> HTMLResponse:
    """ReDoc on the API's OpenAPI document, without web fonts from outside."""
    return get_redoc_html(
        openapi_url=OPENAPI_URL,
        title="execplan - ReDoc",
        redoc_js_url=_asset("redoc.standalone.js"),
        redoc_favicon_url=_asset("favicon.png"),
        with_google_fonts=False,
    )


@router.get(ASSETS_PREFIX + "{name}", response_model=None)
async def docs_asset(name: str) -> Response:
    """One of the documentation pages' assets (ASSETS); anything else is a 404."""
    media_type = ASSETS.get(name)
    if media_type is None:
        return Response(status_code=404)
    return FileResponse(ASSETS_DIR / name, media_type=media_type, headers=_HEADERS)
