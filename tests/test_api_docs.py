"""The documentation pages work offline: /docs and /redoc reference only assets the app serves itself,
and those load without the API token; the OpenAPI document declares the bearer scheme for Authorize."""

from __future__ import annotations

import re

import pytest

from api.http.docs import serves_without_token
from tests.test_api_support import TOKEN, api_client

REFERENCE = re.compile(r"""(?:src|href|spec-url|url)\s*[=:]\s*["']([^"']+)["']""")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_pages_load_their_assets_from_the_app_without_the_token(db_url: str, page: str) -> None:
    async with api_client(db_url, token=TOKEN) as (client, _):
        anonymous = {"Authorization": ""}
        response = await client.get(page, headers=anonymous)
        assert response.status_code == 200
        html = response.text
        assert "http://" not in html and "https://" not in html and "//cdn" not in html
        references = set(REFERENCE.findall(html))
        assert "/openapi.json" in references
        assert any(r.endswith(".js") for r in references)
        for url in references:
            assert url.startswith("/"), url
            asset = await client.get(url, headers=anonymous)
            assert asset.status_code == 200, url
            assert asset.content, url
        schema = (await client.get("/openapi.json", headers=anonymous)).json()
        assert schema["components"]["securitySchemes"]["bearer"] == {
            "type": "http", "scheme": "bearer", "description": "EXECPLAN_API_TOKEN"
        }  # fmt: skip
        assert schema["security"] == [{"bearer": []}]  # Swagger UI's Authorize sends it with every call
        # the API itself still needs the token; with it (as Authorize sends it) the call goes through
        assert (await client.get("/api/projects", headers=anonymous)).status_code == 401
        assert (await client.get("/api/projects")).status_code == 200


async def test_only_the_listed_docs_assets_are_served(db_url: str) -> None:
    async with api_client(db_url) as (client, _):
        css = await client.get("/docs-assets/swagger-ui.css")
        assert css.headers["content-type"].startswith("text/css")
        for name in ("core.py", "__init__.py", "..%2Fcore.py", "nothing.js"):
            assert (await client.get(f"/docs-assets/{name}")).status_code == 404, name
    assert serves_without_token("GET", "/docs") and serves_without_token("HEAD", "/docs-assets/favicon.png")
    assert not serves_without_token("POST", "/docs")
    assert not serves_without_token("GET", "/docs-assets/core.py")
    assert not serves_without_token("GET", "/api/projects")
