"""Plain-data records the analyzer takes and returns: tracked files, parsed file records, tags.

Every record is a frozen dataclass of strings, numbers and tuples, so the planner can store it in
any table and rebuild it unchanged. A `FileRecord` depends only on a blob's bytes and language, so
it is cached under the git blob SHA (plus `INDEX_VERSION`, bumped whenever parsing changes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

INDEX_VERSION = 1
"""Version of the parse output; records stored under another version must be re-parsed."""
UNREADABLE = "unreadable"
"""`FileRecord.skipped` for a blob the repository could not give whole (missing or corrupt)."""


@dataclass(frozen=True, slots=True)
class TrackedFile:
    """One git-tracked regular file at a revision: its repository-relative path and blob."""

    path: str
    blob_sha: str
    size: int
    mode: str


@dataclass(frozen=True, slots=True)
class Symbol:
    """A definition found in a file: `qualified_name` is `Class.method` style, `kind` e.g. `class`."""

    name: str
    qualified_name: str
    kind: str
    line: int


@dataclass(frozen=True, slots=True)
class ImportRef:
    """An import as written in the source: `kind` is `module` or `submodule` (Rust `mod x;`).

    `target` is the module text (`..pkg.mod`, `./lib/a`, `github.com/x/y`, `crate::a::B`,
    `com.x.Y`); `names` are the names imported from it where the language lists them.
    """

    kind: str
    target: str
    names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FileRecord:
    """What the analyzer knows about one blob's content, parsed as `language`.

    `skipped` is empty for an indexed blob, else why it was not read (`binary`, `too_large`,
    `unreadable`); `words` are `(word, count)` pairs of the blob's most frequent words, sorted by
    word. `decode_errors` says the text held bytes that were not UTF-8 and were replaced.
    """

    blob_sha: str
    language: str
    symbols: tuple[Symbol, ...] = ()
    imports: tuple[ImportRef, ...] = ()
    words: tuple[tuple[str, int], ...] = ()
    skipped: str = ""
    decode_errors: bool = False
    version: int = INDEX_VERSION

    @property
    def lasting(self) -> bool:
        """False for an `unreadable` record: it says what one repository lacked, not what the blob
        holds, so it is never cached and the blob is read again next time."""
        return self.skipped != UNREADABLE


@dataclass(frozen=True)
class PredictedFile:
    """A file a task is predicted to touch, how sure we are (in [0, 1]), and why: what the analyzer
    returns and the planner stores (the one type for it)."""

    path: str
    confidence: float
    evidence: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # stored with three decimals: round here so a plan equals itself read back
        object.__setattr__(self, "confidence", round(self.confidence, 3))

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "confidence": self.confidence, "evidence": list(self.evidence)}
