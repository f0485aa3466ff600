"""Running git for the analyzer: output as bytes, git's own failures as data, never as exceptions.

A repository may lack objects or hold corrupt ones (a partial mirror, a damaged disk); git then
stops part way with an error, and what it printed before is still good. `run_git` returns both, so
each reader decides what to keep and warns once about what it lost.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class GitResult:
    """What one git command printed, and whether it finished; `error` is its last stderr line."""

    out: bytes
    ok: bool
    error: str


def run_git(repo: str | Path, *args: str, stdin: bytes | None = None) -> GitResult:
    """Run `git -C repo args…` to the end, feeding it `stdin`."""
    done = subprocess.run(["git", "-C", str(repo), *args], input=stdin, capture_output=True, check=False)
    return GitResult(done.stdout, done.returncode == 0, last_line(done.stderr))


def last_line(stderr: bytes) -> str:
    """The last non-empty line git wrote to stderr: its fatal error, which comes last."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[-1] if lines else "git failed without a message"


def resolve_revision(repo: str | Path, rev: str) -> str | None:
    """The object name `rev` stands for, or None when it names nothing (a repository without commits).

    The object itself is not read, so a name whose object is missing still resolves. Raises
    `OSError` when `repo` is not a git repository.
    """
    done = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", rev], capture_output=True, check=False
    )
    if done.returncode == 1:
        return None
    if done.returncode != 0:
        raise OSError(f"git rev-parse in {repo}: {last_line(done.stderr)}")
    return done.stdout.decode("ascii").strip()
