"""The files the analyzer may read: git-tracked regular files of one revision, never the work tree.

Content is read from git's object database by blob SHA (`git cat-file --batch`), so a symlink
(mode 120000) or a submodule (mode 160000) is never followed, nothing outside the repository is
ever opened, and what is parsed is exactly the blob whose SHA keys the cache.
"""

from __future__ import annotations

import logging
import os
import subprocess
import threading
from collections.abc import Generator, Iterable
from pathlib import Path, PurePosixPath
from typing import IO

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


def read_blobs(repo: str | Path, shas: Iterable[str]) -> Generator[tuple[str, bytes | None], None, None]:
    """`(sha, content)` for each blob SHA, through one `git cat-file --batch`; None when unreadable.

    A thread writes the requests while this generator reads the answers, so git never waits."""
    wanted = list(shas)
    with subprocess.Popen(
        ["git", "-C", str(repo), "cat-file", "--batch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    ) as process:
        assert process.stdin is not None and process.stdout is not None
        feeder = threading.Thread(target=_request, args=(process.stdin, wanted), daemon=True)
        feeder.start()
        answered = 0
        try:
            for sha in wanted:
                answered += 1
                header = process.stdout.readline().split()
                if len(header) != 3 or header[1] != b"blob":
                    if not header:
                        raise OSError("git cat-file stopped answering")
                    log.warning("cannot read blob %s: %s", sha, b" ".join(header).decode(errors="replace"))
                    yield sha, None
                    continue
                content = process.stdout.read(int(header[2]))
                process.stdout.read(1)
                yield sha, content
        except (OSError, ValueError) as error:
            log.warning("cannot read blobs of %s: %s", repo, error)
        finally:
            if answered < len(wanted):
                process.kill()
            feeder.join()


def _request(stdin: IO[bytes], shas: list[str]) -> None:
    """Write one request line per SHA, then close git's input."""
    try:
        for sha in shas:
            stdin.write(sha.encode("ascii") + b"\n")
        stdin.close()
    except (OSError, ValueError):
        return
