"""The commands that help: `--version`, `projects`, `delete`, `done` (then a rebuild), and every
option's default shown in `--help`."""

from __future__ import annotations

import argparse
import importlib.metadata
import json
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from api.cli.main import _DefaultsShown, parser
from planner.formats import FORMATS
from tests.test_cli import run, use_db, write_tasks  # noqa: F401  (use_db: a fixture)


def count_rows(db_url: str, table: str) -> int:
    with psycopg.connect(db_url) as conn:
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()
        assert row is not None
        return int(row[0])


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        parser().parse_args(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"execplan {importlib.metadata.version('execplan')}"


def test_projects_lists_every_project_with_its_plan(
    use_db: str,  # noqa: F811
    repo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "projects")
    assert code == 0 and "no projects yet" in out, err
    assert run(capsys, "import", str(write_tasks(tmp_path, repo)))[0] == 0
    code, out, _ = run(capsys, "projects")
    assert code == 0
    for header in ("name", "id", "repository", "plan", "tasks", "batches"):
        assert header in out
    assert "shop" in out and "3 (0 done)" in out and " v1 " not in out
    assert run(capsys, "build", "shop")[0] == 0
    plan = json.loads(run(capsys, "show", "shop", "--json")[1])
    code, out, _ = run(capsys, "projects")
    row = next(line for line in out.splitlines() if "shop" in line)
    cells = [cell.strip() for cell in row.strip("│ ").split("│")]
    assert cells == ["shop", plan["project_id"], str(repo), "v1", "3 (0 done)", str(len(plan["batches"]))]


def test_delete_removes_the_project_and_all_it_holds(
    use_db: str,  # noqa: F811
    repo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(capsys, "import", str(write_tasks(tmp_path, repo)))[0] == 0
    assert run(capsys, "build", "shop")[0] == 0
    assert count_rows(use_db, "tasks") == 3 and count_rows(use_db, "execution_plan_history") == 1
    code, out, err = run(capsys, "delete", "shop")
    assert code == 0, err
    assert out.startswith("deleted project shop (") and len(out.splitlines()) == 1
    for table in ("projects", "epics", "tasks", "task_dependencies", "execution_plan_history"):
        assert count_rows(use_db, table) == 0, table
    code, out, err = run(capsys, "delete", "shop")
    assert code == 1 and out == ""
    assert err == "execplan: error: no project named or with id 'shop'\n"


def test_done_marks_tasks_and_rebuilds_and_refuses_an_unknown_key_whole(
    use_db: str,  # noqa: F811
    repo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(capsys, "import", str(write_tasks(tmp_path, repo)))[0] == 0
    code, out, err = run(capsys, "done", "shop", "T2", "NOPE", "ALSO")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "'NOPE', 'ALSO'" in err and "nothing marked done" in err, err
    assert "3 (0 done)" in run(capsys, "projects")[1]  # nothing written, no plan built
    assert " v1 " not in run(capsys, "projects")[1]
    code, out, err = run(capsys, "done", "shop", "T1", "T2", "T1")
    assert code == 0, err
    assert "marked done in shop: T1, T2" in out and "built plan v1 of shop: 1 tasks" in out
    plan = json.loads(run(capsys, "show", "shop", "--json")[1])
    assert [t["key"] for t in plan["tasks"]] == ["T3"]
    assert "3 (2 done)" in run(capsys, "projects")[1]
    code, _, err = run(capsys, "done", "nowhere", "T1")
    assert code == 1 and err == "execplan: error: no project named or with id 'nowhere'\n"


def _parsers(top: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [top]
    for action in top._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                found += _parsers(sub)
    return found


def test_every_help_shows_every_options_default_and_import_names_the_formats(
    capsys: pytest.CaptureFixture[str],
) -> None:
    parsers = _parsers(parser())
    assert {p.prog.removeprefix("execplan ") for p in parsers} >= {"projects", "delete", "done", "import"}
    for each in parsers:
        formatter = each._get_formatter()
        assert isinstance(formatter, _DefaultsShown), each.prog
        for action in each._actions:
            if not action.option_strings or isinstance(
                action, argparse._HelpAction | argparse._VersionAction
            ):
                continue
            text = formatter._get_help_string(action) or ""
            assert "(default" in text or (action.required and "required" in text), (each.prog, action.dest)
        each.format_help()  # every %(default)s expands
    with pytest.raises(SystemExit):
        run(capsys, "import", "--help")
    help_text = capsys.readouterr().out
    for name in FORMATS:
        assert f"\n  {name} " in help_text, name
    for words in ("JSON or YAML", "claude-task-master", "spec-kit", "ccpm", "beads"):
        assert words in help_text, words
