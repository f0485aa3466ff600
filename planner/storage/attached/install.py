"""`execplan attach` and `execplan detach`: execplan planning inside an orchestrator's database.

Attaching, in one transaction: check that the profile's tables and columns are there; create
schema `execplan` with every migration in it (execplan's own tables, there a mirror of the
orchestrator's, and its bookkeeping: plan history, overrides, the repository index); the
`source_*` views that read the orchestrator's tables, the functions that refresh the mirror, the
triggers that write the plan and the predictions back (`jsonb_set`, their keys only) and the one
trigger on the orchestrator's sessions table (sql/attached); record the profile. Detaching drops
that trigger and the schema. The SQL is composed from the profile with `psycopg.sql`: names as
quoted identifiers, values as literals.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import LiteralString

import psycopg
from psycopg import sql as pgsql

import sql
from planner.core.errors import InvalidInputError
from planner.storage.attached.profile import Profile, profile_from
from planner.storage.database import Connection, Database, Queries, Row, translate
from planner.storage.migrate import apply_migrations

# the columns each map needs: every name of its model, but for JSON keys and optional columns
_NOT_COLUMNS = {
    "table", "local_path_key", "generations_dir", "plan_key", "depends_on_column", "depends_on_key",
    "dependency_type_key", "predicted_files_key", "initializer", "completed",
}  # fmt: skip


async def attach(db: Database, profile: Profile, root: Path) -> list[int]:
    """Attach execplan to the database of `db` with `profile`; relative project folders are read
    from `root` (an absolute path). Returns the migrations applied. Refused whole (InvalidInputError, nothing
    created) when the database is attached already or lacks a table or column of the profile."""
    async with db.transaction() as conn:
        if await conn.fetch_value("schema_exists", {"name": "execplan"}):
            raise InvalidInputError(
                "this database has a schema execplan already (attached before?): run `execplan detach` first"
            )
        own = {"schema": profile.schema_name, "table": "execplan_migrations"}
        if await conn.fetch_all("table_columns", own):
            raise InvalidInputError(
                f"schema {profile.schema_name} holds execplan's own tables: this is an execplan database, "
                "not an orchestrator's; nothing to attach"
            )
        has_array = await _check_tables(conn, profile)
        names = _names(profile, root, has_array)
        await conn.execute("create_attached_schema")
        await conn.execute("use_attached_schema")
        applied = await apply_migrations(conn)
        await conn.execute("drop_mirror_session_trigger")
        await _run(conn, "sources", names)
        await _run(conn, "writeback", names)
        await _run(conn, "sync", {})
        definition = json.dumps(profile.model_dump(mode="json"))
        await conn.execute(
            "attachment_store", {"profile": profile.name, "definition": definition, "root": str(root)}
        )
        await conn.execute("sync_projects")  # a first refresh: what the mirror cannot hold is said now
        return applied


async def detach(db: Database) -> str:
    """Remove everything `attach` made; the profile it was attached with. InvalidInputError when
    the database is not attached."""
    async with db.transaction() as conn:
        if not await conn.fetch_value("attached_schema_exists"):
            raise InvalidInputError("this database is not attached (no schema execplan with its attachment)")
        await conn.execute("use_attached_schema")
        row = await conn.fetch_one("attachment_get")
        if row is None:
            raise InvalidInputError("schema execplan records no attachment: drop it by hand if it is ours")
        profile = profile_from(row["definition"], "the stored profile")
        await _run(conn, "detach", {"sessions": _table(profile, profile.sessions.table)})
        return str(row["profile"])


async def attachment(conn: Queries) -> Row | None:
    """The attachment of this database (profile, definition, root), or None in execplan's own."""
    return await conn.fetch_one("attachment_get")


async def refuse_when_attached(conn: Queries, doing: str) -> None:
    """What only execplan's own database allows: said so, in attached mode, naming the profile."""
    row = await attachment(conn)
    if row is not None:
        raise InvalidInputError(
            f"cannot {doing}: this database is attached to an orchestrator (profile {row['profile']!r}),"
            " whose own tables hold its projects and tasks; change them there"
        )


