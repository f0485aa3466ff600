"""Data access: an async psycopg pool behind execute / fetch one / fetch all of named queries.

Every statement comes from `sql/queries.sql` by name. Driver errors are turned into the
project's own exceptions here, so the rest of the code never catches psycopg errors. A database
that cannot be reached is `DatabaseUnavailableError` (a 503 for the service, "try again" for a
background loop), raised within `acquire_timeout` seconds instead of hanging; a pooled connection
is checked before it is handed out, so the first request after a server restart gets a new one.
A database execplan is attached to (`planner.storage.attached`) is found when the pool opens:
then every connection names execplan's tables in its schema `execplan`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, LiteralString, Protocol

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout

import sql
from planner.core.errors import (
    DatabaseError,
    DatabaseUnavailableError,
    DependencyCycleError,
    InvalidInputError,
)

Row = dict[str, Any]
Params = Mapping[str, Any] | None

# SQLSTATE raised by execplan_task_levels_v1 for a dependency cycle (see sql/migrations/0002).
CYCLE_SQLSTATE = "EP001"
# SQLSTATE raised when an orchestrator's tasks cannot be read as they are (sql/attached/sync.sql).
SOURCE_SQLSTATE = "EP002"


# SQLSTATEs that say the server cannot serve now rather than that a statement is wrong: admin
# or crash shutdown, starting up, too many connections (class 08, connection exceptions, too)
UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})


def first_line(text: str) -> str:
    """The first non-empty line of a (multi-line) driver message."""
    return next((line.strip() for line in text.splitlines() if line.strip()), text.strip())


def unavailable(reason: object) -> DatabaseUnavailableError:
    return DatabaseUnavailableError(f"the database is not available: {first_line(str(reason))}")


def translate(error: psycopg.Error) -> Exception:
    """The project's exception for a driver error."""
    diag = error.diag
    state = error.sqlstate
    if (
        state in UNAVAILABLE_SQLSTATES
        or (state or "").startswith("08")
        or (state is None and isinstance(error, psycopg.OperationalError | psycopg.InterfaceError))
    ):
        return unavailable(diag.message_primary or error)
    if error.sqlstate == SOURCE_SQLSTATE:
        return InvalidInputError(diag.message_primary or str(error))
    if error.sqlstate == CYCLE_SQLSTATE:
        text = (diag.message_primary or "").removeprefix("dependency cycle: ")
        return DependencyCycleError(text.split(" -> "))
    if isinstance(error, psycopg.errors.IntegrityError | psycopg.errors.DataError):
        return InvalidInputError(diag.message_primary or str(error))
    return DatabaseError(diag.message_primary or str(error))


def _statement(name: str) -> LiteralString:
    # Named queries are fixed text shipped with the package, never built from input.
    statement: LiteralString = sql.query(name)
    return statement


class Queries(Protocol):
    """Runs named queries: a Database (autocommit) or a Connection (inside a transaction)."""

    async def execute(self, name: str, params: Mapping[str, Any] | None = None) -> int: ...

    async def fetch_one(
        self, name: str, params: Mapping[str, Any] | None = None
    ) -> dict[str, Any] | None: ...

    async def fetch_all(self, name: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]: ...

    async def fetch_value(self, name: str, params: Mapping[str, Any] | None = None) -> Any: ...


class Connection:
    """One connection (usually inside a transaction) running named queries."""

    def __init__(self, conn: psycopg.AsyncConnection[Row]) -> None:
        self.raw = conn

    async def execute(self, name: str, params: Params = None) -> int:
        """Run a named statement; returns the number of rows it touched."""
        try:
            cur = await self.raw.execute(_statement(name), params)
        except psycopg.Error as error:
            raise translate(error) from error
        return cur.rowcount

    async def fetch_one(self, name: str, params: Params = None) -> Row | None:
        """The first row of a named query, or None."""
        try:
            cur = await self.raw.execute(_statement(name), params)
            return await cur.fetchone()
        except psycopg.Error as error:
            raise translate(error) from error

    async def fetch_all(self, name: str, params: Params = None) -> list[Row]:
        """Every row of a named query."""
        try:
            cur = await self.raw.execute(_statement(name), params)
            return await cur.fetchall()
        except psycopg.Error as error:
            raise translate(error) from error

    async def fetch_value(self, name: str, params: Params = None) -> Any:
        """The first column of the first row of a named query, or None."""
        row = await self.fetch_one(name, params)
        return None if row is None else next(iter(row.values()))

    async def copy_rows(self, name: str, rows: Iterable[Sequence[Any]]) -> None:
        """Bulk-load rows with a named `COPY … FROM STDIN` statement."""
        try:
            async with self.raw.cursor() as cur, cur.copy(_statement(name)) as copy:
                for row in rows:
                    await copy.write_row(row)
        except psycopg.Error as error:
            raise translate(error) from error


