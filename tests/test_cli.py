"""The `execplan` command end to end: import, build, show (table and JSON), errors, embedded server."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from api.cli.main import main
from api.cli.render import render_why
from planner.core.model import ExecutionPlan

ROOT = Path(__file__).resolve().parent.parent


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write_tasks(folder: Path, repo: Path, tasks: list[dict[str, Any]] | None = None) -> Path:
    doc = {
        "project": {"name": "shop", "repo_path": str(repo)},
        "epics": [{"key": "E1", "name": "API"}, {"key": "E2", "name": "Core"}],
        "tasks": tasks
        or [
            {"key": "T1", "epic": "E2", "description": "Pool in core/database.py"},
            {"key": "T2", "epic": "E1", "description": "Orders in api/orders.py using core/database.py"},
            {"key": "T3", "epic": "E1", "description": "Users in api/users.py", "depends_on": ["T1"]},
        ],
    }
    path = folder / "tasks.json"
    path.write_text(json.dumps(doc))
    return path


@pytest.fixture
def use_db(db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("EXECPLAN_SETTINGS", str(tmp_path / "settings.toml"))
    (tmp_path / "settings.toml").write_text("[planner]\nmax_worktrees = 3\n")
    return db_url


def test_import_build_show(
    use_db: str, repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "import", str(write_tasks(tmp_path, repo)))
    assert code == 0, err
    assert "imported shop" in out and "3 tasks" in out
    code, out, err = run(capsys, "build", "shop")
    assert code == 0, err
    assert "built plan v1 of shop" in out
    assert re.search(r"see it: http://127\.0\.0\.1:8000/projects/[0-9a-f-]{36}/plan", out)
    code, out, err = run(capsys, "show", "shop")
    assert code == 0, err
    assert "worktree-batch1-epic" in out and "core/database.py" in out and "predicted conflicts" in out
    code, out, err = run(capsys, "show", "shop", "--json")
    assert code == 0, err
    plan = json.loads(out)
    assert set(plan) >= {"project_id", "created_at", "version", "batches", "worktree_assignments",
                         "predicted_conflicts", "metadata", "tasks"}  # fmt: skip
    assert plan["metadata"]["max_worktrees"] == 3  # from the settings file
    assert {t["key"] for t in plan["tasks"]} == {"T1", "T2", "T3"}
    # by UUID too
    assert run(capsys, "show", plan["project_id"], "--json")[0] == 0


def test_build_and_show_say_why_the_plan_is_serial(
    use_db: str, repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # three epics' tasks all change api/orders.py: they cannot run side by side
    tasks = [
        {"key": "T1", "epic": "E1", "description": "Add POST /orders to api/orders.py"},
        {"key": "T2", "epic": "E2", "description": "Validate the totals in api/orders.py"},
        {"key": "T3", "epic": "E3", "description": "Log refunds in api/orders.py"},
    ]
    path = write_tasks(tmp_path, repo, tasks)
    doc = json.loads(path.read_text())
    doc["epics"] = [{"key": f"E{n}", "name": f"e{n}"} for n in range(1, 4)]
    path.write_text(json.dumps(doc))
    assert run(capsys, "import", str(path))[0] == 0
    code, out, err = run(capsys, "build", "shop")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("built plan v1 of shop")
    assert lines[1].strip().startswith("why: 3 of 3 tasks are predicted to change api/orders.py;")
    code, out, err = run(capsys, "show", "shop")
    assert code == 0, err
    assert out.splitlines()[1].strip().startswith("why: 3 of 3 tasks are predicted to change api/orders.py")
    plan = json.loads(run(capsys, "show", "shop", "--json")[1])
    (reason,) = plan["metadata"]["why"]
    assert reason["kind"] == "shared_file" and reason["files"] == ["api/orders.py"]
    assert reason["cost_minutes"] == 60  # three tasks of 30 minutes one after another instead of 30


def test_reasons_are_printed_as_text_not_markup() -> None:
    text = "2 of 2 tasks are predicted to change web/[id].tsx"
    reason = {
        "kind": "shared_file",
        "text": text,
        "cost_minutes": 30,
        "files": ["web/[id].tsx"],
        "task_ids": [1, 2],
    }
    plan = ExecutionPlan("p", "2025-01-01T00:00:00+00:00", 1, (), {}, (), {"why": [reason] * 3})
    out = Console(file=io.StringIO(), width=200)
    render_why(plan, out, most=2)
    printed = out.file.getvalue()  # type: ignore[attr-defined]
    assert printed.count(f"why: {text}") == 2  # the brackets are not taken for markup
    assert "1 more reason in" in printed


def test_max_worktrees_flag_beats_env_and_file(
    use_db: str,
    repo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tasks = [{"key": f"T{n}", "epic": f"E{n}", "description": f"pkg{n}/m.py"} for n in range(1, 6)]
    path = write_tasks(tmp_path, repo, tasks)
    doc = json.loads(path.read_text())
    doc["epics"] = [{"key": f"E{n}", "name": f"e{n}"} for n in range(1, 6)]
    path.write_text(json.dumps(doc))
    assert run(capsys, "import", str(path))[0] == 0
    monkeypatch.setenv("EXECPLAN_MAX_WORKTREES", "2")
    assert run(capsys, "build", "shop")[0] == 0
    plan = json.loads(run(capsys, "show", "shop", "--json")[1])
    assert plan["metadata"]["max_worktrees"] == 2
    widest = max(len({plan["worktree_assignments"][str(t)] for t in b["task_ids"]}) for b in plan["batches"])
    assert widest == 2
    assert run(capsys, "build", "shop", "--max-worktrees", "5")[0] == 0
    plan = json.loads(run(capsys, "show", "shop", "--json")[1])
    assert len(set(plan["worktree_assignments"].values())) == 5


def test_the_exported_plan_has_what_taskbench_reads(
    use_db: str, repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # shared/bench/taskbench.py scores `show --json` (bench/realbench.py runs it); here the fields
    # it reads are checked without it, so the suite stands alone
    run(capsys, "import", str(write_tasks(tmp_path, repo)))
    run(capsys, "build", "shop")
    plan = json.loads(run(capsys, "show", "shop", "--json")[1])
    key_of = {str(t["id"]): t["key"] for t in plan["tasks"]}
    predicted = {t["key"]: {f["path"] for f in t["predicted_files"]} for t in plan["tasks"]}
    batch_of = {key_of[str(t)]: n for n, b in enumerate(plan["batches"]) for t in b["task_ids"]}
    worktree_of = {key_of[t]: w for t, w in plan["worktree_assignments"].items()}
    assert sorted(batch_of) == ["T1", "T2", "T3"]
    assert "core/database.py" in predicted["T1"] and "core/database.py" in predicted["T2"]
    # T1 and T2 share core/database.py: never side by side (same batch, different worktree)
    assert batch_of["T1"] != batch_of["T2"] or worktree_of["T1"] == worktree_of["T2"]


@pytest.mark.parametrize(
    ("tasks", "message"),
    [
        ([{"key": "T1", "depends_on": ["T2"]}, {"key": "T2", "depends_on": ["T1"]}], "dependency cycle: T"),
        ([{"key": "T1", "epic": "NOPE"}], "unknown epic 'NOPE'"),
    ],
)
def test_bad_import_exits_non_zero_with_one_line(
    use_db: str,
    repo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    tasks: list[dict[str, Any]],
    message: str,
) -> None:
    code, _, err = run(capsys, "import", str(write_tasks(tmp_path, repo, tasks)))
    assert code == 1
    assert message in err and err.startswith("execplan: error: ") and err.count("\n") == 1
    assert run(capsys, "show", "shop")[0] == 1  # nothing was written


def test_show_without_plan_and_unknown_project(
    use_db: str, repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "show", "ghost")
    assert code == 1 and "no project named or with id 'ghost'" in err
    run(capsys, "import", str(write_tasks(tmp_path, repo)))
    code, _, err = run(capsys, "show", "shop")
    assert code == 1 and "has no plan yet" in err


def test_bad_settings_file_names_the_key(
    use_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "settings.toml").write_text("[planner]\nmax_worktree = 3\n")
    code, _, err = run(capsys, "build", "anything")
    assert code == 1 and "planner.max_worktree: unknown setting" in err


def test_embedded_database_persists_across_runs(tmp_path: Path, repo: Path) -> None:
    """Two separate processes, no DATABASE_URL: the second sees what the first imported."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["EXECPLAN_DATA_DIR"] = str(tmp_path / "data")
    env["EXECPLAN_SETTINGS"] = str(tmp_path / "none.toml")
    (tmp_path / "none.toml").write_text("")
    cli = [sys.executable, "-m", "api.cli"]
    first = subprocess.run(
        [*cli, "import", str(write_tasks(tmp_path, repo))], env=env, capture_output=True, text=True
    )
    assert first.returncode == 0, first.stderr
    second = subprocess.run([*cli, "build", "shop"], env=env, capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    assert "built plan v1 of shop" in second.stdout
    assert (tmp_path / "data" / "pgdata" / "PG_VERSION").is_file()


def test_demo_runs_on_a_fresh_data_dir(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["EXECPLAN_DATA_DIR"] = str(tmp_path / "data")
    env["EXECPLAN_SETTINGS"] = str(tmp_path / "none.toml")
    (tmp_path / "none.toml").write_text("")
    done = subprocess.run([sys.executable, "-m", "api.cli", "demo"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "built plan v1 of demo" in done.stdout
    assert "worktree-batch1-epic" in done.stdout


def test_backtest_refuses_a_missing_or_plain_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "backtest", "--repo", str(tmp_path / "missing"))
    assert code == 1 and "is not a directory" in err
    (tmp_path / "plain").mkdir()
    code, _, err = run(capsys, "backtest", "--repo", str(tmp_path / "plain"))
    assert code == 1 and err.startswith("execplan: error: git log") and "failed" in err
