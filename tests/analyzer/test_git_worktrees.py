"""git worktrees on a real repository: listed as git keeps them, added on a new or an existing
branch (never moved), their uncommitted files, removal (refused with changes unless forced)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.git_worktrees import (
    WorktreeError,
    add_worktree,
    branch_commit,
    delete_branch,
    list_worktrees,
    remove_worktree,
    uncommitted,
)
from tests.conftest import commit_files, git, make_repo


def test_add_list_uncommitted_remove(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.py": "a\n"})
    first = git(repo, "rev-parse", "HEAD").strip()
    commit_files(repo, {"b.py": "b\n"}, "second")
    assert branch_commit(repo, "lane") is None
    assert add_worktree(repo, tmp_path / "wt", "lane", first) is True
    assert branch_commit(repo, "lane") == first
    listed = list_worktrees(repo)
    assert [(w.path, w.branch) for w in listed] == [
        (repo.resolve(), "main"),
        ((tmp_path / "wt").resolve(), "lane"),
    ]
    assert listed[1].head == first and not listed[1].prunable
    assert uncommitted(tmp_path / "wt") == []
    (tmp_path / "wt" / "a.py").write_text("changed\n")
    (tmp_path / "wt" / "sub").mkdir()
    (tmp_path / "wt" / "sub" / "new.py").write_text("new\n")
    assert uncommitted(tmp_path / "wt") == ["a.py", "sub/new.py"]
    with pytest.raises(WorktreeError, match="git worktree remove"):
        remove_worktree(repo, tmp_path / "wt")
    assert (tmp_path / "wt" / "a.py").read_text() == "changed\n"
    remove_worktree(repo, tmp_path / "wt", force=True)
    assert not (tmp_path / "wt").exists() and len(list_worktrees(repo)) == 1
    # the branch is still there: taken as it is, not moved to the base given
    git(repo, "branch", "-f", "lane", "HEAD")
    assert add_worktree(repo, tmp_path / "again", "lane", first) is False
    assert git(tmp_path / "again", "rev-parse", "HEAD").strip() == git(repo, "rev-parse", "main").strip()
    remove_worktree(repo, tmp_path / "again")
    git(repo, "branch", "ahead", first)
    git(repo, "checkout", "-q", "ahead")
    commit_files(repo, {"c.py": "c\n"}, "on ahead")
    git(repo, "checkout", "-q", "main")
    with pytest.raises(WorktreeError):
        delete_branch(repo, "ahead")  # not merged into HEAD
    delete_branch(repo, "ahead", force=True)
    delete_branch(repo, "lane")
    assert branch_commit(repo, "ahead") is None and branch_commit(repo, "lane") is None
