"""The snapshot the ranking reads (`RepoIndex`), and one call that builds it, incrementally.

`build_repo_index` is the whole pipeline over plain data: list tracked files, parse only blobs not
in `known_records` (an `unreadable` one is tried again), resolve imports, and add only commits
after `history.head`, telling an optional `on_progress` how far it is (`analyzer.build_progress`). The
planner does the same steps itself with its stored records; this function is what benchmarks and
tests use.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from analyzer.build_progress import HISTORY_READ, PARSED, Report, part
from analyzer.history import read_history
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
    fresh = index_files(
        repo, files, known_blobs=known.keys(), progress=progress, on_progress=part(on_progress, 0.0, PARSED)
    )
    records = {**known, **fresh}
    current = {tracked.blob_sha for tracked in files}
    records = {sha: record for sha, record in records.items() if sha in current}
    graph = resolve_imports(records_by_path(files, records), [tracked.path for tracked in files])
    since = history.head if history is not None and history.settings == settings and history.head else None
    delta = read_history(repo, since=since)
    if on_progress is not None:
        on_progress(HISTORY_READ)
    stats = accumulate_history(
        history if since else None, delta, settings, on_progress=part(on_progress, HISTORY_READ, 1.0)
    )
    return RepoIndex(
        files=files,
        records=records,
        imports={path: frozenset(targets) for path, targets in graph.items()},
        history=stats,
    )
