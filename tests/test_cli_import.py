"""`execplan import` of every format and `execplan schema`, end to end on a real database.

Every problem of a bad file is one line of its own, the exit code is 1, there is no traceback and
nothing is written; a good file of any format is written with its epics, dependencies, done tasks
and hints.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from planner.storage.database import Database
from tests.format_fixtures import SPECKIT, shop_repo, write, write_beads, write_ccpm, write_taskmaster
from tests.test_cli import run


@pytest.fixture
def use_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", db_url)
    return db_url


def stored(db_url: str, name: str) -> dict[str, dict[str, Any]]:
    """The project's tasks by key: epic key, done, metadata and the keys of what they depend on
    (read on a pool of its own: the command runs its own event loop, so the test is not a coroutine)."""
    return asyncio.run(_stored(db_url, name))


def projects(db_url: str) -> dict[str, str | None]:
    """Each project's repository, by name."""

    async def listed() -> dict[str, str | None]:
        db = Database(db_url)
        await db.open()
        try:
            return {p["name"]: p["repo_path"] for p in await db.fetch_all("projects_list")}
        finally:
            await db.close()

    return asyncio.run(listed())


async def _stored(db_url: str, name: str) -> dict[str, dict[str, Any]]:
    db = Database(db_url)
    await db.open()
    try:
        return await _tasks(db, name)
    finally:
        await db.close()


async def _tasks(db: Database, name: str) -> dict[str, dict[str, Any]]:
    project = await db.fetch_one("project_by_name", {"name": name})
    assert project is not None
    tasks = await db.fetch_all("tasks_of_project", {"project_id": project["id"]})
    epics = {e["id"]: e["key"] for e in await db.fetch_all("epics_of_project", {"project_id": project["id"]})}
    keys = {t["id"]: t["key"] for t in tasks}
    deps = await db.fetch_all("dependencies_of_project", {"project_id": project["id"]})
    return {
        t["key"]: {
            "epic": epics.get(t["epic_id"]),
            "done": t["done"],
            "metadata": t["metadata"],
            "depends_on": sorted(keys[d["depends_on_task_id"]] for d in deps if d["task_id"] == t["id"]),
        }
        for t in tasks
    }


def test_import_of_each_format(use_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = write_ccpm(shop_repo(tmp_path / "shop"))
    code, out, err = run(capsys, "import", str(repo))
    assert (code, err) == (0, "")
    assert out.startswith("imported shop (") and "2 epics, 4 tasks (1 done), read as ccpm" in out
    tasks = stored(use_db, "shop")
    assert tasks["11"]["depends_on"] == ["10"] and tasks["20"]["epic"] == "payments"
    assert tasks["12"]["metadata"]["conflicts_with"] == ["10"]
    assert tasks["11"]["metadata"]["parallel"] is False

    code, out, _ = run(capsys, "import", str(write_taskmaster(repo)), "--project", "tm")
    assert code == 0 and "0 epics, 5 tasks (2 done), read as taskmaster" in out
    assert (stored(use_db, "tm"))["2"]["depends_on"] == ["1", "3"]

    path = write(repo / "specs" / "001-checkout" / "tasks.md", SPECKIT)
    code, out, _ = run(capsys, "import", str(path))
    assert code == 0 and out.startswith("imported Shop checkout (") and "3 epics, 10 tasks" in out
    checkout = stored(use_db, "Shop checkout")
    assert checkout["T007"]["depends_on"] == ["T005", "T006"] and checkout["T007"]["epic"] == "US2"
    assert checkout["T002"]["metadata"]["parallel"] is True

    code, out, _ = run(capsys, "import", str(write_beads(repo)), "--project", "bd")
    assert code == 0 and "2 epics, 5 tasks (1 done), read as beads" in out
    assert (stored(use_db, "bd"))["bd-4"]["depends_on"] == ["bd-2", "bd-3", "bd-3.1"]

    # --format reads a file whatever its name; --repo names the repository
    renamed = write(tmp_path / "plan.txt", SPECKIT)
    code, out, _ = run(capsys, "import", str(renamed), "--format", "speckit", "--project", "named",
                       "--repo", str(repo))  # fmt: skip
    assert code == 0 and "read as speckit" in out
    assert projects(use_db)["named"] == str(repo.resolve())


def test_bad_files_print_every_problem_on_a_line_and_write_nothing(
    use_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    native = write(
        tmp_path / "tasks.json",
        json.dumps({"project": {"name": "shop"}, "tasks": [
            {"key": "T1"}, {"key": "T2", "depends_on": ["T9"]}, {"key": "T3", "depends_on": ["T4"]},
            {"key": "T4", "estimated_minutes": -5, "depends_on": ["T3"]},
        ]}),
    )  # fmt: skip
    code, out, err = run(capsys, "import", str(native))
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"execplan: error: {native}: task 'T2'.depends_on: unknown task 'T9'",
        f"execplan: error: {native}: task 'T4'.estimated_minutes: must be positive, not -5",
        f"execplan: error: {native}: dependency cycle: T3 -> T4 -> T3",
    ]
    beads = write(tmp_path / "issues.jsonl", '{"id": "a", "title": "A"}\n{oops\n')
    markdown = write(tmp_path / "tasks.md", "# Tasks: x\n## Phase 1: A\n- [ ] no id here\n")
    epics = write(tmp_path / "repo" / ".claude" / "epics" / "e" / "1.md", "no front matter\n").parent
    for path, line in [
        (beads, f"execplan: error: {beads}:2: not valid JSON: "),
        (markdown, f"execplan: error: {markdown}:3: a task line needs an ID"),
        (epics, f"execplan: error: {epics}/1.md: no front matter"),
        (write(tmp_path / "notes.txt", "T1"), "cannot tell its format from its name: name it with --format"),
    ]:
        code, _, err = run(capsys, "import", str(path))
        assert code == 1 and err.count("\n") == 1 and line in err, err
        assert "Traceback" not in err
    assert projects(use_db) == {}


def test_schema_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schema")
    schema = json.loads(out)
    assert code == 0 and schema["title"] == "execplan tasks file" and "TaskSpec" in schema["$defs"]
    with pytest.raises(SystemExit):
        run(capsys, "import", "--help")
    help_text = " ".join(capsys.readouterr().out.split())
    expected = ["--format {native,taskmaster,speckit,ccpm,beads}", "--project NAME", "--repo PATH", "--tag"]
    expected += ["a .json file with task ids and no project", "else the git top of PATH's folder"]
    for words in expected:
        assert words in help_text, words
