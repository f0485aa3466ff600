"""Access to the service: a bearer token (EXECPLAN_API_TOKEN) on every request, or loopback only.

With a token configured, every HTTP request and every WebSocket handshake — API, OpenAPI docs —
must carry `Authorization: Bearer <token>`, compared in constant time; anything else gets 401.
A browser cannot set that header (the plan page's script, its WebSocket), so the same token is
also accepted from the `execplan_token` cookie, which the plan page sets (SameSite=Strict);
what the cookie may do from which origin is the rule of `api/guards.py` (the service's own pages).
The only requests let through without it are the ones a `public` predicate names: the plan
page's frame and static assets, which carry no project data. The token is never logged or
echoed. Without a token there is no authentication, so `execplan serve` refuses to bind an
address other than loopback.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import os
from collections.abc import Callable

from starlette.datastructures import Secret
from starlette.types import ASGIApp, Receive, Scope, Send

TOKEN_VARIABLE = "EXECPLAN_API_TOKEN"
TOKEN_COOKIE = "execplan_token"
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def token_from_env() -> str | None:
    """The configured API token, or None when EXECPLAN_API_TOKEN is unset or empty."""
    return os.environ.get(TOKEN_VARIABLE) or None


def is_loopback(host: str) -> bool:
    """Whether `host` (a name or an address, IPv6 possibly in brackets) is this machine only."""
    host = host.strip().strip("[]")
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind_refusal(host: str, token: str | None) -> str | None:
    """Why serving on `host` is refused (no token and not loopback), or None when it is allowed."""
    if token is None and not is_loopback(host):
        return (
            f"{TOKEN_VARIABLE} is not set: refusing to serve on {host}; without a token the API "
            "has no authentication and binds only to loopback (127.0.0.1, ::1, localhost)"
        )
    return None


def presented_token(scope: Scope) -> str | None:
    """The token a request presents: `Authorization: Bearer <token>`, else the token cookie."""
    cookie: str | None = None
    for name, value in scope.get("headers", ()):
        header: str = bytes(value).decode("latin-1")
        if name == b"authorization":
            scheme, _, credentials = header.partition(" ")
            if scheme.lower() == "bearer" and credentials.strip():
                return credentials.strip()
        elif name == b"cookie" and cookie is None:
            cookie = _cookie_value(header, TOKEN_COOKIE)
    return cookie


def _cookie_value(header: str, wanted: str) -> str | None:
    for pair in header.split(";"):
        name, _, value = pair.strip().partition("=")
        if name == wanted and value:
            return value.strip().strip('"')
    return None


def token_matches(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a presented token with the configured one."""
    if given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


UNAUTHORIZED_BODY = json.dumps({"detail": "missing or wrong bearer token"}).encode()
UNAUTHORIZED_HEADERS = [
    (b"content-type", b"application/json"),
    (b"content-length", str(len(UNAUTHORIZED_BODY)).encode()),
    (b"www-authenticate", b'Bearer realm="execplan"'),
]


class BearerTokenMiddleware:
    """ASGI middleware: requests and WebSocket handshakes without the right bearer token get 401."""

    def __init__(self, app: ASGIApp, token: Secret, public: Callable[[str, str], bool] | None = None) -> None:
        if not str(token):
            raise ValueError("BearerTokenMiddleware needs a non-empty token")
        self.app = app
        self._token = token  # a Secret: its repr (in Starlette's middleware list) hides it
        self._public = public  # (method, path) -> whether it is served without the token

    def __repr__(self) -> str:  # never show the token
        return f"{type(self).__name__}(app={self.app!r})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] not in ("http", "websocket")
            or token_matches(presented_token(scope), str(self._token))
            or (scope["type"] == "http" and self._public and self._public(scope["method"], scope["path"]))
        ):
            await self.app(scope, receive, send)
        elif scope["type"] == "http":
            await send({"type": "http.response.start", "status": 401, "headers": UNAUTHORIZED_HEADERS})
            await send({"type": "http.response.body", "body": UNAUTHORIZED_BODY})
        else:
            await deny_websocket(scope, receive, send, 401, UNAUTHORIZED_BODY, UNAUTHORIZED_HEADERS)


async def deny_websocket(
    scope: Scope, receive: Receive, send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    """Refuse a WebSocket handshake with an HTTP response where the server can send one.

    Servers without the `websocket.http.response` extension can only close the handshake (1008).
    """
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    if "websocket.http.response" in scope.get("extensions", {}):
        await send({"type": "websocket.http.response.start", "status": status, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": 1008})
