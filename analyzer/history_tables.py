"""The values history statistics are made of: a `Tally`, and the two large tables, as arrays.

`FileWords` (every message word of every file's commits: 435,000 cells for sqlalchemy) is kept as
one cell per (word, file), sorted by word then file: the files a word went with are one slice,
ready for ranking. `CoChange` (96,000 pairs, both ways round) is a mapping whose rows become
dictionaries of tallies only when read. Storing or loading either makes no object per cell.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

Codes = npt.NDArray[np.intp]
Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Tally:
    """How many commits, and their summed weight."""

    commits: int
    weight: float


def _empty_codes() -> Codes:
    return np.zeros(0, dtype=np.intp)


@dataclass(frozen=True, eq=False)
class FileWords:
    """(word, file) cells: how many commits whose message had the word changed the file, and their
    summed weight. Cells of `words[k]` are `starts[k]:starts[k + 1]`, their files `files[file_of]`."""

    words: tuple[str, ...] = ()
    starts: Codes = field(default_factory=lambda: np.zeros(1, dtype=np.intp))
    files: tuple[str, ...] = ()
    file_of: Codes = field(default_factory=_empty_codes)
    commits: Ints = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    weights: Floats = field(default_factory=lambda: np.zeros(0, dtype=np.float64))
    _word_at: dict[str, int] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._word_at.update(zip(self.words, range(len(self.words)), strict=True))

    @classmethod
    def from_codes(
        cls,
        file_names: Sequence[str],
        word_names: Sequence[str],
        file_codes: Codes,
        word_codes: Codes,
        commits: Ints,
        weights: Floats,
    ) -> FileWords:
        """The table of cells given as codes into `file_names` and `word_names`, in any order, each
        (file, word) at most once."""
        if not len(file_codes):
            return cls()
        file_rank = ranks(file_names)[file_codes]
        word_rank = ranks(word_names)[word_codes]
        order = lexical_order(word_rank, file_rank)
        file_rank, word_rank = file_rank[order], word_rank[order]
        file_used = np.zeros(len(file_names), dtype=np.bool_)
        file_used[file_rank] = True
        per_word = np.bincount(word_rank, minlength=len(word_names))
        starts = np.zeros(int(np.count_nonzero(per_word)) + 1, dtype=np.intp)
        np.cumsum(per_word[per_word > 0], out=starts[1:])
        return cls(
            words=tuple(np.array(sorted(word_names), dtype=object)[per_word > 0].tolist()),
            starts=starts,
            files=tuple(np.array(sorted(file_names), dtype=object)[file_used].tolist()),
            file_of=(np.cumsum(file_used) - 1)[file_rank].astype(np.intp, copy=False),
            commits=np.asarray(commits, dtype=np.int64)[order],
            weights=np.asarray(weights, dtype=np.float64)[order],
        )

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str, int, float]]) -> FileWords:
        """The table of rows (file, word, commits, weight), each (file, word) at most once."""
        files: dict[str, int] = {}
        words: dict[str, int] = {}
        file_codes, word_codes, commits, weights = _columns(rows, files, words)
        return cls.from_codes(list(files), list(words), file_codes, word_codes, commits, weights)

    def __len__(self) -> int:
        return len(self.file_of)

    def cells(self, word: str) -> tuple[Codes, Ints, Floats] | None:
        """The files (codes into `files`) that went with `word`, with their commits and weights."""
        at = self._word_at.get(word)
        if at is None:
            return None
        span = slice(int(self.starts[at]), int(self.starts[at + 1]))
        return self.file_of[span], self.commits[span], self.weights[span]

    def tally(self, path: str, word: str) -> Tally | None:
        """The cell of (`path`, `word`), if there is one."""
        found = self.cells(word)
        if found is None:
            return None
        codes, commits, weights = found
        files = self.files
        at = int(np.searchsorted(codes, bisect.bisect_left(files, path)))
        if at < len(codes) and files[codes[at]] == path:
            return Tally(int(commits[at]), float(weights[at]))
        return None

    def of_file(self, path: str) -> dict[str, Tally]:
        """The words of `path`, with their tallies."""
        return {word: tally for file, word, tally in self.tallies() if file == path}

    def rows(self) -> Iterator[tuple[str, str, int, float]]:
        """Every cell as (file, word, commits, weight), by word then file: the rows to store."""
        word_of = np.repeat(np.arange(len(self.words)), np.diff(self.starts)).tolist()
        words, files = self.words, self.files
        for w, f, c, x in zip(
            word_of, self.file_of.tolist(), self.commits.tolist(), self.weights.tolist(), strict=True
        ):
            yield files[f], words[w], c, x

    def tallies(self) -> Iterator[tuple[str, str, Tally]]:
        """Every cell as (file, word, tally), by word then file."""
        for path, word, commits, weight in self.rows():
            yield path, word, Tally(commits, weight)


class CoChange(Mapping[str, Mapping[str, Tally]]):
    """`cochange[a][b]`: the commits that changed both `a` and `b`, symmetric; as arrays of pairs
    sorted by `a` then `b`, each row made a dictionary when first read (and kept)."""

    def __init__(
        self,
        names: Sequence[str] = (),
        first: Codes | None = None,
        second: Codes | None = None,
        commits: Ints | None = None,
        weights: Floats | None = None,
    ) -> None:
        """The pairs (`names[first]`, `names[second]`), both ways round, in any order."""
        first = _empty_codes() if first is None else first
        second = _empty_codes() if second is None else second
        rank = ranks(names)
        order = lexical_order(rank[first], rank[second]) if len(first) else _empty_codes()
        self._names = tuple(names)
        self._first, self._second = first[order], second[order]
        self._commits = np.zeros(0, np.int64) if commits is None else np.asarray(commits, np.int64)[order]
        self._weights = np.zeros(0, np.float64) if weights is None else np.asarray(weights, np.float64)[order]
        starts = np.flatnonzero(np.diff(self._first, prepend=-1)).tolist()
        ends = [*starts[1:], len(order)] if starts else []
        self._spans = {self._names[self._first[s]]: (s, e) for s, e in zip(starts, ends, strict=True)}
        self._rows: dict[str, dict[str, Tally]] = {}

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str, int, float]]) -> CoChange:
        """The pairs of `rows` (a, b, commits, weight), each pair given once, one way round."""
        names: dict[str, int] = {}
        first, second, commits, weights = _columns(rows, names, names)
        both = np.concatenate
        return cls(
            list(names),
            both([first, second]),
            both([second, first]),
            both([commits, commits]),
            both([weights, weights]),
        )

    def __getitem__(self, path: str) -> Mapping[str, Tally]:
        row = self._rows.get(path)
        if row is None:
            start, end = self._spans[path]
            names = self._names
            row = self._rows[path] = {
                names[b]: Tally(c, w)
                for b, c, w in zip(
                    self._second[start:end].tolist(),
                    self._commits[start:end].tolist(),
                    self._weights[start:end].tolist(),
                    strict=True,
                )
            }
        return row

    def __iter__(self) -> Iterator[str]:
        return iter(self._spans)

    def __len__(self) -> int:
        return len(self._spans)

    def __contains__(self, path: object) -> bool:
        return path in self._spans

    def columns(self) -> tuple[tuple[str, ...], Codes, Codes, Ints, Floats]:
        """Names, and every pair (both ways round) as codes into them, with commits and weights."""
        return self._names, self._first, self._second, self._commits, self._weights

    def pairs(self) -> Iterator[tuple[str, str, int, float]]:
        """Each pair once, as (a, b, commits, weight) with a < b: the rows to store."""
        names = self._names
        columns = (
            self._first.tolist(),
            self._second.tolist(),
            self._commits.tolist(),
            self._weights.tolist(),
        )
        for a, b, commits, weight in zip(*columns, strict=True):
            if names[a] < names[b]:
                yield names[a], names[b], commits, weight


RADIX_LIMIT = 1 << 16
"""Codes below this sort as 16-bit integers, which numpy sorts by radix (a third faster here)."""


def lexical_order(first: Codes, second: Codes) -> Codes:
    """The order that sorts rows by `first`, then `second` (equal rows in the order given); by
    radix when both are small."""
    if len(first) and max(int(first.max()), int(second.max())) >= RADIX_LIMIT:
        return np.lexsort((second, first)).astype(np.intp, copy=False)
    order = np.argsort(second.astype(np.uint16), kind="stable")
    return order[np.argsort(first[order].astype(np.uint16), kind="stable")]


def _columns(
    rows: Iterable[tuple[str, str, int, float]], first_codes: dict[str, int], second_codes: dict[str, int]
) -> tuple[Codes, Codes, Ints, Floats]:
    """Rows (first, second, commits, weight) as columns, names coded as they come (the two
    dictionaries may be one)."""
    first: list[int] = []
    second: list[int] = []
    commits: list[int] = []
    weights: list[float] = []
    for a, b, count, weight in rows:
        first.append(first_codes.setdefault(a, len(first_codes)))
        second.append(second_codes.setdefault(b, len(second_codes)))
        commits.append(count)
        weights.append(weight)
    return (
        np.array(first, dtype=np.intp),
        np.array(second, dtype=np.intp),
        np.array(commits, dtype=np.int64),
        np.array(weights, dtype=np.float64),
    )


def ranks(names: Sequence[str]) -> Codes:
    """Each name's place among `names` sorted."""
    order = sorted(range(len(names)), key=names.__getitem__)
    ranks = np.empty(len(names), dtype=np.intp)
    ranks[order] = np.arange(len(names), dtype=np.intp)
    return ranks
