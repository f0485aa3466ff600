"""The files the analyzer may read: git-tracked regular files of one revision, never the work tree.

Content is read from git's object database by blob SHA (`analyzer.blobs`), so a symlink (mode
120000) or a submodule (mode 160000) is never followed, nothing outside the repository is ever
opened, and what is parsed is exactly the blob whose SHA keys the cache.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from analyzer.git_cli import resolve_revision, run_git
from analyzer.records import TrackedFile

log = logging.getLogger(__name__)

REGULAR_MODES = frozenset({"100644", "100755"})


def is_safe_path(path: str) -> bool:
    """True for a relative path that stays inside the repository (no `..`, not absolute)."""
    if not path or "\0" in path or "\\" in path or path.startswith("/") or os.path.isabs(path):
        return False
    parts: Sequence[str] = path.split("/")
    if "" in parts or "." in parts:  # `a//b`, `./a`, `a/`: as pathlib reads them
        parts = PurePosixPath(path).parts
    return ".." not in parts and parts[0] != ".git"


def list_tracked_files(repo: str | Path, rev: str = "HEAD") -> list[TrackedFile]:
    """Regular files tracked at `rev` (default HEAD), sorted by path; empty for a repository without commits.

    Symlinks and submodules are left out; a path that is not UTF-8 or would leave the repository is
    skipped with a warning, and so is each folder whose tree git cannot read (missing or corrupt).
    A blob git cannot size (its object is missing or corrupt) is listed with size 0; reading it
    then says what is wrong with it.
    """
    commit = resolve_revision(repo, rev)
    if commit is None:
        return []
    files = _list_tree(repo, commit, "")
    files.sort(key=lambda tracked: tracked.path)
    return files


def _list_tree(repo: str | Path, tree: str, folder: str) -> list[TrackedFile]:
    """The files under `tree` (found at `folder`), at once; when git cannot read the whole of it,
    its own entries, then each subtree the same way, skipping with a warning what cannot be read."""
    whole = run_git(repo, "ls-tree", "-r", "-l", "-z", "--full-tree", tree)
    if whole.ok:
        return [found for entry in _entries(whole.out) if (found := _file(folder, entry))]
    top = run_git(repo, "ls-tree", "-l", "-z", "--full-tree", tree)
    if not top.ok:
        where = f"under {folder}" if folder else "at all"
        log.warning(
            "skipping the files of %s %s: its tree %s cannot be read (%s)", repo, where, tree, top.error
        )
        return []
    files: list[TrackedFile] = []
    for entry in _entries(top.out):
        mode, kind, sha, _, raw_name = entry
        if kind == "tree" and mode == "040000":
            name = _name(raw_name)
            if name is not None and is_safe_path(folder + name):
                files += _list_tree(repo, sha, f"{folder}{name}/")
        elif found := _file(folder, entry):
            files.append(found)
    return files


def _entries(listing: bytes) -> list[tuple[str, str, str, str, bytes]]:
    """`(mode, kind, sha, size, raw path)` of each `ls-tree -l -z` entry."""
    entries = []
    for entry in listing.split(b"\0"):
        meta, _, raw_path = entry.partition(b"\t")
        fields = meta.decode("ascii", "replace").split()
        if len(fields) == 4 and raw_path:
            mode, kind, sha, size = fields
            entries.append((mode, kind, sha, size, raw_path))
    return entries


def _name(raw: bytes) -> str | None:
    """`raw` as UTF-8, None (with a warning) when it is not."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        log.warning("skipping tracked file with a non-UTF-8 name: %r", raw)
        return None


def _file(folder: str, entry: tuple[str, str, str, str, bytes]) -> TrackedFile | None:
    """The file of one entry under `folder`, None when not a regular file or not a safe path."""
    mode, kind, sha, size, raw_path = entry
    if kind != "blob" or mode not in REGULAR_MODES:
        return None
    name = _name(raw_path)
    if name is None:
        return None
    path = folder + name
    if not is_safe_path(path):
        log.warning("skipping tracked file whose path leaves the repository: %r", path)
        return None
    return TrackedFile(path=path, blob_sha=sha, size=int(size) if size.isdigit() else 0, mode=mode)