class Database:
    """A pool of connections to one PostgreSQL database."""

    def __init__(
        self,
        url: str,
        *,
        min_size: int = 1,
        max_size: int = 8,
        acquire_timeout: float = 5.0,
        open_timeout: float = 30.0,
    ) -> None:
        self.url = url
        self.open_timeout = open_timeout
        self.connect_timeout = max(1, round(acquire_timeout))
        self.attached = False
        # what every connection is opened with (the pool's, and `dedicated` ones)
        self.options: dict[str, Any] = {
            "row_factory": dict_row,
            "autocommit": True,
            "connect_timeout": self.connect_timeout,
        }
        self.pool: AsyncConnectionPool[psycopg.AsyncConnection[Row]] = AsyncConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            open=False,
            # a new connection to a host that does not answer gives up as a request would
            kwargs=self.options,
            connection_class=psycopg.AsyncConnection[Row],
            check=AsyncConnectionPool.check_connection,  # a connection dropped while idle: replaced
            timeout=acquire_timeout,  # no connection within this: DatabaseUnavailableError
            # the pool's own retries back off to minutes: give up soon instead, so that the first
            # request once the server is back connects at once
            reconnect_timeout=acquire_timeout,
        )

    async def open(self) -> None:
        """Open the pool and wait until a connection works; a server that refuses is said so at
        once (one connection tried first), not after the pool's retries."""
        try:
            probe = await psycopg.AsyncConnection.connect(self.url, connect_timeout=self.connect_timeout)
        except psycopg.Error as error:
            reason = first_line(str(error)).removeprefix("connection failed: ")
            raise DatabaseUnavailableError(f"cannot connect to the database: {reason}") from error
        try:
            cur = await probe.execute(_statement("attached_schema_exists"))
            row = await cur.fetchone()
        except psycopg.Error as error:
            raise translate(error) from error
        finally:
            await probe.close()
        self.attached = bool(row and row[0])
        if self.attached:
            # attached to an orchestrator's database (planner.storage.attached): execplan's
            # tables are in schema execplan, and every connection names them there
            self.options["options"] = "-c search_path=execplan,pg_catalog"
        try:
            await self.pool.open(wait=True, timeout=self.open_timeout)
        except psycopg.Error as error:
            raise translate(error) from error
        except PoolTimeout as error:
            reason = first_line(str(error))
            raise DatabaseUnavailableError(f"cannot connect to the database: {reason}") from error

    async def close(self) -> None:
        await self.pool.close()

    async def __aenter__(self) -> Database:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        """A connection in autocommit mode: each statement commits on its own."""
        try:
            async with self.pool.connection() as conn:
                yield Connection(conn)
        except PoolTimeout as error:
            raise unavailable(error) from error
        except psycopg.Error as error:  # from the pool itself, e.g. while returning a broken one
            raise translate(error) from error

    @asynccontextmanager
    async def dedicated(self) -> AsyncIterator[Connection]:
        """A connection of its own, outside the pool (autocommit), closed at the end of the block:
        for session state that must last exactly as long as one piece of work (a lock)."""
        try:
            raw = await psycopg.AsyncConnection.connect(self.url, **self.options)
        except psycopg.Error as error:
            raise translate(error) from error
        try:
            yield Connection(raw)
        finally:
            await raw.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """A connection inside one transaction: all its statements commit together, or none."""
        try:
            async with self.pool.connection() as conn, conn.transaction():
                yield Connection(conn)
        except PoolTimeout as error:
            raise unavailable(error) from error
        except psycopg.Error as error:
            raise translate(error) from error

    async def execute(self, name: str, params: Params = None) -> int:
        async with self.connection() as conn:
            return await conn.execute(name, params)

    async def fetch_one(self, name: str, params: Params = None) -> Row | None:
        async with self.connection() as conn:
            return await conn.fetch_one(name, params)

    async def fetch_all(self, name: str, params: Params = None) -> list[Row]:
        async with self.connection() as conn:
            return await conn.fetch_all(name, params)

    async def fetch_value(self, name: str, params: Params = None) -> Any:
        async with self.connection() as conn:
            return await conn.fetch_value(name, params)
