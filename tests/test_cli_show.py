"""`execplan show` and `execplan backtest` output: descriptions and lanes by name, big plans kept
readable, `--summary`, `--format json|markdown|mermaid` (parsed, not eyeballed), and the backtest's
verdict and its warnings held back from the progress bar."""

from __future__ import annotations

import io
import itertools
import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from api.cli.backtest_report import verdict, warning_kind, warning_summary
from api.cli.terminal import console
from planner.usecases.backtest import Score
from tests.conftest import commit_files, make_repo
from tests.test_cli import run, use_db, write_tasks  # noqa: F401  (a fixture)


def imported_and_built(capsys: pytest.CaptureFixture[str], path: Path, name: str = "shop") -> None:
    code, _, err = run(capsys, "import", str(path))
    assert code == 0, err
    code, _, err = run(capsys, "build", name)
    assert code == 0, err


def big_plan(tmp_path: Path, repo: Path, count: int = 120) -> Path:
    """`count` tasks over four epics, each third of them changing one shared file: many conflicts."""
    files = ["api/orders.py", "core/database.py", "api/users.py"]
    tasks = [
        {"key": f"T{n}", "epic": f"E{n % 4 + 1}", "description": f"Step {n} of {files[n % 3]}\nmore words"}
        for n in range(count)
    ]
    path = write_tasks(tmp_path, repo, tasks)
    doc = json.loads(path.read_text())
    doc["epics"] = [{"key": f"E{n}", "name": f"epic {n}"} for n in range(1, 5)]
    path.write_text(json.dumps(doc))
    return path


