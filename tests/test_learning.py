"""Builds learn from a project's done tasks (issue 13.4): their actual files calibrate the
threshold and the conflict strengths (planner.core.calibration) and lend themselves to tasks worded
like them (analyzer.done_tasks); a project without any is planned exactly as before; `backtest
--project` compares both on the done tasks. Real PostgreSQL, real repositories."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from analyzer.done_tasks import DoneExample, DoneTasks, with_done_tasks
from planner.core.calibration import MIN_TASKS, Example, calibrate
from planner.core.conflicts import find_conflicts
from planner.core.model import PredictedFile
from planner.core.tasks import PlanningTask
from planner.predictors.analyzer import AnalyzerPredictor
from planner.storage.database import Database
from planner.storage.importer import import_task_file, parse_task_file
from planner.usecases.build import build_plan
from planner.usecases.done import mark_done
from tests.test_cli import run, use_db, write_tasks  # noqa: F401  (use_db: a fixture)


def over_predicted(n: int) -> list[Example]:
    """Tasks whose confident file is right and whose weak guesses are wrong."""
    return [
        Example(f"T{i}", (("a.py", 0.9), (f"weak{i}.py", 0.3), (f"weaker{i}.py", 0.2)), frozenset({"a.py"}))
        for i in range(n)
    ]


def test_calibration_raises_the_threshold_of_an_over_predicting_predictor() -> None:
    assert calibrate(over_predicted(MIN_TASKS - 1), 0.15) is None
    calibration = calibrate(over_predicted(MIN_TASKS), 0.15)
    assert calibration is not None
    assert calibration.threshold == 0.8 and calibration.f1 == 1.0  # only the 0.9 files kept
    assert calibration.f1_default == pytest.approx(2 * 5 / (15 + 5))
    # weak guesses never came true here: their chance is far below their confidence
    assert calibration.chance(0.3) < 0.15 and calibration.chance(0.9) > 0.8
    chances = [calibration.chance(c / 10) for c in range(11)]
    assert chances == sorted(chances)
    kept = calibration.keep((PredictedFile("a.py", 0.9), PredictedFile("b.py", 0.5)))
    assert [p.path for p in kept] == ["a.py"]
    # a calibrated chance makes a conflict over a weak guess weaker
    tasks = [PlanningTask(n, f"T{n}", None, 0, predicted_files=(PredictedFile("x.py", 0.3),)) for n in (1, 2)]
    plain = find_conflicts(tasks, ("same_file",))
    calibrated = find_conflicts(tasks, ("same_file",), chance=calibration.chance)
    assert plain[0].strength == pytest.approx(0.09) and calibrated[0].strength < 0.03


def test_calibration_keeps_the_default_when_every_guess_came_true() -> None:
    examples = [
        Example(f"T{i}", (("a.py", 0.9), ("b.py", 0.2)), frozenset({"a.py", "b.py"})) for i in range(6)
    ]
    calibration = calibrate(examples, 0.15)
    assert calibration is not None and calibration.threshold == 0.15 and calibration.f1 == 1.0


def test_done_tasks_lend_their_files_to_tasks_worded_like_them() -> None:
    done = DoneTasks(
        [
            DoneExample("T3", "Add the currency settings to the shop configuration", ("core/config.py",)),
            DoneExample("T4", "Draw the order chart on the dashboard page", ("web/chart.js",)),
        ]
    )
    lent = done.lent("Add the language settings to the shop configuration")
    assert [(p.path, p.evidence) for p in lent] == [("core/config.py", ("like done task T3",))]
    assert 0.5 < lent[0].confidence < 0.8
    assert done.lent("Rename the deploy script") == []
    found = (PredictedFile("core/config.py", 0.5, ("path mentioned",)), PredictedFile("b.py", 0.3))
    merged = with_done_tasks(found, lent, 0.15, 8)
    assert merged[0].path == "core/config.py" and merged[0].confidence > 0.5
    assert merged[0].evidence == ("like done task T3", "path mentioned")
    assert with_done_tasks(found, [], 0.15, 8) == found
    assert not DoneTasks([])


SHOP_TASKS: list[dict[str, Any]] = [
    {"key": "T1", "description": "Orders in api/orders.py"},
    {"key": "T2", "description": "Change create_order in the api"},
    {"key": "T3", "description": "Orders total in api/"},
    {"key": "T4", "description": "Config settings in core/"},
    {"key": "T5", "description": "Orders in api/orders.py and core/config.py"},
    {"key": "T6", "description": "Users in api/users.py"},
]
ACTUAL = {
    "T1": ["api/orders.py"],
    "T2": ["api/orders.py"],
    "T3": ["api/users.py"],
    "T4": ["core/database.py"],
    "T5": ["api/orders.py", "core/config.py"],
}
"""What T1-T5 really changed: their confident predictions, never the weak ones."""


async def shop_project(db: Database, repo: Path, tasks: list[dict[str, Any]]) -> str:
    spec = parse_task_file({"project": {"name": "shop", "repo_path": str(repo)}, "tasks": tasks}, repo)
    return await import_task_file(db, spec)


async def test_a_build_with_enough_done_tasks_calibrates(db: Database, repo: Path) -> None:
    project_id = await shop_project(db, repo, SHOP_TASKS)
    first = await build_plan(db, project_id)
    assert "calibration" not in first.metadata
    weak = [p.confidence for t in first.tasks for p in t.predicted_files if p.confidence < 0.5]
    assert weak  # the predictor guesses weakly for some of T1-T5
    marked = await mark_done(db, project_id, list(ACTUAL), ACTUAL)
    assert [m.actual.source if m.actual else None for m in marked] == ["explicit"] * 5
    plan = await build_plan(db, project_id)
    learned = plan.metadata["calibration"]
    assert learned["used"] is True and learned["tasks"] == 5 and learned["history_tasks"] == 5
    assert learned["threshold"] > learned["default_threshold"] == 0.15
    assert learned["threshold"] > max(weak) and learned["f1"] > learned["f1_default"]
    strength = learned["strength"]
    assert [r for _, r in strength] == sorted(r for _, r in strength) and len(strength) >= 2
    (task,) = plan.tasks
    assert task.key == "T6" and all(p.confidence >= learned["threshold"] for p in task.predicted_files)


async def test_a_task_like_a_done_one_gets_its_files(db: Database, repo: Path) -> None:
    tasks = [
        {"key": "T1", "description": "Add the currency settings to the shop configuration"},
        {"key": "T2", "description": "Add the language settings to the shop configuration"},
    ]
    project_id = await shop_project(db, repo, tasks)
    before = await build_plan(db, project_id)
    evidence = [e for t in before.tasks for p in t.predicted_files for e in p.evidence]
    assert not any("done task" in e for e in evidence)
    await mark_done(db, project_id, ["T1"], {"T1": ["core/config.py", "docs/guide.md"]})
    plan = await build_plan(db, project_id)
    (task,) = plan.tasks
    lent = {p.path: p for p in task.predicted_files}
    assert "like done task T1" in lent["core/config.py"].evidence
    assert "like done task T1" in lent["docs/guide.md"].evidence
    learned = plan.metadata["calibration"]
    assert learned == {"used": False, "tasks": 1, "min_tasks": MIN_TASKS, "history_tasks": 1}


class NotLearning:
    """The analyzer's predictor as builds used it before they learnt: `learn` is not there."""

    def __init__(self, inner: AnalyzerPredictor) -> None:
        self.inner = inner

    async def prepare(self, repo_path: str | None, progress: Callable[[float], None] | None = None) -> None:
        await self.inner.prepare(repo_path, progress)

    async def predict(
        self, repo_path: str | None, tasks: Sequence[PlanningTask]
    ) -> dict[int, tuple[PredictedFile, ...]]:
        return await self.inner.predict(repo_path, tasks)

    def merge_friendly(self) -> frozenset[str]:
        return self.inner.merge_friendly()

    def related(self, path: str) -> Mapping[str, tuple[str, float]]:
        return self.inner.related(path)


