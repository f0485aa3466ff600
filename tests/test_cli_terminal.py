"""What a user wrote reaches the terminal as text: never as Rich markup, never as control codes.

Names, keys, paths and error messages come from tasks files, repositories and the command line;
`[/]` must not crash Rich, `[bold]` must not style, `:thumbs_up:` must not become an emoji, and
ESC, BEL, C1 controls and line breaks inside a name are shown in a visible form.
"""

from __future__ import annotations

import io
import json
import logging
import sys
from pathlib import Path
from typing import Any

import pytest

from api.cli.plan_view import PlanView
from api.cli.render import render_plan
from api.cli.terminal import VisibleFormatter, console, visible
from planner.core.model import ExecutionBatch, ExecutionPlan, FileConflict, PlanTask, PredictedFile
from tests.conftest import make_repo
from tests.test_cli import run, use_db  # noqa: F401  (a fixture)

RAW_CONTROLS = ("\x1b", "\x07", "\x9b", "\x00", "\x7f", "\r", "\u202e")


def assert_no_raw_controls(text: str) -> None:
    for char in RAW_CONTROLS:
        assert char not in text, f"{char!r} reached the terminal"


def test_visible_shows_controls_and_keeps_text() -> None:
    assert visible("T\x1b[31m1") == "T\\x1b[31m1"
    assert visible("a\x07b\x9bc\x00d\x7fe") == "a\\x07b\\x9bc\\x00d\\x7fe"
    assert visible("line\nbreak\ttab\r") == "line\\nbreak\\ttab\\r"
    assert visible("line\nbreak\ttab\r", multiline=True) == "line\nbreak\ttab\\r"
    assert visible("abc\u202edef\u2028") == "abc\\u202edef\\u2028"  # bidi override, line separator
    assert visible("évil [/] :thumbs_up: ✓") == "évil [/] :thumbs_up: ✓"  # printable text is kept


def test_markup_names_survive_import_build_and_show(
    use_db: str,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {"web/[id]/page.tsx": "export const page = 1;\n", "api/[/]orders.py": "def create():\n    pass\n"},
    )
    doc: dict[str, Any] = {
        "project": {"name": "evil[/]", "repo_path": str(repo)},
        "epics": [{"key": "E[/]", "name": "[bold]loud[/bold] :thumbs_up:"}],
        "tasks": [
            {"key": "T[/]1", "epic": "E[/]", "description": "Change web/[id]/page.tsx and api/[/]orders.py"},
            {"key": "T[b]2", "description": "Also web/[id]/page.tsx", "depends_on": ["T[/]1"]},
            {"key": "T\x1b[31m3", "title": "red\x07", "description": "Change api/[/]orders.py"},
        ],
    }
    path = tmp_path / "tasks [b].json"
    path.write_text(json.dumps(doc))
    code, out, err = run(capsys, "import", str(path))
    assert (code, err) == (0, "")
    assert out.startswith("imported evil[/] (")
    code, out, err = run(capsys, "build", "evil[/]")
    assert (code, err) == (0, "")
    assert out.startswith("built plan v1 of evil[/]:")
    code, out, err = run(capsys, "show", "evil[/]")
    assert (code, err) == (0, "")
    assert out.startswith("evil[/] plan v1")
    assert_no_raw_controls(out)
    for text in ("T[/]1", "T[b]2", "web/[id]/page.tsx", "T\\x1b[31m3"):
        assert text in out, text
    # a problem naming that key: the one error line shows it as an escape too
    doc["tasks"].append({"key": "T4", "depends_on": ["T\x1b[32m9"]})
    path.write_text(json.dumps(doc))
    code, out, err = run(capsys, "import", str(path))
    assert (code, out) == (1, "")
    assert_no_raw_controls(err)
    assert "task 'T4'.depends_on: unknown task 'T\\x1b[32m9'" in err


def hostile_plan() -> ExecutionPlan:
    key, worktree = "T\x1b[31m1", "wt\x1b]0;pwned\x07"
    paths = ("a\x1b[2Jb.py", "x\ny.py", "[bold]c.py")  # a task's first three are shown
    tasks = (
        PlanTask(1, key, None, tuple(PredictedFile(p, 0.9) for p in paths)),
        PlanTask(2, ":thumbs_up:\r", None, (PredictedFile("d\x9b31m.py", 0.9),)),
    )
    batches = (ExecutionBatch(1, (1,), False, (), 1800), ExecutionBatch(2, (2,), False, (1,), 1800))
    conflict = FileConflict((1, 2), (paths[0], "e\u202eyp.py"), "same_file", 0.9)
    why = [{"kind": "shared_file", "text": "2 tasks change a\x1b[2Jb.py [/]", "cost_minutes": 30}]
    return ExecutionPlan(
        "p", "2025-01-01T00:00:00+00:00", 1, batches, {1: worktree, 2: "w2"}, (conflict,),
        {"why": why, "task_count": 2}, tasks,
    )  # fmt: skip


def test_plan_tables_show_control_characters_visibly() -> None:
    buffer = io.StringIO()
    render_plan(PlanView.of("evil\x1b[5m[/]", hostile_plan()), console(file=buffer, width=250))
    printed = buffer.getvalue()
    assert_no_raw_controls(printed)
    assert printed.startswith("evil\\x1b[5m[/] plan v1")
    shown = ["T\\x1b[31m1", "wt\\x1b]0;pwned\\x07", "a\\x1b[2Jb.py", "x\\ny.py", "[bold]c.py"]
    shown += ["d\\x9b31m.py", ":thumbs_up:\\r", "e\\u202eyp.py", "why: 2 tasks change a\\x1b[2Jb.py [/]"]
    for text in shown:
        assert text in printed, text


def test_error_lines_show_control_characters_visibly(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "backtest", "--repo", "/nowhere/\x1b[31mred\x07[/]")
    assert code == 1 and out == ""
    assert err == "execplan: error: --repo: /nowhere/\\x1b[31mred\\x07[/] is not a directory\n"


def test_argument_errors_show_control_characters_visibly(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        run(capsys, "schema", "\x1b[2Jextra")
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert_no_raw_controls(err)
    assert "unrecognized arguments: \\x1b[2Jextra" in err


def test_log_lines_show_control_characters_visibly() -> None:
    try:
        raise ValueError("bad \x1b[31m")
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "planner", logging.INFO, __file__, 1, "project %s", ("ev\x1bil\nFAKE",), exc_info
    )
    lines = VisibleFormatter("%(levelname)s %(name)s: %(message)s").format(record).splitlines()
    assert lines[0] == "INFO planner: project ev\\x1bil\\nFAKE"  # one line: no forged log line
    assert lines[1] == "Traceback (most recent call last):"  # a traceback keeps its lines
    assert lines[-1] == "ValueError: bad \\x1b[31m"
