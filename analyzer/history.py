"""Reading commits from git: per commit, the files it changed and its message words.

`read_history(repo, since, until)` returns the non-merge commits in `since..until`, oldest first,
with renames detected (`R` changes carry the old path) so that a renamed file's history can carry
on under its new name. When `since` is not an ancestor of `until` (history was rewritten) the whole
history is read and the delta says `full`, meaning: replace what was stored, do not add to it.

A repository with missing or corrupt objects gives what of its history can be read, each loss
warned about once. The commits are listed (`git rev-list`; when a commit cannot be read the list
ends there), then their changes read by one `git diff-tree --stdin`, each commit parsed as soon as
git has printed it (so Python parses while git diffs). A commit whose changes git
cannot read is tried again alone, then without rename detection (renames are found by reading
blobs; the changes themselves need only trees), and skipped when that fails too.
"""

from __future__ import annotations

import functools
import itertools
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from analyzer.gc_pause import no_cycle_collection
from analyzer.git_cli import resolve_revision, run_git, stream_git
from analyzer.tracked import is_safe_path
from analyzer.vocabulary import words_of

log = logging.getLogger(__name__)

TRAILER = re.compile(r"^\s*(co-authored-by|signed-off-by|reviewed-by|acked-by|cc)\s*:.*$", re.I | re.M)
URL = re.compile(r"https?://\S+|\S+@\S+")
MESSAGE_WORD_LIMIT = 60
"""Only the first words of a long message are kept: the subject and the start of the body."""


@dataclass(frozen=True, slots=True)
class FileChange:
    """One file changed by a commit: `status` is A, M, D, R (renamed from `old_path`), T or C."""

    path: str
    status: str
    old_path: str = ""


@dataclass(frozen=True, slots=True)
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
    cleaned = TRAILER.sub(" ", message) if ":" in message else message  # a trailer has a colon,
    if "://" in cleaned or "@" in cleaned:  # a URL its scheme and an address its at sign
        cleaned = URL.sub(" ", cleaned)
    first = itertools.islice(words_of(cleaned, keep_verbs=True), MESSAGE_WORD_LIMIT * 2)
    return tuple(dict.fromkeys(first))[:MESSAGE_WORD_LIMIT]


DIFF = ("diff-tree", "--stdin", "-r", "--root", "--always", "--name-status", "-z")
FORMAT = "--format=%x1e%H%x1f%ct%x1f%B%x1f"
"""Each commit as `\\x1e sha \\x1f time \\x1f message \\x1f \\0`, then its changes."""
RECORD_START = re.compile(rb"\0(?=\x1e[0-9a-f]{40}(?:[0-9a-f]{24})?\x1f)")
"""Where a record begins: a message holds no NUL, a path no `\\x1e`."""


def read_history(repo: str | Path, since: str | None = None, until: str = "HEAD") -> HistoryDelta:
    """Non-merge commits after `since` (None: from the beginning) up to `until`, oldest first."""
    head = head_commit(repo, until)
    if head is None:
        return HistoryDelta(since=since, until="", full=since is None, commits=())
    full = since is None or not is_ancestor(repo, since, head)
    with no_cycle_collection():  # a commit and its changes per commit, none in a cycle
        commits = read_commits(repo, list_commits(repo, head if full else f"{since}..{head}"))
    commits.reverse()
    return HistoryDelta(since=None if full else since, until=head, full=full, commits=tuple(commits))


def head_commit(repo: str | Path, until: str) -> str | None:
    """The commit `until` names; None when it names nothing, or (with a warning) no readable commit."""
    name = resolve_revision(repo, until)
    if name is None:
        return None
    commit = resolve_revision(repo, f"{name}^{{commit}}")
    if commit is None:
        log.warning("cannot read the history of %s: %s (%s) is not a commit git can read", repo, until, name)
    return commit


def is_ancestor(repo: str | Path, ancestor: str, head: str) -> bool:
    return run_git(repo, "merge-base", "--is-ancestor", ancestor, head).ok


def list_commits(repo: str | Path, revision: str) -> list[str]:
    """The non-merge commits of `revision`, newest first; those listed before one git cannot read."""
    listing = run_git(repo, "rev-list", "--no-merges", revision)
    shas = listing.out.decode("ascii", "replace").split()
    if not listing.ok:
        log.warning(
            "cannot read the whole history of %s (%s); reading the %d newest commits",
            repo, listing.error, len(shas),
        )  # fmt: skip
    return shas