def comparable(document: dict[str, Any]) -> dict[str, Any]:
    metadata = {k: v for k, v in document["metadata"].items() if k != "predictor"}
    return {**document, "created_at": None, "version": None, "metadata": metadata}


async def test_without_done_tasks_with_actual_files_the_plan_is_as_before(db: Database, repo: Path) -> None:
    project_id = await shop_project(db, repo, SHOP_TASKS)
    await build_plan(db, project_id)
    # done, but nothing recorded: no branch, no files given
    marked = await mark_done(db, project_id, ["T1", "T2"])
    assert [m.actual for m in marked] == [None, None] and all("no branch" in m.note for m in marked)
    learning = await build_plan(db, project_id, save=False)
    before = await build_plan(db, project_id, predictor=NotLearning(AnalyzerPredictor(db)), save=False)
    assert "calibration" not in learning.metadata
    assert comparable(learning.to_dict()) == comparable(before.to_dict())
    assert len(learning.tasks) == 4 and any(t.predicted_files for t in learning.tasks)


def test_backtest_project_prints_both_rows_and_a_verdict(
    use_db: str,  # noqa: F811
    repo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(capsys, "import", str(write_tasks(tmp_path, repo, SHOP_TASKS)))[0] == 0
    assert run(capsys, "build", "shop")[0] == 0
    code, out, err = run(capsys, "backtest", "--project", "shop")
    assert (
        code == 1 and out == "" and err.count("\n") == 1 and "no done tasks with recorded actual files" in err
    )
    for key in ("T1", "T3", "T4"):
        assert run(capsys, "done", "shop", key, "--files", *ACTUAL[key])[0] == 0
    shown = run(capsys, "show", "shop")[1]
    assert "learned: 3 done tasks as history; too few to calibrate (3 of 5)" in shown
    code, out, err = run(capsys, "backtest", "--project", "shop")
    assert code == 0, err
    assert "backtest of shop on its 3 done tasks" in out
    rows = [line for line in out.splitlines() if line.startswith("│")]
    assert rows[0].split("│")[1].strip() == "uncalibrated"
    assert rows[1].split("│")[1].strip() == "calibrated on the other done tasks"
    assert len(rows) == 2 and all(len([c for c in r.split("│") if c.strip()]) == 4 for r in rows), out
    verdict = out.strip().splitlines()[-1]
    assert verdict.startswith("learning from this project's done tasks") and "on 3 done tasks" in verdict
    assert "too few done tasks to calibrate" in verdict
    with pytest.raises(SystemExit) as exited:
        run(capsys, "backtest", "--repo", str(repo), "--project", "shop")
    assert exited.value.code == 2 and "not allowed with argument" in capsys.readouterr().err
