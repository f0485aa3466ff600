"""The repository index stored in PostgreSQL: incremental refreshes equal a cold in-memory index."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql as pgsql

import analyzer
from planner.core.settings import Settings
from planner.predictors.analyzer import AnalyzerPredictor
from planner.storage.database import Database
from planner.storage.importer import import_task_file, parse_task_file
from planner.storage.index_store import refresh_index
from planner.usecases.build import build_plan
from tests.conftest import admin, commit_files, git, make_repo, with_dbname
from tests.damaged_repos import damaged_shop

FILES = {
    "shop/__init__.py": "",
    "shop/orders.py": (
        "from shop.db import Database\n\n\nclass OrderRouter:\n    def create(self):\n        pass\n"
    ),
    "shop/db.py": "class Database:\n    def connect(self):\n        pass\n",
    "shop/users.py": "from shop import db\n\n\ndef create_user():\n    pass\n",
    "web/app.js": "import { cart } from './cart';\nexport const app = cart;\n",
    "web/cart.js": "export const cart = [];\n",
    "README.md": "# shop\n",
}


def shop(root: Path) -> Path:
    repo = make_repo(root, FILES)
    for n in range(4):
        changed = {
            "shop/orders.py": FILES["shop/orders.py"] + f"# {n}\n",
            "shop/db.py": FILES["shop/db.py"] + f"# {n}\n",
        }
        commit_files(repo, changed, f"Orders and database change {n}")
    commit_files(repo, {"web/cart.js": "export const cart = [1];\n"}, "Cart starts with one item")
    return repo


def same_index(a: analyzer.RepoIndex, b: analyzer.RepoIndex) -> None:
    assert a.files == b.files
    assert dict(a.records) == dict(b.records)
    assert dict(a.imports) == dict(b.imports)
    assert a.history.head == b.history.head and a.history.total.commits == b.history.total.commits
    assert dict(a.history.files).keys() == dict(b.history.files).keys()
    for path, tally in a.history.files.items():
        assert tally.commits == b.history.files[path].commits
        assert abs(tally.weight - b.history.files[path].weight) < 1e-9
    assert {k: dict(v) for k, v in a.history.cochange.items()}.keys() == dict(b.history.cochange).keys()
    assert dict(a.history.words).keys() == dict(b.history.words).keys()
    assert a.history.recent == b.history.recent


async def test_refresh_is_incremental_and_equals_a_cold_index(db: Database, tmp_path: Path) -> None:
    repo = shop(tmp_path / "shop")
    first, report = await refresh_index(db, repo)
    assert report.parsed == len({f.blob_sha for f in first.files}) and report.commits == 6
    same_index(first, analyzer.build_repo_index(repo, progress=False))
    assert "shop/db.py" in first.imports["shop/orders.py"]
    assert "web/cart.js" in first.imports["web/app.js"]

    warm, report = await refresh_index(db, repo)
    assert (report.parsed, report.commits, report.history_rebuilt) == (
        0,
        0,
        False,
    )  # nothing parsed, no commit read
    same_index(warm, first)

    commit_files(
        repo, {"shop/users.py": FILES["shop/users.py"] + "\n\ndef delete_user():\n    pass\n"}, "Delete users"
    )
    after, report = await refresh_index(db, repo)
    assert (report.parsed, report.commits, report.history_rebuilt) == (1, 1, True)
    same_index(after, analyzer.build_repo_index(repo, progress=False))
    users = next(f for f in after.files if f.path == "shop/users.py")
    assert any(s.name == "delete_user" for s in after.records[users.blob_sha].symbols)


async def test_a_refresh_reports_its_progress_up_to_one(db: Database, tmp_path: Path) -> None:
    repo = shop(tmp_path / "shop")
    cold: list[float] = []
    await refresh_index(db, repo, on_progress=cold.append)
    assert len(cold) > 3 and cold == sorted(cold) and cold[-1] == 1.0 and cold[0] >= 0.0
    warm: list[float] = []  # kept in this process: done at once
    await refresh_index(db, repo, on_progress=warm.append)
    assert warm == [1.0]


async def test_rewritten_history_is_read_again(db: Database, tmp_path: Path) -> None:
    repo = shop(tmp_path / "shop")
    await refresh_index(db, repo)
    git(repo, "reset", "-q", "--hard", "HEAD~3")
    commit_files(repo, {"README.md": "# rewritten\n"}, "A different past")
    index, report = await refresh_index(db, repo)
    assert report.history_rebuilt
    same_index(index, analyzer.build_repo_index(repo, progress=False))


async def test_blobs_are_shared_between_repositories(db: Database, tmp_path: Path) -> None:
    await refresh_index(db, shop(tmp_path / "one"))
    _, report = await refresh_index(db, shop(tmp_path / "two"))
    assert report.parsed == 0  # same contents, already parsed


async def test_analyzer_predictor_in_a_build(db: Database, tmp_path: Path) -> None:
    repo = shop(tmp_path / "shop")
    doc = {
        "project": {"name": "shop", "repo_path": str(repo)},
        "epics": [{"key": "B", "name": "Backend"}, {"key": "F", "name": "Frontend"}],
        "tasks": [
            {"key": "T1", "epic": "B", "description": "Add a cancel method to OrderRouter"},
            {"key": "T2", "epic": "F", "description": "Let web/cart.js hold quantities"},
            {"key": "T3", "epic": "F", "description": "Retry when Database.connect fails"},
        ],
    }
    project_id = await import_task_file(db, parse_task_file(doc, repo))
    predictor = AnalyzerPredictor(db)
    plan = await build_plan(db, project_id, Settings(), predictor)
    predicted = {t.key: t.predicted_files for t in plan.tasks}
    by_path = {t: {p.path: p for p in files} for t, files in predicted.items()}
    assert by_path["T1"]["shop/orders.py"].confidence >= 0.5 and by_path["T1"]["shop/orders.py"].evidence
    assert predicted["T2"][0].path == "web/cart.js"
    assert "shop/db.py" in by_path["T3"]
    assert "web/cart.js" not in by_path["T1"] and "web/cart.js" not in by_path["T3"]
    assert "shop/db.py" in predictor.related("shop/orders.py")  # imports, and changed together
    kinds = {(c.task_ids, c.conflict_type) for c in plan.predicted_conflicts}
    ids = {t.key: t.id for t in plan.tasks}
    assert any(pair == tuple(sorted((ids["T1"], ids["T3"]))) for pair, _ in kinds)


async def test_damaged_repository_builds_again_and_again_and_keeps_no_unreadable_blob(
    db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shop = damaged_shop(tmp_path / "shop")
    with caplog.at_level(logging.WARNING):
        first, report = await refresh_index(db, shop.repo)
    assert all(r.exc_info is None for r in caplog.records)
    for path in shop.unreadable:
        assert len([m for m in caplog.messages if m.startswith(f"skipping {path}: ")]) == 1
    assert (report.files, report.unreadable, report.commits) == (10, 4, 3)
    assert report.parsed == len({f.blob_sha for f in first.files}) - 4
    same_index(first, analyzer.build_repo_index(shop.repo, progress=False))
    lost = [f.blob_sha for f in first.files if f.path in shop.unreadable]
    assert {first.records[sha].skipped for sha in lost} == {"unreadable"}
    stored = await db.fetch_all("blobs_known", {"shas": lost, "version": analyzer.INDEX_VERSION})
    assert stored == []  # another repository may hold these blobs whole

    again, report = await refresh_index(db, shop.repo)
    assert (report.parsed, report.unreadable, report.commits, report.history_rebuilt) == (0, 4, 0, False)
    same_index(again, first)

    doc = {
        "project": {"name": "shop", "repo_path": str(shop.repo)},
        "epics": [{"key": "U", "name": "Users"}, {"key": "W", "name": "Web"}],
        "tasks": [
            {"key": "T1", "epic": "U", "description": "Let users log out in shop/users.py"},
            {"key": "T2", "epic": "W", "description": "Let web/cart.js hold quantities"},
        ],
    }
    project_id = await import_task_file(db, parse_task_file(doc, shop.repo))
    plan = await build_plan(db, project_id, Settings(), AnalyzerPredictor(db))
    predicted = {t.key: [p.path for p in t.predicted_files] for t in plan.tasks}
    assert predicted["T1"][0] == "shop/users.py" and predicted["T2"][0] == "web/cart.js"


async def test_a_warm_index_is_kept_per_database_and_head(
    db: Database, server_url: str, template_db: str, tmp_path: Path
) -> None:
    repo = shop(tmp_path / "shop")
    _, first = await refresh_index(db, repo)
    assert first.parsed > 0
    with psycopg.connect(db.url) as conn:  # were the index read back, its blobs would be parsed again
        conn.execute("TRUNCATE analyzer_blobs CASCADE")
    again, second = await refresh_index(db, repo)  # kept in this process: nothing read or parsed
    assert (second.parsed, second.commits, second.history_rebuilt) == (0, 0, False)
    # another database has its own index: stored there, though this process knows the repository
    name = f"execplan_test_{uuid.uuid4().hex[:10]}"
    admin(
        server_url,
        pgsql.SQL("CREATE DATABASE {} TEMPLATE {}").format(*map(pgsql.Identifier, (name, template_db))),
    )
    try:
        async with Database(with_dbname(server_url, name), max_size=2) as other:
            _, elsewhere = await refresh_index(other, repo)
            assert elsewhere.parsed == first.parsed
            with psycopg.connect(with_dbname(server_url, name)) as conn:
                files = conn.execute("SELECT count(*) FROM repository_files").fetchone()
            assert files is not None and files[0] == len(FILES)
    finally:
        admin(server_url, pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(name)))
    # a new commit is a new HEAD: the kept index is not used
    commit_files(repo, {"shop/db.py": "class Database:\n    pass\n"}, "Simpler database")
    newer, third = await refresh_index(db, repo)
    assert (third.parsed, third.commits) == (len(FILES), 1)  # read back: the blobs truncated above
    assert newer.history.head != again.history.head
