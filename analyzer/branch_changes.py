"""What a task's branch really changed: its commits since its base (each with its message and
files) and every file it changed, read with git only (no working tree touched, nothing written).

The base is where the branch left `base` (their merge base). A branch already merged into
`base` by a merge commit is read from that merge's first parent (the base as it was then); one
already in `base` without a merge commit (fast-forwarded, or never committed to) has no commits
of its own that can be told apart, and reads as none.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from analyzer.git_cli import run_git
from analyzer.git_worktrees import branch_commit
from analyzer.merges import changed_files, commit_of, git_output

MAX_COMMITS = 2000
"""The most commits of one branch that are read (a branch of more is read up to its newest)."""


@dataclass(frozen=True)
class BranchCommit:
    """One commit of a branch: its id, message and the files it changed (sorted)."""

    sha: str
    message: str
    files: tuple[str, ...]


@dataclass(frozen=True)
class BranchChanges:
    """A branch's own commits since its base (oldest first) and every file it changed since."""

    branch: str
    base: str
    commits: tuple[BranchCommit, ...]
    files: tuple[str, ...]


def start_of(repo: str | Path, base: str, tip: str) -> str:
    """The commit the branch at `tip` is read from: `base`, or, when `tip` is already in `base`
    through a merge commit, that merge's first parent."""
    base_commit = commit_of(repo, base)
    if not _is_ancestor(repo, tip, base_commit):
        return base_commit
    merges = git_output(repo, "rev-list", "--merges", "--ancestry-path", "--reverse", f"{tip}..{base_commit}")
    for merge in merges.split():
        before = commit_of(repo, f"{merge}^1")
        if not _is_ancestor(repo, tip, before):
            return before
    return base_commit


def branch_changes(repo: str | Path, branch: str, base: str = "HEAD") -> BranchChanges | None:
    """The changes of branch `branch` since it left `base`; None when there is no such branch.
    MergeError when git cannot read them (`base` names no commit)."""
    tip = branch_commit(repo, branch)
    if tip is None:
        return None
    start = start_of(repo, base, tip)
    shas = git_output(
        repo, "rev-list", "--no-merges", "--reverse", f"--max-count={MAX_COMMITS}", f"{start}..{tip}"
    ).split()
    commits = tuple(_commit(repo, sha) for sha in shas)
    return BranchChanges(branch, start, commits, tuple(changed_files(repo, start, tip)))


def _commit(repo: str | Path, sha: str) -> BranchCommit:
    message = git_output(repo, "show", "-s", "--format=%B", sha)
    names = git_output(
        repo, "diff-tree", "--no-commit-id", "--name-only", "--no-renames", "-r", "-z", "--root", sha
    )
    return BranchCommit(sha, message.strip(), tuple(sorted({n for n in names.split("\0") if n})))


def _is_ancestor(repo: str | Path, ancestor: str, of: str) -> bool:
    return run_git(repo, "merge-base", "--is-ancestor", ancestor, of).ok
