"""Backtest by real merges, on a real repository made here: a window whose changes really conflict
(the same lines of one file; a folder renamed while another change adds to it), share a file and
merge cleanly (far apart lines), cannot be replayed onto the window's start, or touch other files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api.cli.main import main
from planner.core.settings import Settings
from planner.predictors.mentions import MentionPredictor
from planner.usecases.backtest import backtest, borrowing_repository, history_changes
from planner.usecases.backtest_merges import Paths, WindowMerges, may_conflict
from tests.conftest import commit_files, git, make_repo

TEXT = "".join(f"line {n}\n" for n in range(1, 21))


def edit(text: str, line: int, to: str) -> str:
    return text.replace(f"line {line}\n", f"{to}\n")


def window_repo(root: Path) -> Path:
    """Ten changes in four epics of three (the window), then one more outside it. Positions 1 and 7
    change line 2 of a.py apart (4 reverts 1 in between): a real conflict. 2 and 5 change b.py far
    apart: a shared file that merges. 8 rewrites what 2 wrote: it cannot replay onto the start,
    and really conflicts with 2 (not with 5, far apart in b.py). 3 moves pkg/ to lib/ and 6 adds
    pkg/new.py: a real conflict sharing no file."""
    repo = make_repo(root, {"a.py": TEXT, "b.py": TEXT, "c.py": "c\n", "d.py": "d\n", "pkg/x.py": TEXT})
    b = edit(TEXT, 19, "line nineteen")
    commit_files(repo, {"a.py": edit(TEXT, 2, "alpha")}, "Set line 2 of a.py to alpha")
    commit_files(repo, {"b.py": b}, "Spell out line 19 of b.py")
    git(repo, "mv", "pkg", "lib")
    commit_files(repo, {}, "Move pkg/x.py to lib/x.py")
    commit_files(repo, {"a.py": TEXT}, "Revert line 2 of a.py")
    commit_files(repo, {"b.py": edit(b, 2, "line two")}, "Spell out line 2 of b.py")
    commit_files(repo, {"pkg/new.py": "new\n"}, "Add pkg/new.py beside pkg/x.py")
    commit_files(repo, {"a.py": edit(TEXT, 2, "beta")}, "Set line 2 of a.py to beta")
    commit_files(repo, {"b.py": edit(edit(TEXT, 2, "line two"), 19, "19")}, "Number line 19 of b.py")
    commit_files(repo, {"c.py": "c2\n"}, "Change c.py only")
    commit_files(repo, {"d.py": "d2\n"}, "Change d.py only")
    commit_files(repo, {"c.py": "c3\n"}, "Change c.py once more")  # outside the window
    return repo


def untouched(repo: Path) -> tuple[str, ...]:
    """What a user could see change: work tree, index, refs, HEAD, worktrees, objects."""
    objects = sorted(str(p.relative_to(repo)) for p in (repo / ".git" / "objects").rglob("*"))
    return (
        git(repo, "status", "--porcelain", "--untracked-files=all"),
        git(repo, "for-each-ref"),
        git(repo, "rev-parse", "HEAD"),
        git(repo, "worktree", "list", "--porcelain"),
        "\n".join(objects),
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return window_repo(tmp_path / "r")


def test_the_window_merges_count_real_conflicts_only(repo: Path, tmp_path: Path) -> None:
    changes = history_changes(repo)
    scratch = tmp_path / "scratch"
    borrowing_repository(repo, scratch)
    merges = WindowMerges(scratch, changes[:10], list(range(1, 11)))
    # the same lines of a.py; pkg/ moved while added to; 8 rewriting what 2 wrote
    assert merges.conflicting == {(1, 7), (3, 6), (2, 8)}
    assert merges.same_file == {(1, 4), (1, 7), (4, 7), (2, 5), (2, 8), (5, 8)}
    assert merges.left_out == 1 and merges.undecided == set()
    assert merges.merges == 5  # merge-tree on the replayed same-file pairs and the rename pair only
    everyone = merges.score(lambda a, b: True)
    assert (everyone.same_file_pairs, everyone.same_file_conflicts, everyone.conflicts) == (6, 2, 3)
    assert everyone.leak == 1.0
    assert merges.score(lambda a, b: {a, b} == {1, 7}).leak == pytest.approx(1 / 3)
    assert merges.score(lambda a, b: False).leak == 0.0


async def test_backtest_reports_both_leaks_and_touches_nothing(repo: Path) -> None:
    before = untouched(repo)
    results = await backtest(repo, MentionPredictor(), Settings(), size=10, count=1, merge=True)
    [(predicted, baseline)] = results
    assert untouched(repo) == before
    assert predicted.merge is not None and baseline.merge is not None
    for merged in (predicted.merge, baseline.merge):
        assert (merged.same_file_pairs, merged.same_file_conflicts, merged.conflicts) == (6, 2, 3)
        assert (merged.left_out, merged.undecided) == (1, 0)
    # dependency-only runs the four epics side by side: every conflict leaks, by file and by merge
    assert baseline.leak == 1.0 and baseline.conflict_pairs == 6
    assert baseline.merge.leaked == 3 and baseline.merge.leak == 1.0
    # every message names its files: the plan keeps both real conflicts apart
    assert predicted.leak == 0.0 and predicted.merge.leak == 0.0
    [(plain, _)] = await backtest(repo, MentionPredictor(), Settings(), size=10, count=1)
    assert plain.merge is None  # without merge nothing is merged


def test_a_pair_is_undecided_when_a_change_between_rewrote_the_earlier_one(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"d.py": TEXT})
    for to in ("five", "FIVE", "5"):
        commit_files(repo, {"d.py": edit(TEXT, 5, to)}, f"Set line 5 of d.py to {to}")
    commit_files(repo, {"d.py": edit(edit(TEXT, 5, "5"), 15, "fifteen")}, "Set line 15 of d.py apart")
    borrowing_repository(repo, tmp_path / "scratch")
    merges = WindowMerges(tmp_path / "scratch", history_changes(repo), [1, 2, 3, 4])
    assert merges.left_out == 2  # 2 and 3 each rewrite the line before them
    assert merges.conflicting == {(1, 2), (2, 3)}
    assert merges.undecided == {(1, 3)}  # 1 cannot be undone under 3, nor 3 apply on its parent
    # 2 cannot be undone under 4 either, but 4 applies on 2's parent: clean; (1, 4) merged by merge-tree
    assert merges.same_file == {(1, 2), (2, 3), (1, 4), (2, 4), (3, 4)} and merges.merges == 1
    assert merges.score(lambda a, b: True).undecided == 1


def test_a_pair_without_a_shared_path_can_still_conflict() -> None:
    def paths(changed: set[str], added: set[str] = set(), deleted: set[str] = set()) -> Paths:  # noqa: B006
        return Paths(frozenset(changed), frozenset(added), frozenset(deleted))

    moved = paths({"pkg/x.py", "lib/x.py"}, added={"lib/x.py"}, deleted={"pkg/x.py"})
    assert may_conflict(moved, paths({"pkg/new.py"}, added={"pkg/new.py"}))  # folder renamed
    assert may_conflict(moved, paths({"pkg/x.py"}))  # a renamed file edited: both names listed
    assert may_conflict(paths({"docs"}, added={"docs"}), paths({"docs/a.md"}, added={"docs/a.md"}))
    assert not may_conflict(moved, paths({"other/new.py"}, added={"other/new.py"}))
    assert not may_conflict(paths({"pkg/y.py"}), paths({"pkg/z.py"}, added={"pkg/z.py"}))  # no folder emptied


def test_cli_prints_both_leaks_and_the_verdict(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "settings.toml").write_text("")  # the defaults, whatever this machine has
    monkeypatch.setenv("EXECPLAN_SETTINGS", str(tmp_path / "settings.toml"))
    before = untouched(repo)
    code = main(["backtest", "--repo", str(repo), "--size", "10", "--windows", "1", "--merge"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert untouched(repo) == before
    assert "merge leak:" in out and re.search(r"┃\s*merge\s*┃", out)  # the legend, the column
    summary = [line for line in out.splitlines() if line.startswith("real merges")]
    assert summary == [
        "real merges (git merge-tree, each change replayed onto its window's start): 6 same-file pairs, "
        "2 of them really conflict; 1 conflicting pairs share no file; 1 changes did not replay onto the "
        "start (their same-file pairs decided one by one: 0 undecided, left out)"
    ]
    [verdict] = [line for line in out.splitlines() if line.startswith("on this repository")]
    assert "of 6 conflicts (pairs sharing a file) and" in verdict
    assert "of 3 real merge conflicts (merge leak" in verdict
    code = main(["backtest", "--repo", str(repo), "--size", "10", "--windows", "1"])
    out, _ = capsys.readouterr()
    assert code == 0 and "merge" not in out
