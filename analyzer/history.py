"""Reading commits from git with GitPython: per commit, the files it changed and its message words.

`read_history(repo, since, until)` returns the non-merge commits in `since..until`, oldest first,
with renames detected (`R` changes carry the old path) so that a renamed file's history can carry
on under its new name. When `since` is not an ancestor of `until` (history was rewritten) the whole
history is read and the delta says `full`, meaning: replace what was stored, do not add to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import git

from analyzer.tracked import is_safe_path
from analyzer.vocabulary import text_words

TRAILER = re.compile(r"^\s*(co-authored-by|signed-off-by|reviewed-by|acked-by|cc)\s*:.*$", re.I | re.M)
URL = re.compile(r"https?://\S+|\S+@\S+")
MESSAGE_WORD_LIMIT = 60
"""Only the first words of a long message are kept: the subject and the start of the body."""


@dataclass(frozen=True)
class FileChange:
    """One file changed by a commit: `status` is A, M, D, R (renamed from `old_path`), T or C."""

    path: str
    status: str
    old_path: str = ""


@dataclass(frozen=True)
class CommitChange:
    """One commit: its SHA, commit time, distinct message words in order, and changed files."""

    sha: str
    timestamp: int
    words: tuple[str, ...]
    changes: tuple[FileChange, ...]


@dataclass(frozen=True)
class HistoryDelta:
    """The commits in `since..until`, oldest first; `until` is a commit SHA (empty: no commits)."""

    since: str | None
    until: str
    full: bool
    commits: tuple[CommitChange, ...]


def message_words(message: str) -> tuple[str, ...]:
    """The distinct words of a commit message, trailers, URLs and e-mail addresses left out."""
    cleaned = URL.sub(" ", TRAILER.sub(" ", message))
    seen: dict[str, None] = {}
    for word in text_words(cleaned, keep_verbs=True)[: MESSAGE_WORD_LIMIT * 2]:
        seen.setdefault(word, None)
    return tuple(seen)[:MESSAGE_WORD_LIMIT]


def read_history(repo: str | Path, since: str | None = None, until: str = "HEAD") -> HistoryDelta:
    """Non-merge commits after `since` (None: from the beginning) up to `until`, oldest first."""
    with git.Repo(str(repo)) as repository:
        try:
            head = repository.commit(until).hexsha
        except (ValueError, git.BadName):
            return HistoryDelta(since=since, until="", full=since is None, commits=())
        full = since is None
        if since is not None and not is_ancestor(repository, since, head):
            full = True
        revision = head if full else f"{since}..{head}"
        out = repository.git.log(
            revision, "--no-merges", "--name-status", "-M", "-z", "--format=%x1e%H%x1f%ct%x1f%B%x1f"
        )
    commits = [parse_commit(chunk) for chunk in out.split("\x1e") if chunk.strip()]
    commits.reverse()
    return HistoryDelta(since=None if full else since, until=head, full=full, commits=tuple(commits))


def is_ancestor(repository: git.Repo, ancestor: str, head: str) -> bool:
    try:
        repository.git.merge_base("--is-ancestor", ancestor, head)
    except git.GitCommandError:
        return False
    return True


def parse_commit(chunk: str) -> CommitChange:
    """One `%H\\x1f%ct\\x1f%B\\x1f` record followed by NUL-separated `--name-status` fields."""
    sha, timestamp, message, status_text = chunk.split("\x1f", 3)
    fields = [field.strip("\n") for field in status_text.split("\0")]
    fields = [field for field in fields if field]
    changes: list[FileChange] = []
    index = 0
    while index < len(fields):
        status = fields[index][:1]
        if status in ("R", "C") and index + 2 < len(fields):
            old, new = fields[index + 1], fields[index + 2]
            index += 3
            if is_safe_path(new):
                changes.append(FileChange(path=new, status=status, old_path=old if status == "R" else ""))
        else:
            path = fields[index + 1] if index + 1 < len(fields) else ""
            index += 2
            if is_safe_path(path):
                changes.append(FileChange(path=path, status=status))
    return CommitChange(
        sha=sha.strip(), timestamp=int(timestamp), words=message_words(message), changes=tuple(changes)
    )
