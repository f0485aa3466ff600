"""The project's SQL, shipped as package data: numbered migrations (the schema) and named queries.

`queries.sql` holds named statements, each introduced by a `-- name: <name>` line and a one-line
`-- <description>`; `query(name)` hands one out. Every statement is parameterised (psycopg
`%(name)s` placeholders); no SQL is ever built from user text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

_NAME_LINE = re.compile(r"^-- name: (?P<name>[a-z_][a-z0-9_]*)\s*$", re.MULTILINE)
_MIGRATION_FILE = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")


class UnknownQueryError(KeyError):
    """A named query that `queries.sql` does not define."""


@dataclass(frozen=True)
class Migration:
    """One numbered migration file."""

    version: int
    name: str
    sql: str


def _read(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


@cache
def queries() -> dict[str, str]:
    """All named queries of `queries.sql`, by name."""
    text = _read("queries.sql")
    found: dict[str, str] = {}
    marks = list(_NAME_LINE.finditer(text))
    for mark, following in zip(marks, [*marks[1:], None], strict=True):
        body = text[mark.end() : following.start() if following else len(text)]
        lines = [line for line in body.strip().splitlines() if not line.startswith("-- ")]
        name = mark.group("name")
        if name in found:
            raise ValueError(f"queries.sql: query {name!r} is defined twice")
        found[name] = "\n".join(lines).strip().rstrip(";")
    return found


def query(name: str) -> str:
    """The statement of the named query; raises UnknownQueryError naming an unknown one."""
    try:
        return queries()[name]
    except KeyError:
        raise UnknownQueryError(f"no query named {name!r} in sql/queries.sql") from None


def schema() -> str:
    """The whole current schema as one script: every migration, in order (for a throwaway
    database; `planner.storage.migrate` applies them one by one and records each)."""
    return "\n".join(m.sql for m in migrations())


@cache
def migrations() -> tuple[Migration, ...]:
    """Every numbered migration, in order."""
    folder = resources.files(__package__).joinpath("migrations")
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION_FILE.match(entry.name)
        if match:
            found.append(
                Migration(int(match.group("version")), match.group("name"), entry.read_text(encoding="utf-8"))
            )
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise ValueError(f"sql/migrations: versions must run 1, 2, 3 … without gaps, found {versions}")
    return tuple(found)


def attached(name: str) -> str:
    """The text of `sql/attached/<name>.sql`: a template of attached mode, its names and values
    in braces, filled in with `psycopg.sql` (quoted identifiers, literals), never with raw text."""
    if not name.isidentifier():
        raise UnknownQueryError(f"no attached-mode template named {name!r}")
    try:
        return resources.files(__package__).joinpath("attached", f"{name}.sql").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UnknownQueryError(f"no attached-mode template named {name!r} in sql/attached") from None
