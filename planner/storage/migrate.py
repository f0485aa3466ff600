"""Applies the numbered migrations of `sql/migrations` that a database has not seen yet."""

from __future__ import annotations

from typing import LiteralString

import psycopg

import sql
from planner.storage.database import Connection, Database, translate


async def migrate(db: Database) -> list[int]:
    """Apply pending migrations in one transaction (serialised by an advisory lock).

    Returns the versions applied now; an up-to-date database returns an empty list.
    """
    async with db.transaction() as conn:
        return await apply_migrations(conn)


async def apply_migrations(conn: Connection) -> list[int]:
    """`migrate` inside the caller's transaction (`execplan attach` creates its schema in it)."""
    await conn.execute("migrations_lock")
    await conn.execute("migrations_create_table")
    applied = {row["version"] for row in await conn.fetch_all("migrations_applied")}
    done: list[int] = []
    for migration in sql.migrations():
        if migration.version in applied:
            continue
        try:
            # migration files are package data, never user text
            statement: LiteralString = migration.sql
            await conn.raw.execute(statement)
        except psycopg.Error as error:
            raise translate(error) from error
        await conn.execute("migrations_record", {"version": migration.version, "name": migration.name})
        done.append(migration.version)
    return done
