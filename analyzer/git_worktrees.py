"""git worktrees as git keeps them: listed (`git worktree list --porcelain`), added on a branch,
removed, and what a worktree holds uncommitted; branches looked up and deleted.

Only what is asked is done: a worktree is added on a branch that is created from a base or taken
as it is, never reset; a worktree with uncommitted changes is removed only when forced. Every
failure of git is a `WorktreeError` with git's own last words.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from analyzer.git_cli import run_git


class WorktreeError(OSError):
    """git could not do what was asked with a worktree or a branch: its own words."""


@dataclass(frozen=True)
class GitWorktree:
    """One worktree git knows of: its folder (resolved), its HEAD commit (None before the first
    commit), its branch (`None` when detached or bare) and whether its folder is gone."""

    path: Path
    head: str | None
    branch: str | None
    prunable: bool = False


def _git(repo: str | Path, *args: str) -> str:
    done = run_git(repo, *args)
    if not done.ok:
        raise WorktreeError(f"git {args[0]} {args[1] if len(args) > 1 else ''}".rstrip() + f": {done.error}")
    return done.out.decode("utf-8", "surrogateescape")


def _resolved(path: str) -> Path:
    return Path(path).resolve()


def list_worktrees(repo: str | Path) -> list[GitWorktree]:
    """Every worktree of the repository `repo` belongs to, its main one first."""
    out = _git(repo, "worktree", "list", "--porcelain", "-z")
    found: list[GitWorktree] = []
    record: dict[str, str] = {}
    for field in [*out.split("\0"), ""]:
        if field:
            key, _, value = field.partition(" ")
            record[key] = value
            continue
        if "worktree" in record:
            branch = record.get("branch")
            found.append(
                GitWorktree(
                    path=_resolved(record["worktree"]),
                    head=record.get("HEAD") or None,
                    branch=branch.removeprefix("refs/heads/") if branch else None,
                    prunable="prunable" in record,
                )
            )
        record = {}
    return found


def branch_commit(repo: str | Path, branch: str) -> str | None:
    """The commit the local branch points at, or None when there is no such branch."""
    done = run_git(repo, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}^{{commit}}")
    return done.out.decode("ascii").strip() if done.ok and done.out.strip() else None


def add_worktree(repo: str | Path, path: Path, branch: str, base: str) -> bool:
    """A new worktree at `path` on `branch`: the branch made at `base` when there is none, else
    taken as it is (never moved). Whether the branch was made."""
    if branch_commit(repo, branch) is None:
        _git(repo, "worktree", "add", "--quiet", "-b", branch, "--", str(path), base)
        return True
    _git(repo, "worktree", "add", "--quiet", "--", str(path), branch)
    return False


def uncommitted(worktree: str | Path) -> list[str]:
    """The paths of a worktree that differ from its HEAD: changed, staged or new (not ignored)."""
    out = _git(worktree, "status", "--porcelain", "-z", "--untracked-files=all", "--no-renames")
    return sorted({entry[3:] for entry in out.split("\0") if len(entry) > 3})


def remove_worktree(repo: str | Path, path: Path, force: bool = False) -> None:
    """Remove the worktree at `path` (its folder and git's record of it); git refuses one with
    uncommitted changes unless `force`."""
    _git(repo, "worktree", "remove", *(["--force"] if force else []), "--", str(path))


def delete_branch(repo: str | Path, branch: str, force: bool = False) -> None:
    """Delete a local branch; without `force`, git refuses one not merged into HEAD."""
    _git(repo, "branch", "-D" if force else "-d", "--", branch)
