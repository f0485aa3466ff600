"""Turning tracked blobs into `FileRecord`s: parse source, count words, skip what cannot be read.

A blob that is binary (a NUL byte near its start) or larger than `max_bytes` gets a record with
`skipped` set and a logged warning, so it is cached like any other and never read again; bytes that
are not UTF-8 are replaced. A blob the repository cannot give whole (missing or corrupt) gets an
`unreadable` record and a warning too, but that record is not `lasting`: it is not cached, and the
next scan tries the blob again. `index_files` skips blobs whose SHA is already known, parses many
megabytes in worker processes (`analyzer.parse_pool`; each reads its own chunk of blobs, and its
records and warnings come back in order), shows a progress bar on long scans, and tells an optional
`on_progress` the fraction of its blobs done.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path

from rich.progress import Progress

from analyzer.blobs import Unreadable, read_blobs
from analyzer.build_progress import Report
from analyzer.languages import PARSED_LANGUAGES, language_of
from analyzer.parse_pool import in_processes, split, worker_count
from analyzer.records import UNREADABLE, FileRecord, ImportRef, Symbol, TrackedFile
from analyzer.tags import extract_tags
from analyzer.vocabulary import word_counts

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 1_000_000
"""Blobs larger than this are not read (generated code, data, vendored bundles)."""
WORD_LIMIT = 300
"""How many of a file's most frequent words its record keeps."""
BINARY_SNIFF_BYTES = 8000
PROGRESS_THRESHOLD = 200
"""Scans of more blobs than this show a progress bar."""
PROCESS_MIN_BYTES = 4_000_000
"""Scans of fewer bytes than this parse in this process: starting workers would cost more (on two
CPUs, sqlalchemy's blobs parse about as fast either way at 5 MB, twice as fast in this one at 3)."""
CHUNKS_PER_WORKER = 6
"""Blobs go to the workers in this many chunks per worker, so that none waits long for the last."""
GO_MODULE = re.compile(rb"^\s*module\s+\"?([^\s\"]+)\"?", re.MULTILINE)


def index_blob(path: str, blob_sha: str, content: bytes, max_bytes: int = MAX_FILE_BYTES) -> FileRecord:
    """The record of one blob's content, as found at `path` (the path only decides the language)."""
    language = language_of(path)
    if len(content) > max_bytes:
        return oversized_record(path, blob_sha, len(content), max_bytes)
    if b"\0" in content[:BINARY_SNIFF_BYTES]:
        log.warning("skipping %s: binary content", path)
        return FileRecord(blob_sha=blob_sha, language=language, skipped="binary")
    decode_errors = not is_utf8(content)
    if decode_errors:
        log.warning("%s is not valid UTF-8; undecodable bytes replaced", path)
    symbols: tuple[Symbol, ...] = ()
    imports: tuple[ImportRef, ...] = ()
    if language in PARSED_LANGUAGES:
        symbols, imports = extract_tags(language, content)
    elif language == "gomod":
        found = GO_MODULE.search(content)
        if found:
            module = found.group(1).decode("utf-8", errors="replace")
            symbols = (Symbol(name=module, qualified_name=module, kind="module", line=1),)
    return FileRecord(
        blob_sha=blob_sha,
        language=language,
        symbols=symbols,
        imports=imports,
        words=word_counts(content, WORD_LIMIT),
        decode_errors=decode_errors,
    )


def is_utf8(content: bytes) -> bool:
    """True when `content` decodes as UTF-8 (its words are counted from the bytes either way)."""
    if content.isascii():
        return True
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def oversized_record(path: str, blob_sha: str, size: int, max_bytes: int) -> FileRecord:
    """The record of a blob too large to read, with a warning."""
    log.warning("skipping %s: %d bytes is over the %d-byte limit", path, size, max_bytes)
    return FileRecord(blob_sha=blob_sha, language=language_of(path), skipped="too_large")


def unreadable_record(path: str, blob_sha: str, why: Unreadable) -> FileRecord:
    """The record of a blob the repository cannot give whole, with a warning."""
    log.warning("skipping %s: its blob %s is %s", path, blob_sha, why.reason)
    return FileRecord(blob_sha=blob_sha, language=language_of(path), skipped=UNREADABLE)


def index_file(repo: str | Path, tracked_file: TrackedFile, max_bytes: int = MAX_FILE_BYTES) -> FileRecord:
    """The record of one tracked file."""
    records = index_files(repo, [tracked_file], max_bytes=max_bytes, progress=False)
    return records[tracked_file.blob_sha]


