"""The files the analyzer may read: git-tracked regular files of one revision, never the work tree.

Content is read from git's object database by blob SHA, so a symlink (mode 120000) or a submodule
(mode 160000) is never followed, nothing outside the repository is ever opened, and what is parsed
is exactly the blob whose SHA keys the cache.
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath

import git

from analyzer.records import TrackedFile

log = logging.getLogger(__name__)

REGULAR_MODES = frozenset({"100644", "100755"})


def is_safe_path(path: str) -> bool:
    """True for a relative path that stays inside the repository (no `..`, not absolute)."""
    if not path or "\0" in path or "\\" in path or path.startswith("/") or os.path.isabs(path):
        return False
    parts = PurePosixPath(path).parts
    return all(part not in ("..", ".", "") for part in parts) and parts[0] != ".git"


def list_tracked_files(repo: str | Path, rev: str = "HEAD") -> list[TrackedFile]:
    """Regular files tracked at `rev` (default HEAD), sorted by path; empty for a repository without commits.

    Symlinks and submodules are left out; a path that is not UTF-8 or would leave the repository is
    skipped with a warning.
    """
    root = Path(repo)
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "ls-tree", "-r", "-l", "-z", "--full-tree", rev],
            check=True,
            capture_output=True,
        ).stdout
    except subprocess.CalledProcessError as error:
        if b"Not a valid object name" in error.stderr or b"not a tree object" in error.stderr:
            return []
        raise
    files: list[TrackedFile] = []
    for entry in out.split(b"\0"):
        if not entry:
            continue
        meta, _, raw_path = entry.partition(b"\t")
        mode, kind, sha, size = meta.decode("ascii").split()
        if kind != "blob" or mode not in REGULAR_MODES:
            continue
        try:
            path = raw_path.decode("utf-8")
        except UnicodeDecodeError:
            log.warning("skipping tracked file with a non-UTF-8 name: %r", raw_path)
            continue
        if not is_safe_path(path):
            log.warning("skipping tracked file whose path leaves the repository: %r", path)
            continue
        files.append(TrackedFile(path=path, blob_sha=sha, size=int(size), mode=mode))
    files.sort(key=lambda tracked: tracked.path)
    return files


def read_blobs(repo: str | Path, shas: Iterable[str]) -> Iterator[tuple[str, bytes | None]]:
    """`(sha, content)` for each blob SHA, through one `git cat-file` process; None when unreadable."""
    with git.Repo(str(repo)) as repository:
        for sha in shas:
            try:
                yield sha, repository.odb.stream(bytes.fromhex(sha)).read()
            except (ValueError, git.BadObject, git.BadName) as error:
                log.warning("cannot read blob %s: %s", sha, error)
                yield sha, None
