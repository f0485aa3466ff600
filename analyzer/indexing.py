"""Turning tracked blobs into `FileRecord`s: parse source, count words, skip what cannot be read.

A blob that is binary (a NUL byte near its start) or larger than `max_bytes` gets a record with
`skipped` set and a logged warning, so it is cached like any other and never read again; bytes that
are not UTF-8 are replaced. A blob the repository cannot give whole (missing or corrupt) gets an
`unreadable` record and a warning too, but that record is not `lasting`: it is not cached, and the
next scan tries the blob again. `index_files` skips blobs whose SHA is already known, shows a
progress bar on long scans, and tells an optional `on_progress` the fraction of its blobs done.
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
) -> dict[str, FileRecord]:
    """Records of the files whose blob SHA is not in `known_blobs`, keyed by blob SHA.

    Each blob is read and parsed once even when several paths hold it. `on_progress` hears the fraction
    of these blobs done as they are, up to 1.
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
    for tracked, content in _contents(repo, readable, progress):
        if isinstance(content, Unreadable):
            records[tracked.blob_sha] = unreadable_record(tracked.path, tracked.blob_sha, content)
        else:
            records[tracked.blob_sha] = index_blob(tracked.path, tracked.blob_sha, content, max_bytes)
        if on_progress is not None:
            on_progress(len(records) / len(todo))
    if on_progress is not None:
        on_progress(1.0)
    return records


def _contents(
    repo: str | Path, readable: list[TrackedFile], progress: bool
) -> Iterator[tuple[TrackedFile, bytes | Unreadable]]:
    """Each file with its blob's bytes (or why there are none), under a progress bar on long scans."""
    by_sha = {tracked.blob_sha: tracked for tracked in readable}
    blobs = read_blobs(repo, list(by_sha))
    if not progress or len(readable) <= PROGRESS_THRESHOLD:
        for sha, content in blobs:
            yield by_sha[sha], content
        return
    with Progress(transient=True) as bar:
        task = bar.add_task("indexing files", total=len(readable))
        for sha, content in blobs:
            yield by_sha[sha], content
            bar.advance(task)
