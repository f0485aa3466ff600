"""Backtest on a real repository made here: windows from history, plans, and their scores."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from planner.core.errors import InvalidInputError
from planner.core.model import PredictedFile
from planner.core.planning import Planner
from planner.core.settings import Settings
from planner.predictors.mentions import MentionPredictor
from planner.usecases.backtest import backtest, history_changes, score, window_tasks, windows
from tests.conftest import commit_files, git, make_repo
from tests.damaged_repos import delete_object, object_sha


def history_repo(root: Path) -> Path:
    repo = make_repo(root, {"README.md": "x\n", "app/models.py": "A = 1\n", "app/views.py": "B = 1\n"})
    for n in range(12):
        target = ["app/models.py", "app/views.py", "docs/notes.md"][n % 3]
        commit_files(repo, {target: f"v{n}\n"}, f"Change number {n} in {target}")
    commit_files(repo, {"app/models.py": "x\n"}, "Bump version")  # skipped: a release chore
    return repo


def test_history_changes_and_windows(tmp_path: Path) -> None:
    changes = history_changes(history_repo(tmp_path / "r"))
    assert len(changes) == 12
    assert changes[0].files == ("app/models.py",) and "Change number 0" in changes[0].message
    picked = windows(changes, size=3, count=2, seed=7)
    assert [len(w) for w in picked] == [3, 3]
    assert picked == windows(changes, size=3, count=2, seed=7)  # the seed fixes them
    with pytest.raises(InvalidInputError, match="only 12 usable changes"):
        windows(changes, size=5, count=3, seed=1)
    tasks = window_tasks(picked[0], epics=2)
    assert [t.epic_id for t in tasks] == [1, 1, 2]


def test_score_counts_leaks_and_speedup() -> None:
    tasks = window_tasks([], epics=1)
    assert tasks == []
    builder = Planner(Settings())
    from planner.core.tasks import PlanningTask

    def t(n: int, epic: int, files: list[str]) -> PlanningTask:
        return PlanningTask(n, f"T{n}", epic, 0, predicted_files=tuple(PredictedFile(f, 0.9) for f in files))

    truth = {1: {"a.py"}, 2: {"a.py"}, 3: {"b.py"}}
    blind = builder.plan("p", [t(1, 1, []), t(2, 2, []), t(3, 3, [])])
    seen = builder.plan("p", [t(1, 1, ["a.py"]), t(2, 2, ["a.py"]), t(3, 3, ["b.py", "c.py"])])
    assert score(blind, truth).leak == 1.0 and score(blind, truth).speedup == 3.0
    s = score(seen, truth)
    assert s.leak == 0.0 and s.recall == 1.0 and s.precision == pytest.approx((1 + 1 + 0.5) / 3)
    assert s.speedup == 1.5  # one worktree runs T1 then T2, beside T3


async def test_backtest_runs_windows_against_dependency_only(tmp_path: Path) -> None:
    repo = history_repo(tmp_path / "r")
    seen: list[int] = []
    results = await backtest(
        repo, MentionPredictor(), Settings(), size=6, count=2, seed=3, on_window=lambda n, *_: seen.append(n)
    )
    assert seen == [0, 1] and len(results) == 2
    for predicted, baseline in results:
        assert baseline.recall == 0.0 and baseline.leak == 1.0  # nothing predicted: every conflict leaks
        assert predicted.recall == 1.0  # every message names its file
        assert predicted.leak == 0.0
        # here the conflicting tasks fit in separate batches at no cost: as fast, without the leaks
        assert predicted.speedup <= baseline.speedup


async def test_backtest_replays_a_repository_with_missing_objects(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    repo = history_repo(tmp_path / "r")
    commits = git(repo, "rev-list", "--reverse", "HEAD").split()
    delete_object(repo, object_sha(repo, f"{commits[1]}:app/models.py"))  # in every window's copy
    delete_object(repo, object_sha(repo, f"{commits[3]}:docs"))  # changes 2 and 5 cannot be read
    with caplog.at_level(logging.WARNING):
        changes = history_changes(repo)
        results = await backtest(repo, MentionPredictor(), Settings(), size=5, count=2, seed=3)
    assert [c.commit for c in changes] == [c for c in commits[1:13] if c not in (commits[3], commits[6])]
    skipped = [m for m in caplog.messages if m.startswith("skipping commit")]
    assert [m.split()[2] for m in skipped] == [commits[3], commits[6]] * 2  # once per history read
    assert len(results) == 2 and all(predicted.recall == 1.0 for predicted, _ in results)
