"""The conflict rule: two tasks conflict when their predicted files meet.

`same_file` when they share a predicted file; `same_directory` when a file of one lies in the
same directory as a file of the other (or under a directory the other names) — the repository's
root directory does not count; `potential` when a file of one imports a file of the other or the
two often change together. A conflict's strength is the product of the two tasks' confidences
in the files that meet (times the relation's strength), at its strongest; same_directory is
scaled down. Each pair is reported once: as the first of its types that keeps tasks apart
(`split_on`), else as the first of its types.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .model import CONFLICT_TYPES, FileConflict, PredictedFile
from .tasks import PlanningTask

DIRECTORY_FACTOR = 0.5
MAX_RELATED_FILES = 8  # per task, the most confident files whose relations are looked at

Relation = Callable[[str, str], "tuple[str, float] | None"]


@dataclass(frozen=True)
class _Footprint:
    files: dict[str, float]  # path -> confidence
    directories: dict[str, float]  # directory a file lies in, or a named directory -> confidence
    named: frozenset[str]  # directories the task names itself


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def footprint(predicted: Sequence[PredictedFile]) -> _Footprint:
    files: dict[str, float] = {}
    directories: dict[str, float] = {}
    named: set[str] = set()
    for entry in predicted:
        if entry.path.endswith("/"):
            directory = entry.path.rstrip("/")
            named.add(directory)
        else:
            files[entry.path] = max(files.get(entry.path, 0.0), entry.confidence)
            directory = _parent(entry.path)
        if directory:
            directories[directory] = max(directories.get(directory, 0.0), entry.confidence)
    return _Footprint(files, directories, frozenset(named))


def _within(directory: str, other: str) -> bool:
    return directory == other or directory.startswith(other + "/") or other.startswith(directory + "/")


def _top(footprint: _Footprint) -> list[tuple[str, float]]:
    return sorted(footprint.files.items(), key=lambda item: -item[1])[:MAX_RELATED_FILES]


def conflicts_between(
    a: PlanningTask, b: PlanningTask, fa: _Footprint, fb: _Footprint, related: Relation | None = None
) -> list[FileConflict]:
    """Every type of conflict between two tasks, at its strongest, in CONFLICT_TYPES order."""
    found: list[FileConflict] = []
    shared = sorted(set(fa.files) & set(fb.files))
    if shared:
        strength = max(fa.files[p] * fb.files[p] for p in shared)
        found.append(FileConflict((a.id, b.id), tuple(shared), "same_file", strength))
    meeting: dict[str, float] = {}
    for da, ca in fa.directories.items():
        for db, cb in fb.directories.items():
            # a file's own directory only meets the same directory; a named directory covers its tree
            if da == db or (_within(da, db) and (da in fa.named or db in fb.named)):
                key = da if len(da) <= len(db) else db
                meeting[key] = max(meeting.get(key, 0.0), ca * cb)
    if meeting:
        strength = max(meeting.values()) * DIRECTORY_FACTOR
        found.append(
            FileConflict((a.id, b.id), tuple(d + "/" for d in sorted(meeting)), "same_directory", strength)
        )
    if related is not None:
        best: tuple[float, str, str] | None = None
        for pa, ca in _top(fa):
            for pb, cb in _top(fb):
                relation = related(pa, pb) if pa != pb else None
                if relation is not None and (best is None or ca * cb * relation[1] > best[0]):
                    best = (ca * cb * relation[1], pa, pb)
        if best is not None:
            found.append(FileConflict((a.id, b.id), tuple(sorted((best[1], best[2]))), "potential", best[0]))
    return found


def find_conflicts(
    tasks: Sequence[PlanningTask],
    split_on: Sequence[str] = CONFLICT_TYPES,
    related: Relation | None = None,
) -> list[FileConflict]:
    """Every conflicting pair among `tasks` (ids ascending), once: its first type in `split_on`, if any."""
    prints = {t.id: footprint(t.predicted_files) for t in tasks}
    found: list[FileConflict] = []
    for a, b in itertools.combinations(sorted(tasks, key=lambda t: t.id), 2):
        kinds = conflicts_between(a, b, prints[a.id], prints[b.id], related)
        if kinds:
            splitting = [c for c in kinds if c.conflict_type in split_on]
            found.append((splitting or kinds)[0])
    return found
