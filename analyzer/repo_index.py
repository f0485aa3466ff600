"""The snapshot the ranking reads (`RepoIndex`), and one call that builds it, incrementally.

`build_repo_index` is the whole pipeline over plain data: list tracked files, parse only blobs not
in `known_records` (an `unreadable` one is tried again), resolve imports, and add only commits
after `history.head`, telling an optional `on_progress` how far it is (`analyzer.build_progress`).
`parse_and_count` does the two long steps at once, so that a cold index uses a second core: the
history is read and counted in a thread while the blobs are parsed (in worker processes when there
are many, see `analyzer.indexing`). The planner does the same steps itself with its stored records;
`build_repo_index` is what benchmarks and tests use.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from analyzer.build_progress import HISTORY_READ, PARSED, Report, side_by_side
from analyzer.gc_pause import no_cycle_collection
from analyzer.history import HistoryDelta, read_history
from analyzer.history_stats import HistorySettings, HistoryStats, accumulate_history
from analyzer.imports import resolve_imports
from analyzer.indexing import index_files
from analyzer.records import INDEX_VERSION, FileRecord, TrackedFile
from analyzer.tracked import list_tracked_files


@dataclass(frozen=True, eq=False)
class RepoIndex:
    """Files at one revision, the records of their blobs (by blob SHA), the import graph
    (importer → imported paths) and the history statistics. Compared by identity."""

    files: tuple[TrackedFile, ...]
    records: Mapping[str, FileRecord]
    imports: Mapping[str, frozenset[str]] = field(default_factory=dict)
    history: HistoryStats = field(default_factory=HistoryStats)


T = TypeVar("T")


def per_index(build: Callable[[RepoIndex], T]) -> Callable[[RepoIndex], T]:
    """`build(index)` worked out once per index object, and kept as long as the object lives."""
    cache: weakref.WeakKeyDictionary[RepoIndex, T] = weakref.WeakKeyDictionary()

    def derived(index: RepoIndex) -> T:
        found = cache.get(index)
        if found is None:
            found = cache[index] = build(index)
        return found

    return derived


def records_by_path(
    files: tuple[TrackedFile, ...], records: Mapping[str, FileRecord]
) -> dict[str, FileRecord]:
    """Each tracked path with the record of its blob, where there is one."""
    return {tracked.path: records[tracked.blob_sha] for tracked in files if tracked.blob_sha in records}


def build_repo_index(
    repo: str | Path,
    known_records: Mapping[str, FileRecord] | None = None,
    history: HistoryStats | None = None,
    settings: HistorySettings | None = None,
    progress: bool = True,
    on_progress: Report | None = None,
) -> RepoIndex:
    """Index `repo` at HEAD, re-using `known_records` (by blob SHA) and adding to `history`;
    `on_progress` hears the fraction done, up to 1."""
    settings = settings or HistorySettings()
    files = tuple(list_tracked_files(repo))
    known = {
        sha: record
        for sha, record in (known_records or {}).items()
        if record.version == INDEX_VERSION and record.lasting
    }
    fresh, _, stats = parse_and_count(repo, files, known.keys(), history, settings, progress, on_progress)
    records = {**known, **fresh}
    current = {tracked.blob_sha for tracked in files}
    records = {sha: record for sha, record in records.items() if sha in current}
    return assemble_index(files, records, stats)


def assemble_index(
    files: tuple[TrackedFile, ...], records: Mapping[str, FileRecord], history: HistoryStats
) -> RepoIndex:
    """The index of `files` from their blobs' records and the counted history, imports resolved:
    the last step of every way an index is made (here, or from what the planner stored)."""
    graph = resolve_imports(records_by_path(files, records), [tracked.path for tracked in files])
    return RepoIndex(
        files=files,
        records=dict(records),
        imports={path: frozenset(targets) for path, targets in graph.items()},
        history=history,
    )


def parse_and_count(
    repo: str | Path,
    files: tuple[TrackedFile, ...],
    known_blobs: Collection[str],
    history: HistoryStats | None,
    settings: HistorySettings,
    progress: bool = False,
    on_progress: Report | None = None,
    workers: int | None = None,
) -> tuple[dict[str, FileRecord], HistoryDelta, HistoryStats]:
    """The records of the blobs of `files` not in `known_blobs` (`index_files`, in `workers`), the
    commits after `history`'s head (all of them when it is None or counted with other settings) and
    `history` with them counted, the history read and counted in a thread meanwhile.

    The cycle collector is paused throughout (`analyzer.gc_pause`): both threads make hundreds of
    thousands of objects, and a pause that ended with one of them had the collector walk all that
    the other had made, several times over (0.2 to 0.5 s of a cold index of sqlalchemy)."""
    parsing, reading, counting = side_by_side(
        on_progress, (PARSED, HISTORY_READ - PARSED, 1.0 - HISTORY_READ)
    )
    with no_cycle_collection(), ThreadPoolExecutor(max_workers=1, thread_name_prefix="history") as thread:
        counted = thread.submit(_history, repo, history, settings, reading, counting)
        fresh = index_files(repo, files, known_blobs, progress=progress, on_progress=parsing, workers=workers)
        delta, stats = counted.result()
    return fresh, delta, stats


def _history(
    repo: str | Path,
    history: HistoryStats | None,
    settings: HistorySettings,
    reading: Report | None,
    counting: Report | None,
) -> tuple[HistoryDelta, HistoryStats]:
    """The commits after `history`'s head, and `history` with them counted (see `parse_and_count`)."""
    usable = history if history is not None and history.settings == settings and history.head else None
    delta = read_history(repo, since=usable.head if usable else None)
    if reading is not None:
        reading(1.0)
    return delta, accumulate_history(usable, delta, settings, on_progress=counting)
