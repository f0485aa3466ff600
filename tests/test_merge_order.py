"""The merge-order search on a real repository: every order weighed, or greedily, each leaving the
branch that conflicts with the others last; no ref moved."""

from __future__ import annotations

import json
from pathlib import Path

from planner.usecases.merge_order import _exhaustive, _greedy, _Simulation
from tests.conftest import commit_files, git, make_repo

TEXT = "".join(f"line {n}\n" for n in range(1, 21))


def test_every_order_and_the_greedy_one_put_the_conflicting_branch_last(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.py": TEXT, "b.py": TEXT, "c.py": TEXT})
    base = git(repo, "rev-parse", "HEAD").strip()
    edits = {
        "all": {"a.py": TEXT.replace("line 2\n", "all\n"), "b.py": TEXT.replace("line 2\n", "all\n")},
        "x-a": {"a.py": TEXT.replace("line 2\n", "a\n")},
        "x-b": {"b.py": TEXT.replace("line 2\n", "b\n")},
        "x-c": {"c.py": TEXT.replace("line 9\n", "c\n")},
    }
    tips = {}
    for name, files in edits.items():
        git(repo, "checkout", "-q", "-b", name, base)
        commit_files(repo, files, name)
        tips[name] = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "-q", "main")
    refs = git(repo, "for-each-ref")
    branches = sorted(tips)  # "all" first: the worst start
    order, steps, tried, complete = _exhaustive(_Simulation(str(repo), base, tips), branches)
    assert complete and tried >= 1
    assert order[-1] == "all" and steps[-1] == ("a.py", "b.py") and all(not s for s in steps[:-1])
    conflicting = {frozenset(("all", "x-a")), frozenset(("all", "x-b"))}
    greedy_order, greedy_steps = _greedy(_Simulation(str(repo), base, tips), branches, conflicting)
    assert greedy_order[-1] == "all" and sum(1 for s in greedy_steps if s) == 1
    assert git(repo, "for-each-ref") == refs and git(repo, "status", "--porcelain") == ""


def test_a_conflict_event_fits_a_notification() -> None:
    from planner.usecases.merge_check import NOTIFY_BYTES, BatchCheck, PairCheck, Predicted, conflict_event

    files = tuple(f"src/{'deep/' * 20}module_{n}.py" for n in range(300))
    predicted = tuple(Predicted((1, 2), files[:50], "same_file", 0.5) for _ in range(8))
    pair = PairCheck(("worktree-batch1-epic1", "worktree-batch1-epic2"), files, predicted)
    check = BatchCheck("p", "shop", 1, Path("/w"), pair.worktrees, (), (pair,))
    event = conflict_event(check, pair)
    assert len(json.dumps(event)) <= NOTIFY_BYTES
    assert event["files"] == list(files[: len(event["files"])]) and event["files"]
    assert event["files_omitted"] == len(files) - len(event["files"]) > 0