def index_files(
    repo: str | Path,
    files: Sequence[TrackedFile],
    known_blobs: Collection[str] = frozenset(),
    max_bytes: int = MAX_FILE_BYTES,
    progress: bool = True,
    on_progress: Report | None = None,
    workers: int | None = None,
) -> dict[str, FileRecord]:
    """Records of the files whose blob SHA is not in `known_blobs`, keyed by blob SHA.

    Each blob is read and parsed once even when several paths hold it, in `workers` processes (0:
    in this one; None: one per CPU when there are at least `PROCESS_MIN_BYTES` to read, else none);
    the records are the same, in the same order, either way. `on_progress` hears the fraction of
    these blobs done as they are, up to 1.
    """
    todo: dict[str, TrackedFile] = {}
    for tracked in files:
        if tracked.blob_sha not in known_blobs:
            todo.setdefault(tracked.blob_sha, tracked)
    records = {
        tracked.blob_sha: oversized_record(tracked.path, tracked.blob_sha, tracked.size, max_bytes)
        for tracked in todo.values()
        if tracked.size > max_bytes
    }
    readable = [tracked for tracked in todo.values() if tracked.size <= max_bytes]
    if workers is None:
        large = sum(tracked.size for tracked in readable) >= PROCESS_MIN_BYTES
        workers = worker_count() if large and worker_count() > 1 else 0
    parsed = _in_workers(repo, readable, max_bytes, workers) if workers else _read(repo, readable, max_bytes)
    for record in _with_bar(parsed, len(readable), progress):
        records[record.blob_sha] = record
        if on_progress is not None:
            on_progress(len(records) / len(todo))
    if on_progress is not None:
        on_progress(1.0)
    return records


def _read(repo: str | Path, readable: Sequence[TrackedFile], max_bytes: int) -> Iterator[FileRecord]:
    """The record of each of `readable`, in order, read and parsed in this process."""
    by_sha = {tracked.blob_sha: tracked for tracked in readable}
    for sha, content in read_blobs(repo, list(by_sha)):
        tracked = by_sha[sha]
        if isinstance(content, Unreadable):
            yield unreadable_record(tracked.path, sha, content)
        else:
            yield index_blob(tracked.path, sha, content, max_bytes)


Chunk = tuple[str, list[TrackedFile], int]
"""What a worker parses: the repository, its files, the size limit."""


def _in_workers(
    repo: str | Path, readable: list[TrackedFile], max_bytes: int, workers: int
) -> Iterator[FileRecord]:
    """`_read` in `workers` processes, each reading its own chunks of blobs; their warnings are
    logged here, in order."""
    pieces = split(readable, [tracked.size for tracked in readable], workers * CHUNKS_PER_WORKER)
    chunks = [(str(repo), piece, max_bytes) for piece in pieces]
    for records, warnings in in_processes(_read_chunk, chunks, workers):
        for message in warnings:
            log.warning("%s", message)
        yield from (_record(fields) for fields in records)


Fields = tuple[
    str, str, list[tuple[str, str, str, int]], list[tuple[str, str, tuple[str, ...]]],
    tuple[tuple[str, int], ...], str, bool, int,
]  # fmt: skip
"""A `FileRecord` as plain tuples, which unpickle in half the time of dataclasses."""


def _fields(r: FileRecord) -> Fields:
    symbols = [(s.name, s.qualified_name, s.kind, s.line) for s in r.symbols]
    imports = [(i.kind, i.target, i.names) for i in r.imports]
    return (r.blob_sha, r.language, symbols, imports, r.words, r.skipped, r.decode_errors, r.version)


def _record(f: Fields) -> FileRecord:
    symbols = tuple([Symbol(*symbol) for symbol in f[2]])
    imports = tuple([ImportRef(*ref) for ref in f[3]])
    return FileRecord(f[0], f[1], symbols, imports, f[4], f[5], f[6], f[7])


def _read_chunk(chunk: Chunk) -> tuple[list[Fields], list[str]]:
    """In a worker: the records of a chunk's files, and the warnings reading them gave."""
    repo, readable, max_bytes = chunk
    kept = _Kept()
    log.addHandler(kept)
    try:
        return [_fields(record) for record in _read(repo, readable, max_bytes)], kept.messages
    finally:
        log.removeHandler(kept)


class _Kept(logging.Handler):
    """Keeps the messages logged, to be logged again by the process that asked for the work."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _with_bar(records: Iterator[FileRecord], total: int, progress: bool) -> Iterator[FileRecord]:
    """`records`, under a progress bar when asked for and there are more than `PROGRESS_THRESHOLD`."""
    if not progress or total <= PROGRESS_THRESHOLD:
        yield from records
        return
    with Progress(transient=True) as bar:
        task = bar.add_task("indexing files", total=total)
        for record in records:
            yield record
            bar.advance(task)
