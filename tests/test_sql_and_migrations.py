"""Migrating step by step makes the schema the migrations make as one script, migrate is
idempotent, and every named query exists."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql as pgsql

import sql
from planner.storage.database import Database
from planner.storage.migrate import migrate
from tests.conftest import admin, with_dbname

ROOT = Path(__file__).resolve().parent.parent

CATALOG = """
SELECT 'column' AS kind, table_name || '.' || column_name || ' ' || data_type || ' '
       || is_nullable || ' ' || coalesce(column_default, '') AS item
FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'execplan_migrations'
UNION ALL
SELECT 'constraint', conrelid::regclass || ' ' || pg_get_constraintdef(oid)
FROM pg_constraint
WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> 'execplan_migrations'
UNION ALL
SELECT 'index', indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> 'execplan_migrations'
UNION ALL
SELECT 'function', p.proname || '(' || pg_get_function_arguments(p.oid) || ') ' || md5(p.prosrc)
       || ' ' || coalesce(array_to_string(p.proconfig, ','), '')
FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
UNION ALL
SELECT 'view', viewname || ' ' || md5(definition) FROM pg_views WHERE schemaname = 'public'
ORDER BY 1, 2
"""


def catalog(url: str) -> list[tuple[str, str]]:
    with psycopg.connect(url) as conn:
        return [(row[0], row[1]) for row in conn.execute(CATALOG).fetchall()]


def fresh_database(server_url: str) -> str:
    name = f"execplan_cmp_{uuid.uuid4().hex[:10]}"
    admin(server_url, pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
    return name


def drop(server_url: str, name: str) -> None:
    admin(server_url, pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(name)))


async def test_migrating_step_by_step_makes_what_the_schema_script_makes(server_url: str) -> None:
    from_schema, from_migrations = fresh_database(server_url), fresh_database(server_url)
    try:
        with psycopg.connect(with_dbname(server_url, from_schema), autocommit=True) as conn:
            conn.execute(sql.schema().encode())
        async with Database(with_dbname(server_url, from_migrations), max_size=1) as db:
            applied = await migrate(db)
        assert applied == [m.version for m in sql.migrations()]
        expected = catalog(with_dbname(server_url, from_schema))
        got = catalog(with_dbname(server_url, from_migrations))
        assert len(expected) > 20
        assert got == expected
    finally:
        drop(server_url, from_schema)
        drop(server_url, from_migrations)


async def test_migrate_is_idempotent_and_recorded(db: Database) -> None:
    assert await migrate(db) == []
    rows = await db.fetch_all("migrations_applied")
    assert [row["version"] for row in rows] == [m.version for m in sql.migrations()]


def test_unknown_query_names_the_query() -> None:
    with pytest.raises(sql.UnknownQueryError, match="no_such_query"):
        sql.query("no_such_query")


def _names_used_in_code() -> set[str]:
    """String literals passed as the first argument of execute/fetch_* anywhere in the code."""
    used: set[str] = set()
    methods = {"execute", "fetch_one", "fetch_all", "fetch_value"}
    for folder in ("planner", "api", "analyzer"):
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in methods
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                    and re.fullmatch(r"[a-z_][a-z0-9_]*", node.args[0].value)
                ):
                    used.add(node.args[0].value)
    return used


def test_every_query_the_code_names_exists() -> None:
    used = _names_used_in_code()
    assert "plan_store" in used  # the scan sees the code
    missing = sorted(used - set(sql.queries()))
    assert missing == []


def test_queries_are_parameterised_not_formatted() -> None:
    for name, text in sql.queries().items():
        assert "{" not in text.replace("'{", "").replace("{}'", ""), name
        assert "%s" not in text, f"{name}: use named %(x)s placeholders"


def test_layers_are_respected() -> None:
    """import-linter: analyzer and planner never import api; analyzer never imports the database."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports")], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
