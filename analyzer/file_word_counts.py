"""Counting which message words each file's commits had, in bulk: the history's largest table.

Every commit adds one count, of its weight, to each (changed file, message word) pair: about a
million additions for a long history, too many to make one by one. `FileWordCounts` notes each
commit's additions per file instead (word ids and weights, appended to lists) and sums them with
`numpy.bincount`, which adds in the order given, one after another, as the cells of
`history_stats` did: the sums are the same floats, to the last bit. A file's words come out in the
order they were first counted; files in the order they were first seen. A rename sums both files'
additions so far and merges them as `history_stats.move_path` merges cells, the new file's words
first; further additions go on from those sums.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Tally:
    """How many commits, and their summed weight."""

    commits: int
    weight: float

    def plus(self, weight: float) -> Tally:
        return Tally(self.commits + 1, self.weight + weight)

    def merged(self, other: Tally) -> Tally:
        return Tally(self.commits + other.commits, self.weight + other.weight)


class _Additions:
    """One file's additions in order: word ids, the weight and the commit count each adds."""

    __slots__ = ("counts", "ids", "weights")

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.weights: list[float] = []
        self.counts: list[int] = []

    def summed(self) -> tuple[list[int], list[int], list[float]]:
        """Word ids in the order first added, with their summed commit counts and weights."""
        if not self.ids:
            return [], [], []
        ids = np.asarray(self.ids, dtype=np.intp)
        unique, first, local = np.unique(ids, return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")
        weights = np.bincount(local, weights=np.asarray(self.weights, dtype=np.float64))
        counts = np.bincount(local, weights=np.asarray(self.counts, dtype=np.float64))
        return unique[order].tolist(), counts[order].astype(np.int64).tolist(), weights[order].tolist()

    def start_from(self, ids: list[int], counts: list[int], weights: list[float]) -> None:
        """Forget what was added; start again from these sums."""
        self.ids, self.counts, self.weights = ids, counts, weights


class FileWordCounts:
    """(file, word) tallies being counted: see the module."""

    def __init__(self, start: Mapping[str, Mapping[str, Tally]], scale: float) -> None:
        """Counting on from `start`, its weights scaled by `scale` (their decay)."""
        self._id: dict[str, int] = {}
        self._words: list[str] = []
        self._files: dict[str, _Additions] = {}
        for path, row in start.items():
            additions = self._files[path] = _Additions()
            additions.start_from(
                self.word_ids(row),
                [t.commits for t in row.values()],
                [t.weight * scale for t in row.values()],
            )

    def word_ids(self, words: Iterable[str]) -> list[int]:
        """The ids of `words`, new ones numbered as they come."""
        ids = self._id
        return [ids[word] if word in ids else self._new(word) for word in words]

    def _new(self, word: str) -> int:
        self._id[word] = len(self._words)
        self._words.append(word)
        return self._id[word]

    def add(self, path: str, word_ids: list[int], weight: float) -> None:
        """One commit of `weight` for each of the words `word_ids` of `path` (which is seen even
        when there are none)."""
        additions = self._files.get(path)
        if additions is None:
            additions = self._files[path] = _Additions()
        additions.ids += word_ids
        additions.weights += [weight] * len(word_ids)
        additions.counts += [1] * len(word_ids)

    def move(self, old: str, new: str | None) -> None:
        """Rename `old` to `new` (None: forget `old`), merging into what `new` has."""
        moved = self._files.pop(old, None)
        if new is None or moved is None or not moved.ids:
            return
        target = self._files.get(new)
        if target is None:
            self._files[new] = moved
            return
        ids, counts, weights = target.summed()
        at = {word: index for index, word in enumerate(ids)}
        for word, count, weight in zip(*moved.summed(), strict=True):
            index = at.get(word)
            if index is None:
                ids.append(word)
                counts.append(count)
                weights.append(weight)
            else:
                counts[index] += count
                weights[index] += weight
        target.start_from(ids, counts, weights)

    def tallies(self, tally: type[Tally]) -> dict[str, dict[str, Tally]]:
        """Each file's words and their tallies."""
        words = self._words
        table: dict[str, dict[str, Tally]] = {}
        for path, additions in self._files.items():
            ids, counts, weights = additions.summed()
            table[path] = {words[i]: tally(c, w) for i, c, w in zip(ids, counts, weights, strict=True)}
        return table