def test_show_lists_descriptions_and_lanes_by_epic(
    use_db: str,  # noqa: F811
    repo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    imported_and_built(capsys, write_tasks(tmp_path, repo))
    code, out, err = run(capsys, "show", "shop")
    assert code == 0, err
    assert "Pool in core/database.py" in out and "Users in api/users.py" in out
    assert "E1 API" in out and "E2 Core" in out  # the lane by its epic's key and name
    plan = json.loads(run(capsys, "show", "shop", "--format", "json")[1])
    assert json.loads(run(capsys, "show", "shop", "--json")[1]) == plan  # --json: an alias


def test_a_long_description_is_cut_to_its_first_line(
    use_db: str,  # noqa: F811
    repo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    long = "Rewrite api/orders.py " + "with many careful words " * 10
    tasks = [{"key": "T1", "epic": "E1", "description": f"{long}\nSECOND LINE"}]
    imported_and_built(capsys, write_tasks(tmp_path, repo, tasks))
    out = run(capsys, "show", "shop")[1]
    assert "Rewrite api/orders.py with many" in out and "…" in out
    assert "SECOND LINE" not in out and long.strip() not in " ".join(out.split())


def test_a_big_plan_stays_readable(
    use_db: str,  # noqa: F811
    repo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    imported_and_built(capsys, big_plan(tmp_path, repo))
    plan = json.loads(run(capsys, "show", "shop", "--json")[1])
    conflicts = sorted(plan["predicted_conflicts"], key=lambda c: -c["strength"])
    assert len(conflicts) > 100
    code, out, err = run(capsys, "show", "shop")
    assert code == 0, err
    assert f"… and {len(conflicts) - 10} more conflicts, none stronger" in out
    listed = [
        line
        for line in out.split("predicted conflicts (strongest first)")[1].splitlines()
        if line.startswith("│")
    ]
    strengths = [float(line.split("│")[3]) for line in listed]
    assert len(strengths) == 10 and strengths == sorted(strengths, reverse=True)
    assert strengths[0] == round(conflicts[0]["strength"], 2)
    assert len(out.splitlines()) < 8 * 120  # was 2,664 lines: every conflict a row
    code, every, _ = run(capsys, "show", "shop", "--conflicts", "all")
    assert code == 0 and "more conflicts" not in every and len(every.splitlines()) > len(out.splitlines())
    assert "more conflicts" in run(capsys, "show", "shop", "--conflicts", "3")[1]

    code, summary, err = run(capsys, "show", "shop", "--summary")
    assert code == 0, err
    lines = summary.splitlines()
    batch_lines = [line for line in lines if line.startswith("batch ")]
    assert len(batch_lines) == len(plan["batches"])
    for line, batch in zip(batch_lines, plan["batches"], strict=True):
        worktrees = {plan["worktree_assignments"][str(t)] for t in batch["task_ids"]}
        tasks = f"{len(batch['task_ids'])} task" + "s" * (len(batch["task_ids"]) != 1)
        lanes = f"{len(worktrees)} worktree" + "s" * (len(worktrees) != 1)
        assert line.startswith(f"batch {batch['batch_id']}: {tasks} in {lanes}, ")
    shown = [line for line in lines if line.startswith("conflict ")]
    assert len(shown) == 5 and f"{conflicts[0]['strength']:.2f}" in shown[0]
    assert len(lines) <= 2 + len(plan["metadata"]["why"]) + len(plan["batches"]) + 5 + 1


def test_show_refuses_bad_options_in_one_line(
    use_db: str,  # noqa: F811
    repo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    imported_and_built(capsys, write_tasks(tmp_path, repo))
    code, out, err = run(capsys, "show", "shop", "--summary", "--format", "mermaid")
    assert (code, out) == (1, "")
    assert err == "execplan: error: --summary is a form of the table; it does not go with --format mermaid\n"
    for bad in ("-1", "many", "²"):
        with pytest.raises(SystemExit) as stopped:
            run(capsys, "show", "shop", "--conflicts", bad)
        assert stopped.value.code == 2
        message = capsys.readouterr().err.splitlines()[-1]
        assert message.startswith("execplan show: error: argument --conflicts: expected a count of 0")


def markdown_tables(text: str) -> list[list[list[str]]]:
    """Each table of a Markdown text as its rows of cell texts (the header row first)."""
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    tables: list[list[list[str]]] = []
    inside = False
    for token in tokens:
        if token.type in ("table_open", "table_close"):
            inside = token.type == "table_open"
            tables += [[]] if inside else []
        elif token.type == "tr_open":
            tables[-1].append([])
        elif token.type == "inline" and inside:
            tables[-1][-1].append(token.content)
    return tables


def hostile_tasks(repo: Path, tmp_path: Path) -> Path:
    tasks: list[dict[str, Any]] = [
        {"key": "T1", "epic": "E1", "description": "Split | pipes <b>bold</b> & api/orders.py"},
        {"key": "section", "epic": "E2", "description": "Colons: here; #hash %% in api/orders.py"},
        {"key": "T3", "description": "Users\x1b[31m in api/users.py", "depends_on": ["T1"]},
    ]
    return write_tasks(tmp_path, repo, tasks)


def test_markdown_tables_parse_with_one_cell_per_column(
    use_db: str,  # noqa: F811
    repo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    imported_and_built(capsys, hostile_tasks(repo, tmp_path))
    plan = json.loads(run(capsys, "show", "shop", "--json")[1])
    code, out, err = run(capsys, "show", "shop", "--format", "markdown")
    assert code == 0, err
    assert "\x1b" not in out and "Users\\x1b[31m in api/users.py" in out  # shown, not obeyed
    tables = markdown_tables(out)
    headers = [t[0][0] for t in tables]
    assert headers == ["batch", "batch", "task", "tasks"]  # batches, worktrees, tasks, conflicts
    for table in tables:
        assert all(len(row) == len(table[0]) for row in table), table
    batches, worktrees, tasks, conflicts = tables
    assert len(batches) - 1 == len(plan["batches"])
    assert len(worktrees) - 1 == len(set(plan["worktree_assignments"].values()))
    assert len(tasks) - 1 == 3 and len(conflicts) - 1 == len(plan["predicted_conflicts"])
    by_key = {row[0]: row for row in tasks[1:]}
    assert by_key["T1"][1] == "Split | pipes &lt;b&gt;bold&lt;/b&gt; &amp; api/orders.py"
    assert {row[2] for row in worktrees[1:]} >= {"E1 API", "E2 Core", "task T3"}
    assert "<b>" not in MarkdownIt("commonmark").enable("table").render(out)


GANTT_LINE = re.compile(
    r"^(gantt"
    r"|    title [^\n]+"
    r"|    dateFormat YYYY-MM-DD HH:mm"
    r"|    axisFormat %H:%M"
    r"|    section [^:;#\n]+"
    r"|    (?P<name>[^:;#\n]+) :(?P<id>t\d+), "
    r"(?P<start>\d{4}-\d\d-\d\d \d\d:\d\d|after( t\d+)+), (?P<minutes>\d+)m)$"
)
GANTT_KEYWORD = re.compile(r"title|section|dateformat|axisformat|click|excludes|includes|gantt", re.I)


def gantt_bars(text: str) -> list[dict[str, Any]]:
    """The bars of a Mermaid gantt chart, each line held to the grammar; `after` names only bars
    already drawn."""
    lines = text.splitlines()
    assert lines[0] == "gantt" and text.endswith("\n")
    bars: list[dict[str, Any]] = []
    section = ""
    for line in lines:
        match = GANTT_LINE.match(line)
        assert match, f"not gantt syntax: {line!r}"
        assert "%%" not in line[4:] or line.startswith("    axisFormat")
        if line.startswith("    section "):
            section = line.removeprefix("    section ")
        elif match.group("id"):
            assert not GANTT_KEYWORD.match(match.group("name")), line
            seen = {bar["id"] for bar in bars}
            start = match.group("start")
            after = start.split()[1:] if start.startswith("after") else []
            assert set(after) <= seen and match.group("id") not in seen, line
            bars.append({**match.groupdict(), "after": after, "section": section})
    return bars


def test_mermaid_is_a_gantt_chart_with_a_bar_per_task(
    use_db: str,  # noqa: F811
    repo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    imported_and_built(capsys, hostile_tasks(repo, tmp_path))
    plan = json.loads(run(capsys, "show", "shop", "--json")[1])
    code, out, err = run(capsys, "show", "shop", "--format", "mermaid")
    assert code == 0, err
    assert "\x1b" not in out
    bars = gantt_bars(out)
    assert sorted(int(b["id"][1:]) for b in bars) == sorted(t["id"] for t in plan["tasks"])
    assert {b["minutes"] for b in bars} == {"30"}
    sections = [line for line in out.splitlines() if line.startswith("    section ")]
    assert len(sections) == len(set(plan["worktree_assignments"].values()))  # one per worktree lane
    batch_of = {t: b["batch_id"] for b in plan["batches"] for t in b["task_ids"]}
    for bar in bars:  # batches in order: a batch's first bars start after the batch before
        batch = batch_of[int(bar["id"][1:])]
        assert bar["section"].startswith(f"batch {batch} ")
        assert all(batch_of[int(a[1:])] in (batch, batch - 1) for a in bar["after"])
        assert bar["after"] or batch == 1
    names = {b["name"] for b in bars}
    assert "task section Colons here #hash in api/orders.py".replace("#", " ").split() in [
        n.split() for n in names
    ]


def test_the_verdict_counts_avoided_conflicts_and_speed() -> None:
    scores = [
        Score(1.0, 0.5, 0.25, 1.5, 4, 3),
        Score(1.0, 0.5, 0.0, 2.5, 2, 2),
        Score(1.0, 1.0, 0.0, 2.0, 0, 1),
    ]
    assert verdict(scores) == (
        "on this repository the predictor would have avoided 5 of 6 conflicts "
        "at 2.0x the speed of running one at a time"
    )


def test_backtest_ends_with_its_verdict_and_sums_up_the_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    repo = make_repo(tmp_path / "r", {"README.md": "x\n", "app/models.py": "A = 1\n"})
    for n in range(4):  # binary files the analyzer skips, each with a warning, in every window
        (repo / f"img{n}.png").write_bytes(b"\x89PNG\x00" + bytes([n]) * 50)
    commit_files(repo, {}, "Add the images")
    for n in range(12):
        target = ["app/models.py", "app/views.py", "docs/notes.md"][n % 3]
        commit_files(repo, {target: f"v{n}\n"}, f"Change number {n} in {target}")
    caplog.set_level(logging.WARNING)
    code, out, err = run(
        capsys, "backtest", "--repo", str(repo), "--size", "4", "--windows", "2", "--seed", "5"
    )
    assert code == 0, err
    verdict_line = out.splitlines()[-1]
    assert re.fullmatch(
        r"on this repository the predictor would have avoided (\d+) of (\d+) conflicts "
        r"at \d+\.\dx the speed of running one at a time",
        verdict_line,
    ), verdict_line
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]  # none logged during the run
    lines = err.splitlines()
    count = int(lines[0].split()[0])
    assert lines[0] == f"{count} warnings during the backtest:" and count >= 4
    kind = next(line for line in lines if "skipping …: binary content" in line)
    assert int(kind.split(":")[0]) >= 4
    assert any(line.strip().startswith("e.g. skipping") and ".png: binary content" in line for line in lines)
    kinds = [*(n for n, line in enumerate(lines) if n and not line.startswith("      ")), len(lines)]
    for start, end in itertools.pairwise(kinds):  # at most three examples of each kind, then a count
        examples = [line for line in lines[start + 1 : end] if line.startswith("      e.g. ")]
        assert len(examples) == min(3, int(lines[start].split(":")[0]))


def test_warnings_are_counted_by_kind_with_a_few_examples() -> None:
    def record(msg: str, *args: object) -> logging.LogRecord:
        return logging.LogRecord("analyzer.indexing", logging.WARNING, __file__, 1, msg, args, None)

    records = [record("skipping %s: binary content", f"img{n}.png") for n in range(3)]
    records += [record("%s", "skipping logo.png: binary content")]  # a worker's, logged again
    records += [record("%s is not valid UTF-8; undecodable bytes replaced", "notes.txt")]
    assert {warning_kind(r) for r in records[:4]} == {"skipping …: binary content"}
    buffer = io.StringIO()
    warning_summary(records, console(file=buffer, width=40))
    assert buffer.getvalue().splitlines() == [
        "5 warnings during the backtest:",
        "  4: skipping …: binary content",
        "      e.g. skipping img0.png: binary content",
        "      e.g. skipping img1.png: binary content",
        "      e.g. skipping img2.png: binary content",
        "      … and 1 more",
        "  1: … is not valid UTF-8; undecodable bytes replaced",
        "      e.g. notes.txt is not valid UTF-8; undecodable bytes replaced",
    ]
