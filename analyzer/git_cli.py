"""Running git for the analyzer: output as bytes, git's own failures as data, never as exceptions.

A repository may lack objects or hold corrupt ones (a partial mirror, a damaged disk); git then
stops part way with an error, and what it printed before is still good. `run_git` returns both, so
each reader decides what to keep and warns once about what it lost.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Callable
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


STREAM_CHUNK = 1 << 20
"""At most this many bytes of `stream_git` output are handed over at once."""


def stream_git(repo: str | Path, *args: str, stdin: bytes, take: Callable[[bytes], None]) -> GitResult:
    """Run `git -C repo args…` to the end like `run_git`, handing its output to `take` piece by
    piece as git prints it (so the caller works while git does); the result's `out` is empty."""
    with tempfile.TemporaryFile() as given, tempfile.TemporaryFile() as stderr:
        given.write(stdin)
        given.seek(0)
        with subprocess.Popen(
            ["git", "-C", str(repo), *args], stdin=given, stdout=subprocess.PIPE, stderr=stderr
        ) as process:
            assert process.stdout is not None
            while piece := os.read(process.stdout.fileno(), STREAM_CHUNK):
                take(piece)
        stderr.seek(0)
        return GitResult(b"", process.returncode == 0, last_line(stderr.read()))


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


def git_toplevel(path: str | Path) -> Path | None:
    """The top of the git work tree holding `path`, or None (not one, or git refuses it)."""
    done = subprocess.run(
        ["git", "-C", str(path), "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=False
    )
    return Path(done.stdout.strip()).resolve() if done.returncode == 0 and done.stdout.strip() else None


def repository_problem(path: str | Path) -> str | None:
    """What keeps git from reading the repository at `path`, in words that name it; None when
    it is one git can read (its top or a folder inside it)."""
    folder = Path(path)
    if not folder.exists():
        return f"{folder} does not exist"
    if not folder.is_dir():
        return f"{folder} is not a directory"
    done = subprocess.run(
        ["git", "-C", str(folder), "rev-parse", "--show-toplevel"], capture_output=True, check=False
    )
    if done.returncode == 0 and done.stdout.strip():
        return None
    error = last_line(done.stderr)
    if "dubious ownership" in error or "safe.directory" in done.stderr.decode("utf-8", "replace"):
        return (
            f"git refuses {folder}: it belongs to another user (dubious ownership); "
            f"allow it with: git config --global --add safe.directory {folder}"
        )
    return f"{folder} is not a git repository"
