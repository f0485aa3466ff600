"""`execplan serve`: the HTTP and WebSocket API, the plan pages and the background loops (Session-0
builds, worktree watch) under uvicorn, on the embedded database unless DATABASE_URL is set; the
embedded server it started is stopped when it stops (Ctrl-C or SIGTERM)."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from api.cli.manage import page_url
from planner.core.errors import ExecplanError
from planner.core.settings import load_settings
from planner.storage.embedded import database_url, stop_embedded


def add_command(sub: argparse._SubParsersAction[Any]) -> None:
    """The command, on the `execplan` parser."""
    serve = sub.add_parser("serve", help="serve the HTTP and WebSocket API (docs at /docs)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind")
    serve.add_argument("--port", type=int, default=8000, help="port")
    serve.set_defaults(sync=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the HTTP and WebSocket API with uvicorn (embedded database unless DATABASE_URL is set)."""
    import importlib.util

    import uvicorn

    from api.http.app import ServiceConfig, create_app
    from api.http.auth import TOKEN_VARIABLE, bind_refusal, token_from_env

    token = token_from_env()
    refusal = bind_refusal(args.host, token)
    if refusal:
        raise ExecplanError(refusal)
    for name in ("api", "planner"):
        logging.getLogger(name).setLevel(logging.INFO)
    if token is None:
        print(
            f"execplan: {TOKEN_VARIABLE} is not set: no authentication, serving on loopback only",
            file=sys.stderr,
        )
    if not (importlib.util.find_spec("websockets") or importlib.util.find_spec("wsproto")):
        print(
            "execplan: no WebSocket library (websockets or wsproto) installed: /api/ws/ is unavailable",
            file=sys.stderr,
        )
    app = create_app(load_settings(), ServiceConfig.from_env(database_url=database_url()))
    print(f"execplan: plan pages at {page_url(host=args.host, port=args.port)}", file=sys.stderr)
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM, raised again by uvicorn once it has shut down
        pass
    finally:
        stop_embedded()  # the embedded server it started, unless another process still uses it
    return 0
