"""Test fixtures: one real PostgreSQL per session, one fresh database per test.

The server is `DATABASE_URL` when set, else an embedded server in a temporary folder. A template
database is migrated once per session; each test gets `CREATE DATABASE … TEMPLATE` of it. Git
fixtures make real repositories in temporary folders.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql as pgsql
from psycopg.conninfo import make_conninfo

from planner.storage.database import Database
from planner.storage.embedded import start_embedded
from planner.storage.migrate import migrate


def with_dbname(url: str, dbname: str) -> str:
    """The same server, another database."""
    return make_conninfo(url, dbname=dbname)


def admin(url: str, statement: pgsql.Composed) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement)


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A PostgreSQL server for the whole session: DATABASE_URL, or an embedded one."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    return start_embedded(tmp_path_factory.mktemp("pg") / "data", cleanup="delete")


@pytest.fixture(scope="session")
async def template_db(server_url: str) -> AsyncIterator[str]:
    """The name of a database migrated once, to clone per test."""
    name = f"execplan_tpl_{uuid.uuid4().hex[:10]}"
    admin(server_url, pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
    async with Database(with_dbname(server_url, name), max_size=1) as db:
        await migrate(db)
    yield name
    admin(server_url, pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(name)))


@pytest.fixture
def db_url(server_url: str, template_db: str) -> Iterator[str]:
    """The URL of a fresh, migrated database of this test's own."""
    name = f"execplan_test_{uuid.uuid4().hex[:10]}"
    admin(
        server_url,
        pgsql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            pgsql.Identifier(name), pgsql.Identifier(template_db)
        ),
    )
    yield with_dbname(server_url, name)
    admin(server_url, pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(name)))


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    """An open pool on this test's own database."""
    async with Database(db_url, max_size=4) as database:
        yield database


def git(repo: Path, *args: str) -> str:
    """Run git in `repo` with a fixed identity; returns its output."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    done = subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env
    )
    return done.stdout


def make_repo(root: Path, files: dict[str, str], message: str = "initial") -> Path:
    """A real git repository at `root` with `files` committed."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    commit_files(root, files, message)
    return root


def commit_files(repo: Path, files: dict[str, str], message: str) -> None:
    """Write `files` into `repo` and commit them."""
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def large_python_tree(total_bytes: int, count: int = 40) -> dict[str, str]:
    """`count` Python modules of `total_bytes` or more in all, each of its own content: a function
    and a long text (which parses fast)."""
    line = "the request handler sends the response of every order\n"
    text = line * (total_bytes // count // len(line) + 1)
    return {
        f"pkg/mod{n}.py": f'def handler_{n}(request):\n    return request\n\n\nTEXT_{n} = """\n{text}"""\n'
        for n in range(count)
    }


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A small web-shop repository used by planner tests."""
    return make_repo(
        tmp_path / "shop",
        {
            "README.md": "# shop\n",
            "api/orders.py": "def create_order():\n    pass\n",
            "api/users.py": "def create_user():\n    pass\n",
            "api/__init__.py": "",
            "core/database.py": "class Database:\n    pass\n",
            "core/config.py": "SETTINGS = {}\n",
            "web/app.js": "export const app = 1;\n",
            "docs/guide.md": "guide\n",
        },
    )
