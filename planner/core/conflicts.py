"""The conflict rule: two tasks conflict when their predicted files meet.

`same_file` when they share a predicted file; `same_directory` when a file of one lies in the
same directory as a file of the other (or under a directory the other names) — the repository's
root directory does not count; `potential` when a file of one imports a file of the other or the
two often change together. A conflict's strength is the chance that the two tasks really meet
there, reading confidences as independent probabilities: the noisy-or, over the files (or
directories, or related file pairs) where they meet, of the product of the two tasks'
confidences (times the relation's strength); same_directory is scaled down. With a calibration
from the project's done tasks, each confidence is first read as the chance observed there
(`footprint`'s `chance`). A pair splits when
its type is in `split_on` and its strength reaches `min_strength`; each pair is reported once:
as the first of its types that splits, else as the strongest of its types.

Merge-friendly files (changelogs, lock files: `analyzer.merge_friendly`) count only when the two
tasks meet nowhere else: a same_file conflict whose files are all merge-friendly is marked
`merge_friendly` and, unless `split_merge_friendly`, does not split; one that also meets in
other files takes its strength from those.

Hints of the task list are evidence too: two tasks one of which names the other in
`conflicts_with` have a `declared` conflict, which always splits (the list's author said so);
two tasks both declared `parallel` (ccpm `parallel: true`, spec-kit `[P]`) meet with
`parallel_factor` of the predicted strength.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from planner.core.model import CONFLICT_TYPES, FileConflict, PredictedFile
from planner.core.tasks import PlanningTask

Related = Callable[[str], Mapping[str, "tuple[str, float]"]]
"""The files related to a file (it imports them, they import it, or they often change together),
each with (evidence, strength)."""
Friendly = Callable[[str], bool]
"""Whether a path is merge-friendly."""


@dataclass(frozen=True)
class ConflictConfig:
    """How strong each kind of meeting is."""

    directory_factor: float = 0.5
    """Two files in one directory are this much as likely to collide as one shared file."""
    max_related_files: int = 8
    """Per task, the most confident files whose imports and co-changes are looked at."""
    parallel_factor: float = 0.5
    """Two tasks the task list declares parallel-safe meet this much as likely as predicted."""
    declared_strength: float = 1.0
    """The strength of a conflict the task list declares."""


@dataclass(frozen=True)
class Footprint:
    """What a task's predictions cover: files, their directories, named directories, ranked."""

    files: dict[str, float]  # path -> confidence
    directories: dict[str, float]  # directory a file lies in, or a named directory -> confidence
    named: frozenset[str]  # directories the task names itself
    ranked: tuple[tuple[str, float], ...]  # files, most confident first


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


Chance = Callable[[float], float]
"""A predicted file's confidence read as the chance that it is really changed (calibrated from
done tasks: `planner.core.calibration`)."""


def footprint(predicted: Sequence[PredictedFile], chance: Chance | None = None) -> Footprint:
    """What `predicted` covers, each confidence read through `chance` when given."""
    files: dict[str, float] = {}
    directories: dict[str, float] = {}
    named: set[str] = set()
    for entry in predicted:
        confidence = entry.confidence if chance is None else chance(entry.confidence)
        if entry.path.endswith("/"):
            directory = entry.path.rstrip("/")
            named.add(directory)
        else:
            files[entry.path] = max(files.get(entry.path, 0.0), confidence)
            directory = _parent(entry.path)
        if directory:
            directories[directory] = max(directories.get(directory, 0.0), confidence)
    ranked = tuple(sorted(files.items(), key=lambda item: -item[1]))
    return Footprint(files, directories, frozenset(named), ranked)


def noisy_or(chances: Iterable[float]) -> float:
    """The chance that at least one of independent events happens (each chance read in [0, 1])."""
    miss = 1.0
    for chance in chances:
        if chance >= 1.0:
            return 1.0
        if chance > 0.0:
            miss *= 1.0 - chance
    return 1.0 - miss


def _within(directory: str, other: str) -> bool:
    return directory == other or directory.startswith(other + "/") or other.startswith(directory + "/")


DEFAULT_CONFIG = ConflictConfig()


