"""Real merges that touch no working tree, index or branch: `git merge-tree --write-tree` between
two commits, a worktree's live state (committed or not) as a commit, one commit's change replayed
on another base, and the files a branch changed since its base.

Every commit made here is a dangling object (no ref points at it; `git gc` drops it in time),
with a fixed identity, so no user configuration is needed and nothing the user sees changes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from analyzer.git_cli import last_line

IDENTITY = {
    "GIT_AUTHOR_NAME": "execplan",
    "GIT_AUTHOR_EMAIL": "execplan@localhost",
    "GIT_COMMITTER_NAME": "execplan",
    "GIT_COMMITTER_EMAIL": "execplan@localhost",
}
"""Who the commits made here are by: objects only execplan reads."""

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
"""git's empty tree, the base of a change made by a root commit."""


class MergeError(OSError):
    """git could not do what was asked (no such revision, not a repository): its own words."""


@dataclass(frozen=True)
class Merge:
    """The result of merging two commits: clean or not, the conflicting paths (sorted; a path of a
    rename conflict is each name involved), and the merged tree (conflict markers in it if not)."""

    clean: bool
    conflicted: tuple[str, ...]
    tree: str


def git_output(
    repo: str | Path, *args: str, env: dict[str, str] | None = None, ok: tuple[int, ...] = (0,)
) -> str:
    """`git -C repo args…`'s standard output (as text); MergeError naming git's own error when it
    exits with a code not in `ok`."""
    done = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        check=False,
        env={**os.environ, **IDENTITY, **(env or {})},
    )
    if done.returncode not in ok:
        raise MergeError(f"git {args[0]} in {repo}: {last_line(done.stderr)}")
    return done.stdout.decode("utf-8", "surrogateescape")


def commit_of(repo: str | Path, rev: str) -> str:
    """The commit `rev` names; MergeError when it names none."""
    asked = f"{rev}^{{commit}}"
    out = git_output(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", asked, ok=(0, 1))
    if not out.strip():
        raise MergeError(f"{rev!r} is not a commit in {repo}")
    return out.strip()


def tree_of(repo: str | Path, commit: str) -> str:
    """The tree of a commit."""
    return git_output(repo, "rev-parse", "--verify", f"{commit}^{{tree}}").strip()


def merge(repo: str | Path, ours: str, theirs: str) -> Merge:
    """Merge two commits as `git merge` would (their merge base found, renames followed), writing
    only objects: the result, clean or with the paths that conflict."""
    a, b = commit_of(repo, ours), commit_of(repo, theirs)
    out = git_output(
        repo, "merge-tree", "--write-tree", "--name-only", "--no-messages", "-z",
        "--allow-unrelated-histories", a, b, ok=(0, 1),
    )  # fmt: skip
    tree, *paths = out.split("\0")
    if not tree:
        raise MergeError(f"git merge-tree in {repo} gave no tree for {ours} and {theirs}")
    conflicted = tuple(sorted({path for path in paths if path}))
    return Merge(clean=not conflicted, conflicted=conflicted, tree=tree)


def commit_tree(repo: str | Path, tree: str, parents: tuple[str, ...], message: str) -> str:
    """A new commit object of `tree` on `parents` (no ref moved)."""
    args = ["commit-tree", tree]
    for parent in parents:
        args += ["-p", parent]
    return git_output(repo, *args, "-m", message).strip()


def snapshot(worktree: str | Path) -> str:
    """The worktree's state as a commit: its HEAD when nothing is changed, else a commit on HEAD of
    every file as it is now, staged or not, new files too (those `.gitignore` leaves out, not).
    The worktree's own index is copied, never written."""
    head = commit_of(worktree, "HEAD")
    index = Path(git_output(worktree, "rev-parse", "--path-format=absolute", "--git-path", "index").strip())
    with tempfile.TemporaryDirectory(prefix="execplan-snapshot-") as folder:
        scratch = Path(folder) / "index"
        if index.exists():
            shutil.copyfile(index, scratch)
        env = {"GIT_INDEX_FILE": str(scratch)}
        if not index.exists():
            git_output(worktree, "read-tree", head, env=env)
        git_output(worktree, "add", "-A", "--", ".", env=env)
        tree = git_output(worktree, "write-tree", env=env).strip()
    if tree == tree_of(worktree, head):
        return head
    return commit_tree(worktree, tree, (head,), "execplan: snapshot of a worktree")


def replay(repo: str | Path, commit: str, onto: str) -> str | None:
    """`commit`'s change (against its first parent) applied on `onto`, as a new commit on `onto`;
    None when it does not apply there cleanly. A three-way merge through synthetic commits, so the
    merge base is exactly the commit's parent."""
    change = commit_of(repo, commit)
    parent = git_output(repo, "rev-parse", "--verify", "--quiet", f"{change}^1", ok=(0, 1)).strip()
    base_tree = tree_of(repo, parent) if parent else EMPTY_TREE
    target = commit_of(repo, onto)
    base = commit_tree(repo, base_tree, (), "execplan: replay base")
    theirs = commit_tree(repo, tree_of(repo, change), (base,), "execplan: replayed change")
    ours = commit_tree(repo, tree_of(repo, target), (base,), "execplan: replay target")
    result = merge(repo, ours, theirs)
    if not result.clean:
        return None
    return commit_tree(repo, result.tree, (target,), f"execplan: {change[:12]} replayed")


def changed_files(repo: str | Path, base: str, tip: str) -> list[str]:
    """The files `tip` changed since it left `base` (from their merge base; a rename as the old and
    the new path), sorted."""
    a, b = commit_of(repo, base), commit_of(repo, tip)
    out = git_output(repo, "diff", "--name-only", "--no-renames", "-z", f"{a}...{b}")
    return sorted({path for path in out.split("\0") if path})
