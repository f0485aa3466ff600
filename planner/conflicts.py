"""The conflict rule: two tasks conflict when their predicted files meet.

`same_file` when they share a predicted file; otherwise `same_directory` when a file of one lies
in the same directory as a file of the other (or under a directory the other names) — the
repository's root directory does not count. A conflict's strength is the product of the two
tasks' confidences in the files that meet, at its strongest; same_directory is scaled down.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from .model import FileConflict, PredictedFile
from .tasks import PlanningTask

DIRECTORY_FACTOR = 0.5


@dataclass(frozen=True)
class _Footprint:
    files: dict[str, float]  # path -> confidence
    directories: dict[str, float]  # directory a file lies in, or a named directory -> confidence


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def footprint(predicted: Sequence[PredictedFile]) -> _Footprint:
    files: dict[str, float] = {}
    directories: dict[str, float] = {}
    for entry in predicted:
        if entry.path.endswith("/"):
            directory = entry.path.rstrip("/")
        else:
            files[entry.path] = max(files.get(entry.path, 0.0), entry.confidence)
            directory = _parent(entry.path)
        if directory:
            directories[directory] = max(directories.get(directory, 0.0), entry.confidence)
    return _Footprint(files, directories)


def _within(directory: str, other: str) -> bool:
    return directory == other or directory.startswith(other + "/") or other.startswith(directory + "/")


def conflict_between(a: PlanningTask, b: PlanningTask, fa: _Footprint, fb: _Footprint) -> FileConflict | None:
    """The strongest conflict between two tasks, or None."""
    shared = sorted(set(fa.files) & set(fb.files))
    if shared:
        strength = max(fa.files[p] * fb.files[p] for p in shared)
        return FileConflict((a.id, b.id), tuple(shared), "same_file", strength)
    meeting: dict[str, float] = {}
    for da, ca in fa.directories.items():
        for db, cb in fb.directories.items():
            # a file's own directory only meets the same directory; a named directory covers its tree
            if da == db or (_within(da, db) and (da + "/" in _named(a) or db + "/" in _named(b))):
                key = da if len(da) <= len(db) else db
                meeting[key] = max(meeting.get(key, 0.0), ca * cb)
    if meeting:
        strength = max(meeting.values()) * DIRECTORY_FACTOR
        return FileConflict((a.id, b.id), tuple(d + "/" for d in sorted(meeting)), "same_directory", strength)
    return None


def _named(task: PlanningTask) -> set[str]:
    return {p.path for p in task.predicted_files if p.path.endswith("/")}


def find_conflicts(tasks: Sequence[PlanningTask]) -> list[FileConflict]:
    """Every conflicting pair among `tasks` (ids in ascending order), strongest type per pair."""
    prints = {t.id: footprint(t.predicted_files) for t in tasks}
    found: list[FileConflict] = []
    for a, b in itertools.combinations(sorted(tasks, key=lambda t: t.id), 2):
        conflict = conflict_between(a, b, prints[a.id], prints[b.id])
        if conflict is not None:
            found.append(conflict)
    return found
