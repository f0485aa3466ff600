"""Attached mode on a database of an orchestrator's shape (tests/data/orchestrator_shape.sql,
filled as its Session 0 fills it: dependencies as metadata strings): attach, plan, the plan and
predictions in the orchestrator's documents with every other key intact, a concurrent writer,
automatic builds after Session 0 (notified and swept), refusals, profiles, detach."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql as pgsql

from api.cli.main import main
from planner.core.errors import DependencyCycleError, InvalidInputError
from planner.core.settings import Settings
from planner.storage.attached.install import attach, detach
from planner.storage.attached.profile import load_profile
from planner.storage.database import Database
from planner.storage.importer import import_task_file, parse_task_file
from planner.storage.lifecycle import mark_tasks_done
from planner.usecases.build import build_plan
from tests.conftest import admin, with_dbname
from tests.test_api_support import served_app

SHAPE = (Path(__file__).parent / "data" / "orchestrator_shape.sql").read_text(encoding="utf-8")

CATALOG = """
SELECT format('relation %s.%s %s', n.nspname, c.relname, c.relkind)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
UNION ALL SELECT format('schema %s', nspname) FROM pg_namespace
UNION ALL SELECT format('trigger %s %s', tgrelid::regclass, tgname) FROM pg_trigger
UNION ALL SELECT format('function %s.%s', pronamespace::regnamespace, proname) FROM pg_proc
          WHERE pronamespace::regnamespace::text NOT IN ('pg_catalog', 'information_schema')
UNION ALL SELECT format('column %s.%s %s %s', attrelid::regclass, attname, atttypid::regtype, attnotnull)
          FROM pg_attribute
          WHERE attnum > 0 AND NOT attisdropped
            AND attrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'public'::regnamespace)
UNION ALL SELECT format('type %s.%s', typnamespace::regnamespace, typname) FROM pg_type
          WHERE typnamespace::regnamespace::text NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
ORDER BY 1
"""


@pytest.fixture
def orchestrator_url(server_url: str) -> Iterator[str]:
    """A fresh database holding only an orchestrator's tables."""
    name = f"execplan_orch_{uuid.uuid4().hex[:10]}"
    admin(server_url, pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
    url = with_dbname(server_url, name)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SHAPE.encode())
    yield url
    admin(server_url, pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(name)))


def fill(url: str, repo: Path, *, session_status: str = "running") -> dict[str, Any]:
    """A project as the orchestrator's Session 0 writes it; its ids by name."""
    with psycopg.connect(url, autocommit=True) as conn:
        meta = {"local_path": str(repo), "owner": {"team": "shop"}, "notes": "keep me"}
        project = conn.execute(
            "INSERT INTO projects (name, spec_file_path, metadata)"
            " VALUES ('shop', 'spec.md', %s) RETURNING id",
            (json.dumps(meta),),
        ).fetchone()
        assert project is not None
        pid = project[0]

        def epic(name: str, priority: int) -> int:
            row = conn.execute(
                "INSERT INTO epics (project_id, name, description, priority)"
                " VALUES (%s, %s, %s, %s) RETURNING id",
                (pid, name, f"the {name.lower()}", priority),
            ).fetchone()
            assert row is not None
            return int(row[0])

        def task(
            epic_id: int, text: str, depends: list[int] | None = None, array: list[int] | None = None
        ) -> int:
            metadata: dict[str, Any] = {"depends_on": [str(d) for d in depends]} if depends else {}
            row = conn.execute(
                "INSERT INTO tasks (epic_id, project_id, description, action, priority, metadata, depends_on)"
                " VALUES (%s, %s, %s, %s, 0, %s, %s) RETURNING id",
                (epic_id, pid, text, f"do: {text}", json.dumps(metadata), array or []),
            ).fetchone()
            assert row is not None
            return int(row[0])

        backend, frontend = epic("Backend", 1), epic("Frontend", 2)
        t1 = task(backend, "Add validation to create_order in api/orders.py")
        t2 = task(backend, "Extend api/orders.py with refunds", depends=[t1])
        t3 = task(frontend, "Style the shop page in web/app.js")
        # one dependency in the array column, one in the metadata strings: both count
        t4 = task(frontend, "List users on the page: api/users.py and web/app.js", depends=[t1], array=[t3])
        conn.execute(
            "INSERT INTO sessions (project_id, session_number, type, model, status)"
            " VALUES (%s, 0, 'initializer', 'opus', %s)",
            (pid, session_status),
        )
    return {"project": str(pid), "T1": t1, "T2": t2, "T3": t3, "T4": t4}