def read_commits(repo: str | Path, shas: list[str]) -> list[CommitChange]:
    """The changes of each commit of `shas`, in that order, less those git cannot read."""
    commits: list[CommitChange] = []
    todo = shas
    while todo:
        printed, ok, _ = _diff(repo, todo)
        if ok:
            return commits + printed
        kept = printed[: max(len(printed) - 1, 0)]  # the last one printed may be cut short
        commits += kept
        commits += _read_alone(repo, todo[len(kept)])
        todo = todo[len(kept) + 1 :]
    return commits


def _read_alone(repo: str | Path, sha: str) -> list[CommitChange]:
    """One commit that stopped git: read alone, else without renames, else skipped; with a warning."""
    alone, ok, error = _diff(repo, [sha])
    if ok:
        return alone
    plain, ok, _ = _diff(repo, [sha], renames=False)
    if ok:
        log.warning("commit %s of %s: %s; its changes read with renames not detected", sha, repo, error)
        return plain
    log.warning("skipping commit %s of %s: %s", sha, repo, error)
    return []


def _diff(repo: str | Path, shas: list[str], renames: bool = True) -> tuple[list[CommitChange], bool, str]:
    """The commits git printed for `shas` (in order, the first ones), whether it read them all, and
    its error when not."""
    stdin = "".join(f"{sha}\n" for sha in shas).encode("ascii")
    records = _Records()
    done = stream_git(
        repo, *DIFF, "-M" if renames else "--no-renames", FORMAT, stdin=stdin, take=records.take
    )
    printed = records.end()
    in_order = list(
        itertools.takewhile(lambda pair: pair[0].sha == pair[1], zip(printed, shas, strict=False))
    )
    return [commit for commit, _ in in_order], done.ok and len(in_order) == len(shas), done.error


class _Records:
    """Commits parsed from `diff-tree` output as it comes: each record once the next one begins."""

    def __init__(self) -> None:
        self.commits: list[CommitChange] = []
        self._rest = b""

    def take(self, piece: bytes) -> None:
        """Parse the records `piece` completes; keep the last one, which may go on in the next."""
        chunks = RECORD_START.split(self._rest + piece)
        self._rest = chunks.pop()
        self.commits += (parse_commit(chunk.decode("utf-8", "replace")) for chunk in chunks if chunk)

    def end(self) -> list[CommitChange]:
        """Every commit of the output, once git has printed it all."""
        self.take(b"")
        if self._rest:
            self.commits.append(parse_commit(self._rest.decode("utf-8", "replace")))
            self._rest = b""
        return self.commits


safe_path = functools.lru_cache(maxsize=1 << 16)(is_safe_path)
"""`is_safe_path`, remembered: a history names the same paths again and again."""


def parse_commit(chunk: str) -> CommitChange:
    """One `\\x1e%H\\x1f%ct\\x1f%B\\x1f\\0` record followed by NUL-separated `--name-status` fields.

    A commit whose date git cannot read (a damaged committer line) has timestamp 0."""
    sha, _, rest = chunk.removeprefix("\x1e").partition("\x1f")
    timestamp, _, rest = rest.partition("\x1f")
    message, _, status_text = rest.partition("\x1f\0")
    fields = [field.strip("\n") for field in status_text.split("\0")]
    fields = [field for field in fields if field]
    changes: list[FileChange] = []
    index = 0
    while index < len(fields):
        status = fields[index][:1]
        if status in ("R", "C") and index + 2 < len(fields):
            old, new = fields[index + 1], fields[index + 2]
            index += 3
            if safe_path(new):
                changes.append(FileChange(path=new, status=status, old_path=old if status == "R" else ""))
        else:
            path = fields[index + 1] if index + 1 < len(fields) else ""
            index += 2
            if safe_path(path):
                changes.append(FileChange(path=path, status=status))
    return CommitChange(
        sha=sha.strip(),
        timestamp=int(timestamp) if timestamp.isdigit() else 0,
        words=message_words(message),
        changes=tuple(changes),
    )
