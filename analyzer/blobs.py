"""Blob contents from git's object database by SHA (`git cat-file --batch`): whole, or not at all.

A blob git cannot give whole is answered with `Unreadable` and the reason: missing (git also
reports an object it cannot unpack as missing), cut short (git stops part way through a corrupt
object), not a blob, or bytes that do not hash to the SHA (a damaged or forged object that git
reads without complaint). When git stops, a new `git cat-file` carries on after the blob that
stopped it, so every other blob is still read. The hash check keeps bytes that are not the blob's
from being parsed and then cached under its SHA.
"""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
import threading
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from analyzer.git_cli import last_line


@dataclass(frozen=True)
class Unreadable:
    """Why git could not give a blob whole."""

    reason: str


Answer = tuple[str, bytes | Unreadable]


def read_blobs(repo: str | Path, shas: Iterable[str]) -> Generator[Answer, None, None]:
    """`(sha, content)` for each SHA, in order, content an `Unreadable` when git cannot give it whole.

    A thread writes the requests while this generator reads the answers, so git never waits. When
    git stops twice in a row before printing anything (it cannot run here), the blobs left are all
    answered `Unreadable`."""
    todo = list(shas)
    silent = 0
    while todo:
        answered = 0
        for sha, content, printed in _cat_file(repo, todo):
            answered += 1
            silent = 0 if printed else silent + 1
            yield sha, content
            if silent == 2:
                yield from ((rest, content) for rest in todo[answered:])
                return
        todo = todo[answered:]


@dataclass(frozen=True)
class _OutOfStep:
    """Git's answers can no more be followed: it stopped, or printed what does not fit the request."""

    what: str
    printed: bool = True


def _cat_file(
    repo: str | Path, todo: list[str]
) -> Generator[tuple[str, bytes | Unreadable, bool], None, None]:
    """Answers from one `git cat-file --batch`, each with whether this git had printed anything yet;
    the last answer is the blob at which git stopped or fell out of step, if it did."""
    with (
        tempfile.TemporaryFile() as stderr,
        subprocess.Popen(
            ["git", "-C", str(repo), "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
        ) as process,
    ):
        assert process.stdin is not None and process.stdout is not None
        feeder = threading.Thread(target=_request, args=(process.stdin, todo), daemon=True)
        feeder.start()
        try:
            for position, sha in enumerate(todo):
                answer = _answer(process.stdout, sha)
                if isinstance(answer, _OutOfStep):
                    process.kill()
                    process.wait()
                    stderr.seek(0)
                    reason = f"{answer.what} (git: {last_line(stderr.read())})"
                    yield sha, Unreadable(reason), position > 0 or answer.printed
                    return
                yield sha, answer, True
        finally:
            if process.poll() is None:
                process.kill()
            feeder.join()


def _answer(stdout: IO[bytes], sha: str) -> bytes | Unreadable | _OutOfStep:
    """Git's answer for `sha`: the blob's bytes, why it has none, or that git is out of step."""
    header = stdout.readline().split()
    if not header:
        return _OutOfStep("git stopped", printed=False)
    if len(header) not in (2, 3) or header[0] != sha.encode("ascii"):
        return _OutOfStep("git answered for another object")
    if len(header) == 2:
        word = header[1].decode("ascii", "replace")
        return Unreadable("missing, or too corrupt for git to read" if word == "missing" else word)
    if not header[2].isdigit():
        return _OutOfStep("git gave no size")
    size = int(header[2])
    content = stdout.read(size)
    if len(content) < size or stdout.read(1) != b"\n":
        return _OutOfStep("corrupt: git could not give it whole")
    if header[1] != b"blob":
        return Unreadable(f"a {header[1].decode('ascii', 'replace')}, not a blob")
    if not hashes_to(sha, content):
        return Unreadable("corrupt: its content does not match its SHA")
    return content


def hashes_to(sha: str, content: bytes) -> bool:
    """True when `content` is the blob whose object name is `sha` (SHA-1, or SHA-256 by length)."""
    digest = hashlib.new("sha256" if len(sha) == 64 else "sha1", usedforsecurity=False)
    digest.update(b"blob %d\0" % len(content))
    digest.update(content)
    return digest.hexdigest() == sha


def _request(stdin: IO[bytes], shas: list[str]) -> None:
    """Write one request line per SHA, then close git's input."""
    try:
        for sha in shas:
            stdin.write(sha.encode("ascii") + b"\n")
        stdin.close()
    except (OSError, ValueError):
        return