def rows(url: str, statement: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(statement.encode(), params or None).fetchall()


def catalog(url: str) -> list[str]:
    return [r[0] for r in rows(url, CATALOG)]


def project_metadata(url: str, project_id: str) -> dict[str, Any]:
    found = rows(url, "SELECT metadata FROM projects WHERE id = %s", project_id)
    return dict(found[0][0])


async def cli(*words: str) -> int:
    """The `execplan` command, in a thread (it runs an event loop of its own)."""
    return await asyncio.to_thread(main, list(words))


async def attach_cli(url: str, *extra: str) -> int:
    return await cli("attach", "--database", url, "--profile", "yokeflow", *extra)


async def wait_for_plan(url: str, project_id: str, seconds: float = 20.0) -> dict[str, Any]:
    async with asyncio.timeout(seconds):
        while "execution_plan" not in (meta := project_metadata(url, project_id)):  # noqa: ASYNC110
            await asyncio.sleep(0.1)
    return dict(meta["execution_plan"])


async def test_attached_session_0_builds_the_plan_into_the_orchestrators_documents_and_detach_restores_it(
    orchestrator_url: str, repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = fill(orchestrator_url, repo)
    before = catalog(orchestrator_url)
    untouched = "SELECT id, name, created_at, updated_at, spec_file_path, total_time_seconds FROM projects"
    task_columns = (
        "SELECT id, epic_id, description, action, priority, done, depends_on, dependency_type FROM tasks"
    )
    projects_before, tasks_before = rows(orchestrator_url, untouched), rows(orchestrator_url, task_columns)
    assert await attach_cli(orchestrator_url) == 0
    assert "attached with profile 'yokeflow'" in capsys.readouterr().out
    after_attach = set(catalog(orchestrator_url)) - set(before)
    # in the orchestrator's own schema: only the trigger on its sessions table
    assert {c for c in after_attach if "execplan." not in c and "schema execplan" not in c} == {
        "trigger sessions execplan_session_completed"
    }

    async with served_app(orchestrator_url):
        with psycopg.connect(orchestrator_url, autocommit=True) as conn:
            conn.execute(
                "UPDATE sessions SET status = 'completed', ended_at = now() WHERE project_id = %s",
                (ids["project"],),
            )
        plan = await wait_for_plan(orchestrator_url, ids["project"])
    meta = project_metadata(orchestrator_url, ids["project"])
    assert (
        meta["owner"] == {"team": "shop"} and meta["notes"] == "keep me" and meta["local_path"] == str(repo)
    )
    assert {t["id"] for t in plan["tasks"]} == {ids[k] for k in ("T1", "T2", "T3", "T4")}
    batch_of = {t: b["batch_id"] for b in plan["batches"] for t in b["task_ids"]}
    # both places of the dependencies count: T2 and T4 after T1, T4 after T3 too
    assert batch_of[ids["T2"]] > batch_of[ids["T1"]]
    assert batch_of[ids["T4"]] > max(batch_of[ids["T1"]], batch_of[ids["T3"]])
    predicted = dict(rows(orchestrator_url, "SELECT id, metadata FROM tasks"))
    assert "api/orders.py" in {p["path"] for p in predicted[ids["T1"]]["predicted_files"]}
    assert predicted[ids["T2"]]["depends_on"] == [str(ids["T1"])]  # the orchestrator's keys stay
    assert all("predicted_files" in m for m in predicted.values())
    # nothing else of the orchestrator's rows changed
    assert rows(orchestrator_url, untouched) == projects_before
    assert rows(orchestrator_url, task_columns) == tasks_before

    # the commands work on it by themselves, with DATABASE_URL pointing at it
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DATABASE_URL", orchestrator_url)
        assert await cli("projects") == 0
        assert "shop" in capsys.readouterr().out
        assert await cli("build", "shop") == 0
        assert "built plan v2 of shop" in capsys.readouterr().out
        assert await cli("show", "shop", "--format", "json") == 0
        shown = json.loads(capsys.readouterr().out)
        assert (
            shown["version"]
            == 2
            == project_metadata(orchestrator_url, ids["project"])["execution_plan"]["version"]
        )
        assert await cli("done", "shop", str(ids["T1"])) == 1
        assert "attached to an orchestrator (profile 'yokeflow')" in capsys.readouterr().err

    assert await cli("detach", "--database", orchestrator_url) == 0
    assert catalog(orchestrator_url) == before
    assert await cli("detach", "--database", orchestrator_url) == 1
    assert "not attached" in capsys.readouterr().err


async def test_a_concurrent_writer_of_another_key_loses_nothing(orchestrator_url: str, repo: Path) -> None:
    ids = fill(orchestrator_url, repo)
    assert await attach_cli(orchestrator_url) == 0
    async with Database(orchestrator_url, max_size=3) as db:
        assert db.attached
        with psycopg.connect(orchestrator_url) as writer:
            # the orchestrator rewrites another key and holds the row while the build runs
            writer.execute(
                "UPDATE projects SET metadata = jsonb_set(metadata, '{progress}', '\"42 percent\"')"
                " WHERE id = %s",
                (ids["project"],),
            )
            build = asyncio.create_task(build_plan(db, ids["project"], Settings()))
            await asyncio.sleep(1.0)
            assert not build.done()  # waiting for the writer's row
            writer.commit()
        plan = await build
    meta = project_metadata(orchestrator_url, ids["project"])
    assert meta["progress"] == "42 percent" and meta["execution_plan"]["version"] == plan.version == 1
    assert meta["notes"] == "keep me"


async def test_a_dependency_on_no_task_or_a_cycle_is_named_and_nothing_is_written(
    orchestrator_url: str, repo: Path
) -> None:
    ids = fill(orchestrator_url, repo)
    assert await attach_cli(orchestrator_url) == 0
    with psycopg.connect(orchestrator_url, autocommit=True) as conn:
        conn.execute('UPDATE tasks SET metadata = \'{"depends_on": ["999"]}\' WHERE id = %s', (ids["T3"],))
    async with Database(orchestrator_url, max_size=2) as db:
        with pytest.raises(
            InvalidInputError, match=f'task {ids["T3"]} depends on "999", which is not a task'
        ):
            await build_plan(db, ids["project"], Settings())
        with psycopg.connect(orchestrator_url, autocommit=True) as conn:
            conn.execute("UPDATE tasks SET metadata = '{}' WHERE id = %s", (ids["T3"],))
            conn.execute("UPDATE tasks SET depends_on = %s WHERE id = %s", ([ids["T2"]], ids["T1"]))
        with pytest.raises(DependencyCycleError) as cycle:
            await build_plan(db, ids["project"], Settings())
        assert {str(ids["T1"]), str(ids["T2"])} <= set(str(cycle.value).replace(" -> ", " ").split())
        # what only execplan's own database allows is refused, naming why
        with pytest.raises(InvalidInputError, match="cannot mark tasks done: this database is attached"):
            await mark_tasks_done(db, ids["project"], [str(ids["T1"])])
        spec = parse_task_file({"project": {"name": "x"}, "tasks": [{"key": "A", "description": "a"}]}, repo)
        with pytest.raises(InvalidInputError, match="cannot import a tasks file"):
            await import_task_file(db, spec)
    assert "execution_plan" not in project_metadata(orchestrator_url, ids["project"])
    assert all("predicted_files" not in r[0] for r in rows(orchestrator_url, "SELECT metadata FROM tasks"))


async def test_the_sweep_builds_for_a_session_0_completed_while_no_server_listened(
    orchestrator_url: str, repo: Path
) -> None:
    ids = fill(orchestrator_url, repo, session_status="completed")
    assert await attach_cli(orchestrator_url) == 0
    async with served_app(orchestrator_url):  # the sweep on connect finds it
        plan = await wait_for_plan(orchestrator_url, ids["project"])
    assert plan["version"] == 1


async def test_a_profile_from_a_toml_file_maps_other_names(
    orchestrator_url: str, repo: Path, tmp_path: Path
) -> None:
    ids = fill(orchestrator_url, repo)
    with psycopg.connect(orchestrator_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE tasks RENAME TO work_items")
        conn.execute("ALTER TABLE work_items RENAME COLUMN description TO summary")
        conn.execute("ALTER TABLE work_items DROP COLUMN depends_on")  # only the metadata strings then
        conn.execute("ALTER TABLE projects RENAME COLUMN metadata TO extra")
    good = '[projects]\nmetadata = "extra"\nplan_key = "plan"\n[tasks]\ntable = "work_items"\n'
    profile_file = _write(
        tmp_path / "mine.toml", good + 'description = "summary"\npredicted_files_key = "files"\n'
    )
    wrong_column = _write(tmp_path / "bad.toml", good + 'description = "nothing_here"\n')
    no_table = _write(tmp_path / "none.toml", '[projects]\nmetadata = "extra"\n')
    async with Database(orchestrator_url, max_size=2) as db:
        with pytest.raises(
            InvalidInputError, match=re.escape("table public.work_items has no column 'nothing_here'")
        ):
            await attach(db, load_profile(str(wrong_column)), tmp_path)
        with pytest.raises(
            InvalidInputError, match=r"no table public.tasks in this database \(profile 'none'"
        ):
            await attach(db, load_profile(str(no_table)), tmp_path)
        with pytest.raises(
            InvalidInputError,
            match=re.escape("has no column 'metadata' (profile 'yokeflow': projects.metadata"),
        ):
            await attach(db, load_profile("yokeflow"), tmp_path)
    assert not rows(orchestrator_url, "SELECT 1 FROM pg_namespace WHERE nspname = 'execplan'")  # nothing made
    with pytest.raises(InvalidInputError, match=re.escape("projects.metadata: String should match pattern")):
        load_profile(str(_write(tmp_path / "evil.toml", '[projects]\nmetadata = "x; DROP TABLE projects"\n')))

    async with Database(orchestrator_url, max_size=2) as db:
        await attach(db, load_profile(str(profile_file)), tmp_path)
    async with Database(orchestrator_url, max_size=2) as db:
        plan = await build_plan(db, ids["project"], Settings())
    extra = dict(rows(orchestrator_url, "SELECT extra FROM projects")[0][0])
    assert extra["plan"]["version"] == plan.version and extra["notes"] == "keep me"
    batch_of = {t: b.batch_id for b in plan.batches for t in b.task_ids}
    assert batch_of[ids["T4"]] > batch_of[ids["T1"]]  # the metadata strings alone
    files = dict(rows(orchestrator_url, "SELECT id, metadata FROM work_items"))
    assert "api/orders.py" in {p["path"] for p in files[ids["T1"]]["files"]}
    async with Database(orchestrator_url, max_size=1) as db:
        assert await detach(db) == "mine"


async def test_the_service_answers_for_the_orchestrators_projects(orchestrator_url: str, repo: Path) -> None:
    ids = fill(orchestrator_url, repo)
    assert await attach_cli(orchestrator_url) == 0
    async with served_app(orchestrator_url) as served, httpx.AsyncClient(base_url=served.base_url) as api:
        assert [p["name"] for p in (await api.get("/api/projects")).json()] == ["shop"]
        # read before any build: the orchestrator's tasks, with both kinds of dependency
        tasks = {t["id"]: t for t in (await api.get(f"/api/projects/{ids['project']}/tasks")).json()}
        assert set(tasks) == {ids[k] for k in ("T1", "T2", "T3", "T4")}
        assert {d["task_id"] for d in tasks[ids["T4"]]["depends_on"]} == {ids["T1"], ids["T3"]}
        assert tasks[ids["T1"]]["key"] == str(ids["T1"])
        with psycopg.connect(orchestrator_url, autocommit=True) as conn:  # the orchestrator goes on
            conn.execute("UPDATE tasks SET done = true WHERE id = %s", (ids["T3"],))
        tasks = {t["id"]: t for t in (await api.get(f"/api/projects/{ids['project']}/tasks")).json()}
        assert tasks[ids["T3"]]["done"] is True
        assert (await api.post(f"/api/projects/{ids['project']}/execution-plan/build")).status_code == 202
        plan = await wait_for_plan(orchestrator_url, ids["project"])
        assert ids["T3"] not in {t["id"] for t in plan["tasks"]}  # done: not planned
        refused = await api.put(
            f"/api/projects/{ids['project']}/sessions/1", json={"type": "coding", "status": "running"}
        )
        assert refused.status_code == 422 and "attached to an orchestrator" in refused.json()["detail"]


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


async def test_attach_takes_its_profile_and_root_from_the_settings(
    orchestrator_url: str, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    fill(orchestrator_url, repo)
    monkeypatch.delenv("EXECPLAN_PROFILE", raising=False)
    monkeypatch.delenv("EXECPLAN_ORCHESTRATOR_ROOT", raising=False)
    settings = tmp_path / "execplan.toml"
    settings.write_text("[planner]\n")
    monkeypatch.setenv("EXECPLAN_SETTINGS", str(settings))
    assert await cli("attach", "--database", orchestrator_url) == 1
    assert "no profile: give --profile NAME" in capsys.readouterr().err
    assert rows(orchestrator_url, "SELECT 1 FROM pg_namespace WHERE nspname = 'execplan'") == []
    settings.write_text(f'[planner]\nprofile = "yokeflow"\norchestrator_root = "{tmp_path}"\n')
    assert await cli("attach", "--database", orchestrator_url) == 0
    said = capsys.readouterr().out
    assert "attached with profile 'yokeflow'" in said and f"project folders from {tmp_path}" in said
    assert await cli("detach", "--database", orchestrator_url) == 0


async def test_projects_in_an_empty_attached_database_says_where_projects_come_from(
    orchestrator_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await attach_cli(orchestrator_url, "--root", str(tmp_path)) == 0
    capsys.readouterr()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DATABASE_URL", orchestrator_url)
        assert await cli("projects") == 0
    said = capsys.readouterr().out
    assert "no projects yet in the orchestrator's tables (profile 'yokeflow')" in said
    assert "import" not in said
