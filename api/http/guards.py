"""Guards in front of the routes: the same-origin rule of browser requests, and the body size limit.

Same origin. A browser sends the `execplan_token` cookie with every request to this host — also
from a page of another port, which is the same site, so SameSite=Strict does not stop it — and
without a token the service trusts whatever reaches its loopback port. So a request that changes
state (any method but GET, HEAD and OPTIONS) and every WebSocket handshake must come from the
service's own pages: its `Origin` (or, lacking it, its `Referer`) must name the request's own
scheme://host:port, else 403. Without either header, a request authenticated by the cookie is
refused too (every browser sends `Origin` with such requests and handshakes; a client that is no
browser sends the token as `Authorization: Bearer`), while without a token it is let through
(the CLI and scripts send no `Origin`). A request carrying `Authorization: Bearer` is not at risk:
no page can make a browser send that header to another origin without CORS, which the service
does not grant.

Body size. A request body larger than `max_bytes` gets 413 without being read whole: at once when
its Content-Length says so, else as soon as the bytes received pass the limit (a chunked body).
The connection is then closed, since the rest of the body is not read.

JSON bodies. Every route's JSON body is read by the importer's parser (`StrictJsonRoute`), not
`json.loads`: nesting is bounded, a huge integer stays text for the validator to name with its
key, and a duplicate key is kept for it to refuse; text that is no JSON is a 422 saying where.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlsplit

from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http.auth import deny_websocket
from planner.formats.parse import ParseError, parse_json

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DEFAULT_PORTS = {"http": 80, "https": 443}
WEBSOCKET_SCHEMES = {"ws": "http", "wss": "https"}

Origin = tuple[str, str, int]  # scheme, host, port


def json_error(status: int, detail: str) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """The body and headers of a one-line JSON error `{"detail": ...}`."""
    body = json.dumps({"detail": detail}).encode()
    return body, [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]


async def send_error(send: Send, status: int, detail: str, *, close: bool = False) -> None:
    """Answer an HTTP request with a JSON error; `close`: the connection is not reused (unread body)."""
    body, headers = json_error(status, detail)
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _shown(value: str) -> str:
    return repr(value if len(value) <= 80 else value[:80] + "…")


def origin_of(url: str) -> Origin | None:
    """The scheme, host and port an origin or URL names (default port filled in); None if it names none."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:  # a port that is no number or out of range, a broken IPv6 address
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname, port or DEFAULT_PORTS[scheme]


def own_origin(scope: Scope, headers: Headers) -> Origin | None:
    """The origin the request was sent to: its scheme and its Host (else the server's address)."""
    scheme = WEBSOCKET_SCHEMES.get(scope["scheme"], scope["scheme"])
    host = headers.get("host")
    if host is None and scope.get("server"):
        address, port = scope["server"]
        host = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
    return origin_of(f"{scheme}://{host}") if host else None


def _shown_origin(origin: Origin | None) -> str:
    if origin is None:
        return "unknown"
    scheme, host, port = origin
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


def origin_refusal(scope: Scope, cookie_authenticates: bool) -> str | None:
    """Why a request or WebSocket handshake is refused as coming from another origin, or None."""
    if scope["type"] == "http" and scope["method"] in SAFE_METHODS:
        return None
    headers = Headers(scope=scope)
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return None  # a header no page of another origin can make the browser send
    what = "WebSocket handshake" if scope["type"] == "websocket" else f"{scope['method']} request"
    source, sent = "Origin", headers.get("origin")
    if not sent:
        source, sent = "Referer", headers.get("referer")
    if not sent:
        if not cookie_authenticates:
            return None
        return (
            f"{what} with the token cookie but without Origin refused: cookies are for the service's "
            "own pages; other clients send Authorization: Bearer <token>"
        )
    own = own_origin(scope, headers)
    if own is not None and origin_of(sent) == own:
        return None
    return (
        f"cross-origin {what} refused: {source} {_shown(sent)} is not this service's origin "
        f"{_shown_origin(own)}"
    )


class SameOriginMiddleware:
    """ASGI middleware: state-changing requests and WebSocket handshakes from another origin get 403.

    `cookie_authenticates`: the service has a token, so a request without `Authorization: Bearer`
    that got this far was let in by the cookie (or is public, and then only reads).
    """

    def __init__(self, app: ASGIApp, cookie_authenticates: bool) -> None:
        self.app = app
        self.cookie_authenticates = cookie_authenticates

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = None
        if scope["type"] in ("http", "websocket"):
            refusal = origin_refusal(scope, self.cookie_authenticates)
        if refusal is None:
            await self.app(scope, receive, send)
        elif scope["type"] == "http":
            await send_error(send, 403, refusal)
        else:
            body, headers = json_error(403, refusal)
            await deny_websocket(scope, receive, send, 403, body, headers)


class _BodyTooLarge(Exception):
    """Raised to the app by `receive` when the body passes the limit (the middleware answers 413)."""


class BodySizeLimitMiddleware:
    """ASGI middleware: a request body of more than `max_bytes` gets 413, without being read whole."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self) -> str:
        return f"request body too large: more than {self.max_bytes} bytes ({self.max_bytes / 2**20:g} MiB)"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            declared = declared.strip()
            if not (declared.isascii() and declared.isdigit()):
                await send_error(
                    send, 400, f"Content-Length {_shown(declared)} is not a number of bytes", close=True
                )
                return
            if len(declared) > 15 or int(declared) > self.max_bytes:
                await send_error(send, 413, self._too_large(), close=True)
                return
        received = 0
        over = False  # the body passed the limit: the app's answer to it is replaced by the 413
        started = False

        async def counted_receive() -> Message:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    over = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if over and not started:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not over or started:
                raise
        if over and not started:
            await send_error(send, 413, self._too_large(), close=True)


class StrictJsonRequest(Request):
    """A request whose JSON body is parsed by the importer's parser (see the module)."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:  # FastAPI passes an HTTPException through as it is
                text = body.decode(json.detect_encoding(body))
            except UnicodeDecodeError as error:  # no text at all: a bad request, as FastAPI says
                raise HTTPException(
                    400, detail=f"body: not {error.encoding} text (byte {error.start})"
                ) from None
            try:
                self._json = parse_json(text)
            except ParseError as error:
                raise HTTPException(422, detail=f"body: {error.message('JSON')}") from None
        return self._json


class StrictJsonRoute(APIRoute):
    """A route that reads its JSON body as `StrictJsonRequest` does."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handle(StrictJsonRequest(request.scope, request.receive))

        return strict
