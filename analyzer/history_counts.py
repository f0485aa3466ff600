"""Counting commits into history statistics over arrays; the rules are `analyzer.history_stats`'.

A walk over the commits notes each commit's weights, the files it changed and its message words,
as codes. A file's code (its *slot*) follows the file through renames and ends with its deletion.
The counts themselves are then made as arrays, a file's change and each (file, word) and (file,
file) pair per commit (about a million and a half for sqlalchemy's history), and summed with
`numpy.bincount`. That adds in the order given: what was counted before, then commit after commit.
So each sum is the float that adding commit by commit gives, to the last bit. A rename onto a file
with statistics of its own (none in the development sets' histories) merges the two: the sums so
far are made, the moved file's are added to the kept one's, and counting goes on from there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from analyzer.history import CommitChange
from analyzer.history_tables import CoChange, Codes, FileWords, Floats, Ints, Tally, lexical_order, ranks


@dataclass
class Cells:
    """Counted cells, keyed by one code (`second` all 0) or two, with commits and summed weights."""

    first: Codes
    second: Codes
    commits: Ints
    weights: Floats

    @staticmethod
    def of(first: Codes, second: Codes | None, commits: Ints | None, weights: Floats) -> Cells:
        """Cells of these columns; no `second`: keyed by `first` alone; no `commits`: one each."""
        return Cells(
            first,
            np.zeros(len(first), dtype=np.intp) if second is None else second,
            np.ones(len(first), dtype=np.int64) if commits is None else commits,
            weights,
        )

    def keep(self, mask: np.ndarray) -> Cells:
        return Cells(self.first[mask], self.second[mask], self.commits[mask], self.weights[mask])


def summed(parts: list[Cells], width: int) -> Cells:
    """One cell per key of `parts`, each key's commits and weights added in the order given."""
    first = np.concatenate([part.first for part in parts])
    second = np.concatenate([part.second for part in parts])
    width = max(1, width)
    unique, inverse = grouped(first, second, first.astype(np.int64) * width + second)
    commits = np.bincount(inverse, np.concatenate([p.commits for p in parts]).astype(np.float64), len(unique))
    weights = np.asarray(
        np.bincount(inverse, np.concatenate([p.weights for p in parts]), len(unique)), np.float64
    )
    return Cells(
        (unique // width).astype(np.intp), (unique % width).astype(np.intp), commits.astype(np.int64), weights
    )


def grouped(first: Codes, second: Codes, keys: Ints) -> tuple[Ints, Codes]:
    """The distinct `keys` (made of `first` then `second`), sorted, and each key's place among them:
    `numpy.unique(keys, return_inverse=True)`, sorted by `lexical_order`."""
    if not len(keys):
        return keys, np.zeros(0, dtype=np.intp)
    order = lexical_order(first, second)
    ordered = keys[order]
    starts = np.empty(len(ordered), dtype=np.bool_)
    starts[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    inverse = np.empty(len(ordered), dtype=np.intp)
    inverse[order] = np.cumsum(starts) - 1
    return ordered[starts], inverse


@dataclass
class Tables:
    """The four tables by code: files by slot, words by word code, (slot, word) and (slot, slot)."""

    files: Cells
    words: Cells
    file_words: Cells
    pairs: Cells


def _codes(values: list[int]) -> Codes:
    return np.array(values, dtype=np.intp)


def _tallied(codes: list[int], table: Mapping[str, Tally], scale: float) -> Cells:
    """The tallies of `table` as cells keyed by `codes` (one per key, in order), weights scaled."""
    return Cells.of(
        _codes(codes),
        None,
        np.array([t.commits for t in table.values()], dtype=np.int64),
        np.array([t.weight * scale for t in table.values()], dtype=np.float64),
    )


def cross(left: Codes, left_commit: Codes, right: Codes, right_start: Codes, right_count: Codes) -> tuple[
    Codes, Codes, Codes
]:  # fmt: skip
    """Each entry of `left` (of commit `left_commit`) with each of the `right_count` entries of its
    commit in `right` (from `right_start`), commit after commit: left codes, right codes, commits."""
    reps = right_count[left_commit]
    rows = np.repeat(np.arange(len(left)), reps)
    ends = np.cumsum(reps)
    back = np.repeat(ends - reps - right_start[left_commit], reps)  # from a row's place to its right entry
    offsets = np.arange(int(ends[-1]) if len(ends) else 0) - back
    return left[rows], right[offsets], left_commit[rows]


class Counting:
    """Statistics being counted on from a start, commit by commit (see the module)."""

    def __init__(
        self,
        sweep_size: int,
        max_pair_files: int,
        files: Mapping[str, Tally],
        words: Mapping[str, Tally],
        cochange: CoChange,
        file_words: FileWords,
        scale: float,
    ) -> None:
        """Counting on from these statistics, their weights scaled by `scale` (their decay)."""
        self.sweep_size, self.max_pair_files = sweep_size, max_pair_files
        self.slot_of: dict[str, int] = {}
        self.paths: list[str | None] = []
        self.word_code: dict[str, int] = {}
        self.word_names: list[str] = []
        start_files = _tallied([self._slot(p) for p in files], files, scale)
        start_words = _tallied(self.words_of(words), words, scale)
        pair_names, first, second, pair_commits, pair_weights = cochange.columns()
        pair_slots = _codes([self._slot(p) for p in pair_names])
        start_pairs = Cells.of(pair_slots[first], pair_slots[second], pair_commits, pair_weights * scale)
        file_slots = _codes([self._slot(p) for p in file_words.files])
        word_codes = _codes(self.words_of(file_words.words))
        start_file_words = Cells.of(
            file_slots[file_words.file_of],
            np.repeat(word_codes, np.diff(file_words.starts)),
            file_words.commits,
            file_words.weights * scale,
        )
        self.start = Tables(start_files, start_words, start_file_words, start_pairs)
        self._clear()

    def _clear(self) -> None:
        """Start a new run of commits, counted on from `self.start`."""
        self.weights: list[float] = []
        self.discounted: list[float] = []
        self.file_slots: list[int] = []
        self.file_counts: list[int] = []
        self.word_codes: list[int] = []
        self.word_counts: list[int] = []

    def _slot(self, path: str) -> int:
        """The slot of `path`, a new one if it has none."""
        slot = self.slot_of.get(path)
        if slot is None:
            slot = self.slot_of[path] = len(self.paths)
            self.paths.append(path)
        return slot

    def words_of(self, words: Iterable[str]) -> list[int]:
        """The codes of `words`, new ones numbered as they come."""
        codes = self.word_code
        names = self.word_names
        found = []
        for word in words:
            code = codes.get(word)
            if code is None:
                code = codes[word] = len(names)
                names.append(word)
            found.append(code)
        return found

    def add(self, commit: CommitChange, weight: float) -> None:
        """Count one commit of the given recency weight, after its renames and deletions."""
        for change in commit.changes:
            if change.status == "R" and change.old_path and change.old_path != change.path:
                self.move(change.old_path, change.path)
            elif change.status == "D":
                self.move(change.path, None)
        paths = list(dict.fromkeys([change.path for change in commit.changes if change.status != "D"]))
        size = len(paths)
        self.weights.append(weight)
        self.discounted.append(weight * min(1.0, self.sweep_size / size) if size else 0.0)
        self.file_slots += [self._slot(p) for p in paths]
        self.file_counts.append(size)
        codes = self.words_of(commit.words)
        self.word_codes += codes
        self.word_counts.append(len(codes))

    def move(self, old: str, new: str | None) -> None:
        """Rename `old` to `new` (None: forget `old`); merged into `new`'s statistics if it has some."""
        slot = self.slot_of.pop(old, None)
        if slot is None:
            return
        self.paths[slot] = None
        if new is None:
            return
        kept = self.slot_of.get(new)
        if kept is None:
            self.slot_of[new] = slot
            self.paths[slot] = new
            return
        self.start = merged(self.sums(), slot, kept)
        self._clear()

    def sums(self) -> Tables:
        """The start and the commits counted since, summed."""
        count = len(self.weights)
        file_counts = _codes(self.file_counts)
        word_counts = _codes(self.word_counts)
        slots = _codes(self.file_slots)
        codes = _codes(self.word_codes)
        weights = np.array(self.weights, dtype=np.float64)
        discounted = np.array(self.discounted, dtype=np.float64)
        file_commit = np.repeat(np.arange(count), file_counts)
        word_commit = np.repeat(np.arange(count), word_counts)
        word_start = np.cumsum(word_counts) - word_counts
        with_words, words, commit = cross(slots, file_commit, codes, word_start, word_counts)
        pairable = np.where((file_counts > 1) & (file_counts <= self.max_pair_files), file_counts, 0)
        a, b, paired = cross(slots, file_commit, slots, np.cumsum(file_counts) - file_counts, pairable)
        apart = a != b
        start, paths = self.start, len(self.paths)
        return Tables(
            summed([start.files, Cells.of(slots, None, None, discounted[file_commit])], 1),
            summed([start.words, Cells.of(codes, None, None, weights[word_commit])], 1),
            summed(
                [start.file_words, Cells.of(with_words, words, None, discounted[commit])],
                len(self.word_names),
            ),
            summed([start.pairs, Cells.of(a[apart], b[apart], None, discounted[paired[apart]])], paths),
        )

    def result(self) -> tuple[dict[str, Tally], dict[str, Tally], CoChange, FileWords]:
        """Files, words, co-change and file words counted, under current names, sorted."""
        tables = self.sums()
        live = np.array([path is not None for path in self.paths], dtype=np.bool_)
        names = [path or "" for path in self.paths]
        rank = ranks(names)
        files = tables.files.keep(live[tables.files.first])
        pairs = tables.pairs.keep(live[tables.pairs.first] & live[tables.pairs.second])
        file_words = tables.file_words.keep(live[tables.file_words.first])
        words = tables.words.keep(np.argsort(ranks(self.word_names)[tables.words.first]))
        table = FileWords.from_codes(
            names,
            self.word_names,
            file_words.first,
            file_words.second,
            file_words.commits,
            file_words.weights,
        )
        return (
            _named(names, files.keep(np.argsort(rank[files.first]))),
            _named(self.word_names, words),
            CoChange(names, pairs.first, pairs.second, pairs.commits, pairs.weights),
            table,
        )


def _named(names: list[str], cells: Cells) -> dict[str, Tally]:
    """Cells keyed by one code, as tallies under their names, in order."""
    return {
        names[code]: Tally(commits, weight)
        for code, commits, weight in zip(
            cells.first.tolist(), cells.commits.tolist(), cells.weights.tolist(), strict=True
        )
    }


def merged(tables: Tables, moved: int, kept: int) -> Tables:
    """`tables` with slot `moved`'s cells added to slot `kept`'s (the kept one's first), a cell of
    its own where `kept` has none; the pair of the two is dropped."""
    return Tables(
        _merge_keys(tables.files, moved, kept),
        tables.words,
        _merge_keys(tables.file_words, moved, kept),
        _merge_pairs(tables.pairs, moved, kept),
    )


def _merge_keys(cells: Cells, moved: int, kept: int) -> Cells:
    """Cells whose first code is `moved` added to those of `kept` with the same second code."""
    commits, weights = cells.commits.copy(), cells.weights.copy()
    first = cells.first.copy()
    kept_at = {int(cells.second[i]): int(i) for i in np.flatnonzero(first == kept)}
    drop = np.zeros(len(first), dtype=np.bool_)
    for i in np.flatnonzero(first == moved).tolist():
        j = kept_at.get(int(cells.second[i]))
        if j is None:
            first[i] = kept
        else:
            commits[j] += commits[i]
            weights[j] = weights[j] + weights[i]
            drop[i] = True
    return Cells(first, cells.second, commits, weights).keep(~drop)


def _merge_pairs(cells: Cells, moved: int, kept: int) -> Cells:
    """Pairs (both ways round) of `moved` added to those of `kept`; the pair of the two dropped."""
    rows = _merge_keys(cells.keep(~((cells.first == moved) & (cells.second == kept))), moved, kept)
    rows = rows.keep(rows.second != moved)  # the other way round: made again from `kept`'s row
    others = rows.keep((rows.first == kept) & (rows.second != kept))
    rows = rows.keep(rows.second != kept)
    mirror = Cells(others.second, others.first, others.commits, others.weights)
    return Cells(
        np.concatenate([rows.first, mirror.first]),
        np.concatenate([rows.second, mirror.second]),
        np.concatenate([rows.commits, mirror.commits]),
        np.concatenate([rows.weights, mirror.weights]),
    )
