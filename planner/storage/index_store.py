"""The repository index in PostgreSQL: refreshed incrementally, read back as the analyzer's RepoIndex.

`refresh_index(db, repo)` lists the tracked files, parses only blobs not stored yet (at the
analyzer's INDEX_VERSION) while it reads only commits after the stored head (the analyzer's
`parse_and_count`), re-resolves the import graph and, when there were new commits, stores the
accumulated history statistics anew. A warm refresh of an unchanged repository parses nothing and
reads no commit. Refreshes of one repository are serialised by an advisory lock; blob records are
shared by every repository holding the blob, so only `lasting` ones are stored: a blob this
repository cannot give whole (missing or corrupt) is skipped in this index, with the analyzer's
warning, and read again by the next refresh. An optional `on_progress` hears the fraction of the
refresh done, shared out as the analyzer's `build_progress` says, up to 1.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from psycopg.types.json import Jsonb

import analyzer
from analyzer import (
    FileRecord,
    HistorySettings,
    HistoryStats,
    ImportRef,
    KeptCommit,
    RepoIndex,
    Symbol,
    Tally,
)
from analyzer.build_progress import Report
from analyzer.gc_pause import no_cycle_collection, settle_long_lived
from planner.storage.database import Connection, Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RefreshReport:
    """What a refresh did: how many blobs it parsed, could not read, and commits it read."""

    files: int
    parsed: int
    unreadable: int
    commits: int
    history_rebuilt: bool


async def _load_records(conn: Connection, shas: list[str]) -> dict[str, FileRecord]:
    version = analyzer.INDEX_VERSION
    params = {"shas": shas, "version": version}
    symbols: dict[str, list[Symbol]] = {}
    for row in await conn.fetch_all("symbols_load", params):
        symbols.setdefault(row["blob_sha"], []).append(
            Symbol(row["name"], row["qualified_name"], row["kind"], row["line"])
        )
    imports: dict[str, list[ImportRef]] = {}
    for row in await conn.fetch_all("imports_load", params):
        imports.setdefault(row["blob_sha"], []).append(
            ImportRef(row["kind"], row["target"], tuple(row["names"]))
        )
    records = {}
    for row in await conn.fetch_all("blobs_load", params):
        sha = row["blob_sha"]
        records[sha] = FileRecord(
            blob_sha=sha,
            language=row["language"],
            symbols=tuple(symbols.get(sha, ())),
            imports=tuple(imports.get(sha, ())),
            words=tuple((str(w), int(c)) for w, c in row["words"]),
            skipped=row["skipped"],
            decode_errors=row["decode_errors"],
        )
    return records


async def _store_records(conn: Connection, records: Iterable[FileRecord]) -> int:
    version = analyzer.INDEX_VERSION
    by_sha = {r.blob_sha: r for r in records}
    if not by_sha:
        return 0
    blobs = [
        {"blob_sha": r.blob_sha, "language": r.language, "skipped": r.skipped,
         "decode_errors": r.decode_errors, "words": [list(w) for w in r.words]}
        for r in by_sha.values()
    ]  # fmt: skip
    inserted = [
        row["blob_sha"]
        for row in await conn.fetch_all("blobs_insert", {"blobs": Jsonb(blobs), "version": version})
    ]
    await conn.copy_rows(
        "symbols_copy",
        (
            (sha, version, s.name, s.qualified_name, s.kind, s.line)
            for sha in inserted
            for s in by_sha[sha].symbols
        ),
    )
    await conn.copy_rows(
        "imports_copy",
        (
            (sha, version, n, i.kind, i.target, list(i.names))
            for sha in inserted
            for n, i in enumerate(by_sha[sha].imports)
        ),
    )
    return len(inserted)


async def _load_history(conn: Connection, repository: dict[str, Any]) -> HistoryStats | None:
    if not repository["head"] or not repository["history_settings"]:
        return None
    rid = {"repository_id": repository["id"]}
    settings = HistorySettings(**repository["history_settings"])
    files = {
        r["path"]: Tally(r["commits"], r["weight"]) for r in await conn.fetch_all("file_changes_load", rid)
    }
    pairs = [
        (r["path_a"], r["path_b"], r["commits"], r["weight"])
        for r in await conn.fetch_all("cochange_load", rid)
    ]
    words = {r["word"]: Tally(r["commits"], r["weight"]) for r in await conn.fetch_all("words_load", rid)}
    file_words = [
        (r["path"], r["word"], r["commits"], r["weight"])
        for r in await conn.fetch_all("file_words_load", rid)
    ]
    recent = [
        KeptCommit(r["sha"], tuple(r["words"]), tuple(r["paths"]))
        for r in await conn.fetch_all("recent_commits_load", rid)
    ]
    total = Tally(repository["total_commits"], repository["total_weight"])
    return analyzer.stats_from_rows(
        repository["head"], settings, total, files, pairs, words, file_words, recent
    )


async def _store_history(conn: Connection, repository_id: int, stats: HistoryStats) -> None:
    rid = {"repository_id": repository_id}
    await conn.execute("repository_history_delete", rid)
    await conn.copy_rows(
        "file_changes_copy", ((repository_id, p, t.commits, t.weight) for p, t in stats.files.items())
    )
    await conn.copy_rows(
        "cochange_copy",
        ((repository_id, a, b, c, x) for a, b, c, x in stats.cochange.pairs()),
    )
    await conn.copy_rows(
        "words_copy", ((repository_id, w, t.commits, t.weight) for w, t in stats.words.items())
    )
    await conn.copy_rows(
        "file_words_copy",
        ((repository_id, p, w, c, x) for p, w, c, x in stats.file_words.rows()),
    )
    await conn.copy_rows(
        "recent_commits_copy",
        ((repository_id, n, c.sha, list(c.words), list(c.paths)) for n, c in enumerate(stats.recent)),
    )
    await conn.execute(
        "repository_set_history",
        {
            **rid,
            "head": stats.head,
            "settings": json.dumps(asdict(stats.settings)),
            "total_commits": stats.total.commits,
            "total_weight": stats.total.weight,
        },
    )


WARM_INDEXES = 4
"""How many repository indexes a process keeps in memory, the last used first."""
_warm: OrderedDict[tuple[str, str, str, int, HistorySettings], RepoIndex] = OrderedDict()


async def refresh_index(
    db: Database,
    repo: str | Path,
    settings: HistorySettings | None = None,
    progress: bool = False,
    on_progress: Report | None = None,
) -> tuple[RepoIndex, RefreshReport]:
    """Bring the stored index of `repo` up to its HEAD and return it.

    An index is a function of the commit HEAD names (its tracked files and history), so the
    process keeps the last `WARM_INDEXES` it stored or read, keyed by database, repository, HEAD,
    index version and settings: a build of an unchanged repository then reads nothing back."""
    path = await asyncio.to_thread(lambda: str(Path(repo).resolve()))
    settings = settings or HistorySettings()
    head = await asyncio.to_thread(analyzer.head_commit, path, "HEAD")
    key = (db.url, path, head or "", analyzer.INDEX_VERSION, settings)
    if head is not None and (index := _warm.get(key)) is not None:
        _warm.move_to_end(key)
        if on_progress is not None:
            on_progress(1.0)
        return index, RefreshReport(len(index.files), 0, 0, 0, False)
    # no cycle collection until the index is settled: else the first collection after the pause
    # walks every object of the new index (in a cold build_repo_index of sqlalchemy, 0.12 s)
    with no_cycle_collection():
        index, report = await _refresh(db, path, settings, progress, on_progress)
        if head is not None and report.unreadable == 0 and index.history.head == head:
            _warm[key] = index
            while len(_warm) > WARM_INDEXES:
                _warm.popitem(last=False)
            settle_long_lived()
    if on_progress is not None:
        on_progress(1.0)
    return index, report


async def _refresh(
    db: Database, path: str, settings: HistorySettings, progress: bool, on_progress: Report | None
) -> tuple[RepoIndex, RefreshReport]:
    files = tuple(await asyncio.to_thread(analyzer.list_tracked_files, path))
    current = sorted({f.blob_sha for f in files})
    async with db.transaction() as conn:
        await conn.execute("repository_lock", {"path": path})
        repository = await conn.fetch_one("repository_upsert", {"path": path})
        assert repository is not None
        version = analyzer.INDEX_VERSION
        known = {
            r["blob_sha"] for r in await conn.fetch_all("blobs_known", {"shas": current, "version": version})
        }
        stored = await _load_history(conn, repository)
        usable = stored if stored is not None and stored.settings == settings else None
        fresh, delta, stats = await asyncio.to_thread(
            analyzer.parse_and_count, path, files, known, usable, settings, progress, on_progress
        )
        rebuilt = bool(delta.commits) or delta.full or usable is None
        await _store_records(conn, (r for r in fresh.values() if r.lasting))
        unreadable = {sha: r for sha, r in fresh.items() if not r.lasting}
        records = {**await _load_records(conn, current), **unreadable}
        index = analyzer.assemble_index(files, records, stats)
        rid = {"repository_id": repository["id"]}
        await conn.execute("repository_files_delete", rid)
        await conn.copy_rows(
            "repository_files_copy", ((repository["id"], f.path, f.blob_sha, f.size, f.mode) for f in files)
        )
        await conn.execute("repository_imports_delete", rid)
        await conn.copy_rows(
            "repository_imports_copy",
            (
                (repository["id"], src, dst)
                for src, targets in sorted(index.imports.items())
                for dst in sorted(targets)
            ),
        )
        if rebuilt:
            await _store_history(conn, repository["id"], stats)
        else:
            await conn.execute("repository_touch", rid)
    report = RefreshReport(
        len(files), len(fresh) - len(unreadable), len(unreadable), len(delta.commits), rebuilt
    )
    history = "rebuilt" if report.history_rebuilt else "unchanged"
    log.info(
        "index of %s: %s files, %s blobs parsed, %s unreadable, %s new commits (history %s)",
        path, report.files, report.parsed, report.unreadable, report.commits, history,
    )  # fmt: skip
    return index, report
