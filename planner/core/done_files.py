"""Which files a done task really changed, and where that was learnt: the rule, without I/O.

A task's branch is named as its worktree in the plan (`worktree_assignments`); what the branch
changed is read from git by the use case (`planner.usecases.done`). In order, a task's actual
files are:

1. `explicit`: the files given when marking it done (checked by `check_files`);
2. `commits`: the files of the commits on its branch (since its base) whose message names the
   task's key as a word (`names_key`);
3. `worktree`: when it is the only task ever planned in its worktree that has no recorded files,
   every file its branch changed since its base, less those recorded for the worktree's other
   tasks;
4. nothing, and the reason (never a guess).

They are stored in `tasks.metadata.actual_files`, with `actual_files_source` (one of `SOURCES`)
and `actual_files_branch`; later builds learn from them (`planner.core.calibration`,
`analyzer.done_tasks`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from planner.core.errors import InvalidInputError

Source = Literal["explicit", "commits", "worktree"]
SOURCES: tuple[Source, ...] = ("explicit", "commits", "worktree")
MAX_FILES = 10_000
"""The most files given for one task."""
MAX_PATH = 4_096
"""The longest path given."""
_BAD_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class ActualFiles:
    """What a done task's branch really changed, and where that was learnt."""

    files: tuple[str, ...]
    source: Source
    branch: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {"files": list(self.files), "source": self.source, "branch": self.branch}


@dataclass(frozen=True)
class Recorded:
    """One task marked done: its id and key, what was recorded (None: nothing) and, then, why."""

    id: int
    key: str
    actual: ActualFiles | None
    note: str = ""


def _path_problem(path: object) -> str | None:
    if not isinstance(path, str):
        return f"must be a path, not {type(path).__name__}"
    if not path or len(path) > MAX_PATH:
        return f"must be a path of 1 to {MAX_PATH} characters"
    if _BAD_CHARACTERS.search(path) or "\\" in path:
        return "must not hold control characters or backslashes"
    parts = path.split("/")
    if path.startswith("/") or any(part in ("", ".", "..") for part in parts):
        return "must be a path inside the repository, relative to its top, without `.` or `..`"
    return None


def check_files(
    given: Mapping[str, Sequence[object]], keys: Iterable[str], where: str
) -> dict[str, tuple[str, ...]]:
    """The files given per task key, checked: each key one of `keys`, at most `MAX_FILES` paths,
    each relative to the repository's top; sorted, duplicates once. InvalidInputError (one line
    naming `where`, the key and the path) otherwise."""
    wanted = set(keys)
    found: dict[str, tuple[str, ...]] = {}
    for key, paths in given.items():
        if key not in wanted:
            raise InvalidInputError(f"{where}: files for {key!r}, which is not among the tasks marked done")
        if isinstance(paths, str) or not isinstance(paths, Sequence):
            raise InvalidInputError(f"{where}: files for {key!r} must be a list of paths")
        if not paths:
            raise InvalidInputError(f"{where}: files for {key!r}: give at least one path")
        if len(paths) > MAX_FILES:
            raise InvalidInputError(
                f"{where}: files for {key!r}: at most {MAX_FILES} paths, not {len(paths)}"
            )
        for path in paths:
            problem = _path_problem(path)
            if problem is not None:
                shown = repr(path[:80]) if isinstance(path, str) else repr(path)
                raise InvalidInputError(f"{where}: files for {key!r}: {shown} {problem}")
        found[key] = tuple(sorted({str(p) for p in paths}))
    return found


def names_key(message: str, key: str) -> bool:
    """Whether a commit message names the task key as a word: not inside a longer word or key
    (`T1` is in "T1: fix", "[T1]", "for T1.", not in "T10", "XT1" or "T1-2")."""
    if not key:
        return False
    pattern = rf"(?<![\w])(?<![\w][./-]){re.escape(key)}(?![\w])(?![./-][\w])"
    return re.search(pattern, message) is not None


def files_of_commits(key: str, commits: Iterable[tuple[str, Sequence[str]]]) -> tuple[str, ...]:
    """The files of the commits (message, files) whose message names `key`, sorted."""
    return tuple(sorted({f for message, files in commits if names_key(message, key) for f in files}))


def remaining(branch_files: Iterable[str], others: Iterable[Iterable[str]]) -> tuple[str, ...]:
    """The branch's files less those recorded for the worktree's other tasks, sorted."""
    taken = {f for files in others for f in files}
    return tuple(sorted(set(branch_files) - taken))
