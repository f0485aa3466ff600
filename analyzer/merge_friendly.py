"""Merge-friendly files: those many changes touch in ways git or people merge without thought.

Changelogs, release notes and lock files are shared by many tasks, yet two branches that both add
a changelog entry or both regenerate a lock file are merged without thought. Such files are known
three ways, each general:

- by name: globs (`DEFAULT_GLOBS`, or the planner's `merge_friendly` setting) matched against
  the path and its file name, case-insensitively;
- from `.gitattributes` at the repository's top: paths marked `merge=union` (git merges them
  line by line, never a conflict), `merge=ours`, or `linguist-generated` (regenerated, not merged);
- from the history: a text file (`LOG_EXTENSIONS`), changed by at least `min_share` of the
  recent commits (and `min_commits` of them), and in at least `append_share` of its changes only
  gained lines — an append-only log such as a changelog under another name.
"""

from __future__ import annotations

import fnmatch
import functools
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from analyzer.git_cli import resolve_revision, run_git
from analyzer.languages import PARSED_LANGUAGES, language_of

log = logging.getLogger(__name__)

_LOGS = ("CHANGELOG", "CHANGES", "HISTORY", "NEWS", "RELEASE_NOTES", "RELEASE-NOTES", "RELEASENOTES")
DEFAULT_GLOBS: tuple[str, ...] = (
    *_LOGS, *(f"{name}.*" for name in _LOGS), "changelog.d/*", "newsfragments/*", "*.lock",
    "package-lock.json", "npm-shrinkwrap.json", "pnpm-lock.yaml", "go.sum", "bun.lockb",
)  # fmt: skip
"""Changelogs, news fragments and lock files, by the names the common tools give them. A name glob
never makes a source file merge-friendly (`history.py` is code, `HISTORY.rst` a log)."""
LOG_EXTENSIONS = frozenset({"", "md", "rst", "txt", "adoc", "markdown"})
"""What an append-only log found in the history may be: text, never code or data."""
FRIENDLY_ATTRIBUTES = ("merge=union", "merge=ours", "linguist-generated", "linguist-generated=true")


@dataclass(frozen=True)
class HistoryRule:
    """When the history makes a file merge-friendly (see the module)."""

    commits: int = 300
    min_share: float = 0.05
    min_commits: int = 5
    append_share: float = 0.75


def matches(path: str, globs: Iterable[str]) -> bool:
    """Whether `path` (or its file name) matches one of `globs`, case-insensitively."""
    lower = path.lower()
    name = lower.rpartition("/")[2]
    for glob in globs:
        pattern = glob.lower()
        if fnmatch.fnmatchcase(lower, pattern) or ("/" not in pattern and fnmatch.fnmatchcase(name, pattern)):
            return True
        if pattern.endswith("/*") and ("/" + lower).find("/" + pattern[:-1]) >= 0:
            return True
    return False


def attribute_globs(text: str) -> list[str]:
    """The path patterns of a `.gitattributes` text that carry a merge-friendly attribute."""
    found = []
    for line in text.splitlines():
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        if any(attribute in FRIENDLY_ATTRIBUTES for attribute in parts[1:]):
            found.append(parts[0].lstrip("/"))  # without a folder it matches a name at any depth
    return found


def _git(repo: Path, *args: str) -> str | None:
    """What git printed, or None when it failed."""
    done = run_git(repo, *args)
    return done.out.decode("utf-8", "replace") if done.ok else None


def append_only_files(repo: Path, rule: HistoryRule | None = None, rev: str = "HEAD") -> set[str]:
    """Files the recent history (up to `rev`) treats as append-only logs (see the module)."""
    rule = rule or HistoryRule()
    out = _git(repo, "log", "--no-merges", f"-{rule.commits}", "--numstat", "--format=@%H", rev)
    if out is None:
        return set()
    commits = 0
    changes: dict[str, int] = defaultdict(int)
    appends: dict[str, int] = defaultdict(int)
    for line in out.splitlines():
        if line.startswith("@"):
            commits += 1
            continue
        parts = line.split("\t")
        if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
            continue  # binary files and renames' odd forms say nothing here
        path = parts[2]
        changes[path] += 1
        appends[path] += parts[1] == "0"
    least = max(rule.min_commits, rule.min_share * commits)
    return {
        path
        for path, count in changes.items()
        if count >= least and appends[path] >= rule.append_share * count and _is_text(path)
    }


def _is_text(path: str) -> bool:
    name = path.rpartition("/")[2]
    extension = name.rpartition(".")[2].lower() if "." in name.lstrip(".") else ""
    return extension in LOG_EXTENSIONS


def by_name(path: str, globs: Iterable[str] = DEFAULT_GLOBS) -> bool:
    """Whether `path` is merge-friendly by its name: it matches a glob and is not source code."""
    return language_of(path) not in PARSED_LANGUAGES and matches(path, globs)


def from_repository(
    repo: str | Path, paths: Sequence[str], rule: HistoryRule | None = None
) -> frozenset[str]:
    """Which of the repository's `paths` its `.gitattributes` or its history make merge-friendly
    (read once per commit the repository is at: a warm rebuild reads neither again)."""
    top = Path(repo)
    try:
        head = resolve_revision(top, "HEAD")
    except OSError as error:  # not (or no longer) a repository: names still count
        log.warning("cannot read %s for merge-friendly files: %s", top, error)
        return frozenset()
    marked, logs = _repository_facts(str(top.resolve()), head, rule or HistoryRule())
    return frozenset(p for p in paths if p in logs or (marked and matches(p, marked)))


@functools.lru_cache(maxsize=64)
def _repository_facts(
    top: str, head: str | None, rule: HistoryRule
) -> tuple[tuple[str, ...], frozenset[str]]:
    """(`.gitattributes` globs marking merge-friendly paths, append-only logs) at commit `head`."""
    if head is None:
        return (), frozenset()
    attributes = _git(Path(top), "show", f"{head}:.gitattributes")
    marked = tuple(attribute_globs(attributes)) if attributes else ()
    return marked, frozenset(append_only_files(Path(top), rule, head))