def conflicts_between(
    a: PlanningTask,
    b: PlanningTask,
    fa: Footprint,
    fb: Footprint,
    related: Related | None = None,
    config: ConflictConfig = DEFAULT_CONFIG,
    friendly: Friendly | None = None,
) -> list[FileConflict]:
    """Every type of conflict between two tasks, with its strength, in CONFLICT_TYPES order."""
    found: list[FileConflict] = []
    files_a, files_b = fa.files, fb.files
    shared = sorted(files_a.keys() & files_b.keys())
    if shared:
        hard = [p for p in shared if friendly is None or not friendly(p)]
        strength = noisy_or([files_a[p] * files_b[p] for p in hard or shared])
        found.append(
            FileConflict((a.id, b.id), tuple(shared), "same_file", strength, merge_friendly=not hard)
        )
    # a file's own directory only meets the same directory; a named directory covers its tree
    dirs_a, dirs_b = fa.directories, fb.directories
    meeting = {d: dirs_a[d] * dirs_b[d] for d in dirs_a.keys() & dirs_b.keys()}
    for named, mine, theirs in ((fa.named, dirs_a, dirs_b), (fb.named, dirs_b, dirs_a)):
        for dn in named:
            cn = mine[dn]
            for do, co in theirs.items():
                if do != dn and _within(dn, do):
                    key = dn if len(dn) <= len(do) else do
                    meeting[key] = max(meeting.get(key, 0.0), cn * co)
    if meeting:
        strength = noisy_or(meeting.values()) * config.directory_factor
        found.append(
            FileConflict((a.id, b.id), tuple(d + "/" for d in sorted(meeting)), "same_directory", strength)
        )
    if related is not None:
        chances: list[float] = []
        best: tuple[float, str, str] | None = None
        top_b = fb.ranked[: config.max_related_files]
        names_b = {pb for pb, _ in top_b}
        for pa, ca in fa.ranked[: config.max_related_files]:
            links = related(pa)
            if not links or links.keys().isdisjoint(names_b):
                continue
            for pb, cb in top_b:
                relation = links.get(pb)
                if relation is None or pa == pb:
                    continue
                chance = ca * cb * relation[1]
                chances.append(chance)
                if best is None or chance > best[0]:
                    best = (chance, pa, pb)
        if best is not None:
            pair = (best[1], best[2]) if best[1] <= best[2] else (best[2], best[1])
            found.append(FileConflict((a.id, b.id), pair, "potential", noisy_or(chances)))
    if a.parallel and b.parallel:
        found = [replace(c, strength=c.strength * config.parallel_factor) for c in found]
    if a.key in b.conflicts_with or b.key in a.conflicts_with:
        found.append(FileConflict((a.id, b.id), tuple(shared), "declared", config.declared_strength))
    return found


def find_conflicts(
    tasks: Sequence[PlanningTask],
    split_on: Sequence[str] = CONFLICT_TYPES,
    related: Related | None = None,
    min_strength: float = 0.0,
    config: ConflictConfig | None = None,
    friendly: Friendly | None = None,
    split_friendly: bool = False,
    chance: Chance | None = None,
) -> list[FileConflict]:
    """Every conflicting pair among `tasks` (ids ascending), once: its first splitting type, if any,
    else its strongest type. Only pairs that can meet are compared (`candidate_pairs`)."""
    config = config or DEFAULT_CONFIG
    prints = {t.id: footprint(t.predicted_files, chance) for t in tasks}
    by_id = {t.id: t for t in tasks}
    found: list[FileConflict] = []
    for a, b in candidate_pairs(tasks, prints, config, related):
        kinds = conflicts_between(by_id[a], by_id[b], prints[a], prints[b], related, config, friendly)
        conflict = reported(kinds, lambda c: splits(c, split_on, min_strength, split_friendly))
        if conflict is not None:
            found.append(conflict)
    return found


def candidate_pairs(
    tasks: Sequence[PlanningTask],
    prints: dict[int, Footprint],
    config: ConflictConfig,
    related: Related | None = None,
) -> list[tuple[int, int]]:
    """The pairs of `tasks` (ids ascending, sorted) that can meet: through an inverted index of
    files, directories (a named one covers its tree), related files and declared keys, instead of
    every pair."""
    ids = sorted(t.id for t in tasks)
    exact: dict[str, set[int]] = {}  # file or directory -> tasks
    under: dict[str, set[int]] = {}  # directory -> tasks with a directory in its tree
    top: dict[str, set[int]] = {}  # file -> tasks with it among their most confident
    for task_id in ids:
        fp = prints[task_id]
        for key in (*fp.files, *fp.directories):
            exact.setdefault(key, set()).add(task_id)
        for directory in fp.directories:
            parts = directory.split("/")
            for depth in range(1, len(parts) + 1):
                under.setdefault("/".join(parts[:depth]), set()).add(task_id)
        for path, _ in fp.ranked[: config.max_related_files]:
            top.setdefault(path, set()).add(task_id)
    pairs: set[tuple[int, int]] = set()

    def meet(task_id: int, others: Iterable[int]) -> None:
        pairs.update((min(task_id, o), max(task_id, o)) for o in others if o != task_id)

    for group in exact.values():
        if len(group) > 1:
            ordered = sorted(group)
            pairs.update(itertools.combinations(ordered, 2))
    for task_id in ids:
        fp = prints[task_id]
        for directory in fp.named:
            meet(task_id, under.get(directory, ()))
            parts = directory.split("/")
            for depth in range(1, len(parts)):
                meet(task_id, exact.get("/".join(parts[:depth]), ()))
        if related is not None:
            for path, _ in fp.ranked[: config.max_related_files]:
                for other in related(path):
                    meet(task_id, top.get(other, ()))
    keys = {t.key: t.id for t in tasks}
    for task in tasks:
        meet(task.id, (keys[k] for k in task.conflicts_with if k in keys))
    return sorted(pairs)


def reported(kinds: Sequence[FileConflict], splitting: Callable[[FileConflict], bool]) -> FileConflict | None:
    """The one conflict a pair is reported as: its first kind that splits, else its strongest."""
    if not kinds:
        return None
    return next((c for c in kinds if splitting(c)), None) or max(kinds, key=lambda c: c.strength)


def splits(
    conflict: FileConflict, split_on: Sequence[str], min_strength: float, split_friendly: bool = False
) -> bool:
    """Whether a conflict keeps its two tasks from running concurrently."""
    if conflict.conflict_type == "declared":
        return True
    if conflict.merge_friendly and not split_friendly:
        return False
    return conflict.conflict_type in split_on and conflict.strength >= min_strength