async def _check_tables(conn: Connection, profile: Profile) -> bool:
    """Every table and column the profile names is there; whether the tasks table has the
    (optional) dependency array column."""
    has_array = False
    for part, mapping in (
        ("projects", profile.projects),
        ("epics", profile.epics),
        ("tasks", profile.tasks),
        ("sessions", profile.sessions),
    ):
        table = mapping.table
        rows = await conn.fetch_all("table_columns", {"schema": profile.schema_name, "table": table})
        columns = {r["name"] for r in rows}
        where = f"(profile {profile.name!r}: {part}.table)"
        if not columns:
            raise InvalidInputError(f"no table {profile.schema_name}.{table} in this database {where}")
        for field, value in mapping.model_dump().items():
            if field in _NOT_COLUMNS or value in columns:
                continue
            raise InvalidInputError(
                f"table {profile.schema_name}.{table} has no column {value!r}"
                f" (profile {profile.name!r}: {part}.{field})"
            )
        if part == "tasks" and profile.tasks.depends_on_column in columns:
            has_array = True
    return has_array


def _table(profile: Profile, table: str) -> pgsql.Composable:
    return pgsql.Identifier(profile.schema_name, table)


def _names(profile: Profile, root: Path, has_array: bool) -> dict[str, pgsql.Composable]:
    """What the templates' braces stand for: identifiers and literals, from the profile."""
    p, e, t, s = profile.projects, profile.epics, profile.tasks, profile.sessions
    ident = pgsql.Identifier
    names: dict[str, pgsql.Composable] = {
        "projects": _table(profile, p.table),
        "epics": _table(profile, e.table),
        "tasks": _table(profile, t.table),
        "sessions": _table(profile, s.table),
        "p_id": ident(p.id), "p_name": ident(p.name), "p_meta": ident(p.metadata),
        "e_id": ident(e.id), "e_project": ident(e.project_id), "e_name": ident(e.name),
        "e_description": ident(e.description), "e_priority": ident(e.priority),
        "t_id": ident(t.id), "t_project": ident(t.project_id), "t_epic": ident(t.epic_id),
        "t_description": ident(t.description), "t_action": ident(t.action),
        "t_priority": ident(t.priority), "t_done": ident(t.done), "t_meta": ident(t.metadata),
        "s_id": ident(s.id), "s_project": ident(s.project_id), "s_number": ident(s.number),
        "s_type": ident(s.type), "s_status": ident(s.status), "s_started": ident(s.started_at),
        "s_ended": ident(s.ended_at),
        "local_path_key": pgsql.Literal(p.local_path_key),
        "plan_key": pgsql.Literal(p.plan_key),
        "generations": pgsql.Literal(str(root / p.generations_dir)),
        "root": pgsql.Literal(str(root)),
        "depends_on_key": pgsql.Literal(t.depends_on_key),
        "dependency_type_key": pgsql.Literal(t.dependency_type_key),
        "predicted_files_key": pgsql.Literal(t.predicted_files_key),
        "initializer": pgsql.Literal(s.initializer),
        "completed": pgsql.Literal(s.completed),
    }  # fmt: skip
    names["array_dependencies"] = (
        _template("array_dependencies").format(t_depends_on=ident(t.depends_on_column or ""))
        if has_array
        else pgsql.SQL("")
    )
    return names


def _template(name: str) -> pgsql.SQL:
    # templates are package data (sql/attached), never user text
    text: LiteralString = sql.attached(name)
    return pgsql.SQL(text)


async def _run(conn: Connection, name: str, names: dict[str, pgsql.Composable]) -> None:
    statement = _template(name).format(**names) if names else _template(name)
    try:
        await conn.raw.execute(statement)
    except psycopg.Error as error:
        raise translate(error) from error
