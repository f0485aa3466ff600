"""The index's files as positions 0..n-1, and per-file and per-word tables as numpy arrays.

Ranking a task scores every file at once over these arrays instead of looping over per-file
dictionaries. Built on first use and cached for as long as the index object lives, like
`analyzer.file_lookup`; a word's postings are converted when asked, and what ranking makes of them
is kept per word (`terms`, by `analyzer.word_terms`), so a build pays only for the words its tasks
use, once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from analyzer.file_lookup import FileLookup, lookup_for
from analyzer.history_stats import change_rate, cochange_confidence
from analyzer.repo_index import RepoIndex, per_index
from analyzer.vocabulary import path_words

Floats = npt.NDArray[np.float64]
Positions = npt.NDArray[np.intp]

BM25_K1 = 1.2
BM25_B = 0.75


@dataclass(frozen=True)
class WordHistory:
    """The files that changed in commits whose message had a word: positions and summed commit
    weights."""

    positions: Positions
    weights: Floats


@dataclass(frozen=True)
class WordPosting:
    """The files whose content (and path) has a word, and how often."""

    positions: Positions
    counts: Floats


@dataclass(frozen=True)
class Term:
    """What one word of a text adds to a feature, the same for every text: the positions it
    reaches (files, or commits) and the amount at each (for history, also each file's
    P(file | word)). Built by `analyzer.word_terms`, kept in `FileArrays.terms`."""

    positions: Positions
    values: Floats
    probability: Floats | None = None


@dataclass(eq=False)
class FileArrays:
    """Positions of the index's current files (sorted paths) and the arrays ranking reads."""

    index: RepoIndex
    lookup: FileLookup
    paths: tuple[str, ...]
    position: dict[str, int]
    rate: Floats
    """Each file's base rate of change (weighted share of all commits), 0 when never changed."""
    bm25_norm: Floats
    """BM25's length normalisation of each file's document (inf for a file without one)."""
    path_rarity: Floats
    """The summed rarity of each file's distinct path words."""
    commit_lengths: Floats
    """Per kept commit, `sqrt(words + 5)`: the normaliser of similar-commit scores."""
    mean_commit_size: float
    _recent: dict[float, Floats] = field(default_factory=dict)
    _directories: dict[str, Positions] = field(default_factory=dict)
    _partners: dict[tuple[str, int], tuple[Positions, Floats]] = field(default_factory=dict)
    _links: dict[str, tuple[Positions, Positions]] = field(default_factory=dict)
    _history_positions: Positions | None = None
    """Per file of the history's `file_words`, its position (-1: not a current file)."""
    terms: dict[tuple[str, str, float], Term | None] = field(default_factory=dict)
    """Per feature, word and setting, its `Term` (None when the word reaches nothing)."""
    rate_features: dict[float, dict[str, Floats]] = field(default_factory=dict)
    """Per recency half-life, the `base_rate` and `recent` features of every file (filled by
    `analyzer.signals.rate_values`)."""

    def positions_of(self, paths: Iterable[str]) -> Positions:
        """The positions of `paths` (current paths)."""
        return np.array([self.position[p] for p in paths], dtype=np.intp)

    def path_word_rarity(self, word: str) -> float:
        """How rare a path word is among the current paths: log(paths / paths with it)."""
        return math.log(max(2, len(self.paths)) / max(1, self.lookup.path_word_files.get(word, 1)))

    def word_history(self, word: str) -> WordHistory | None:
        """The current files that changed in commits with `word`, and those commits' weights."""
        found = self.index.history.file_words.cells(word)
        if found is None:
            return None
        files, _, weights = found
        if self._history_positions is None:
            names = self.index.history.file_words.files
            self._history_positions = np.array([self.position.get(p, -1) for p in names], dtype=np.intp)
        at = self._history_positions[files]
        current = at >= 0
        if not current.any():
            return None
        return WordHistory(at[current], weights[current])

    def posting(self, word: str) -> WordPosting | None:
        row = self.lookup.postings.get(word)
        if not row:
            return None
        return WordPosting(self.positions_of(row), np.fromiter(row.values(), np.float64, len(row)))

    def path_word_files(self, word: str) -> Positions | None:
        found = self.lookup.path_word_postings.get(word)
        return self.positions_of(found) if found else None

    def commits_with(self, word: str) -> Positions | None:
        found = self.lookup.commit_postings.get(word)
        return np.array(found, dtype=np.intp) if found else None

    def directory_files(self, directory: str) -> Positions:
        """The positions of the files inside `directory` (at any depth)."""
        found = self._directories.get(directory)
        if found is None:
            found = self._directories[directory] = self.positions_of(self.lookup.directories[directory])
        return found

    def partners(self, seed: str, min_commits: int) -> tuple[Positions, Floats]:
        """The current files that changed with `seed` in at least `min_commits` commits, and the
        weighted share of `seed`'s changes that changed them too (at most 1)."""
        key = (seed, min_commits)
        found = self._partners.get(key)
        if found is None:
            stats = self.index.history
            pairs = [
                (self.position[other], cochange_confidence(stats, seed, other))
                for other, pair in stats.cochange.get(seed, {}).items()
                if pair.commits >= min_commits and other in self.position
            ]
            found = self._partners[key] = (
                np.array([at for at, _ in pairs], dtype=np.intp),
                np.array([share for _, share in pairs], dtype=np.float64),
            )
        return found

    def links(self, seed: str) -> tuple[Positions, Positions]:
        """The current files `seed` imports, and those that import it."""
        found = self._links.get(seed)
        if found is None:
            targets = [t for t in self.index.imports.get(seed, ()) if t in self.position]
            importers = [i for i in self.lookup.imported_by.get(seed, ()) if i in self.position]
            found = self._links[seed] = (self.positions_of(targets), self.positions_of(importers))
        return found

    def recent(self, half_life: float) -> Floats:
        """Each file's recency-weighted share of the kept commits (newest weighing most)."""
        found = self._recent.get(half_life)
        if found is None:
            found = np.zeros(len(self.paths))
            commits = self.lookup.commits
            if commits:
                decay = 0.5 ** (1.0 / half_life)
                weights = decay ** np.arange(len(commits) - 1, -1, -1, dtype=np.float64)
                for weight, commit in zip(weights, commits, strict=True):
                    at = [self.position[p] for p in commit.paths if p in self.position]
                    found[at] += weight
                found /= weights.sum()
            self._recent[half_life] = found
        return found


def build_arrays(index: RepoIndex) -> FileArrays:
    lookup = lookup_for(index)
    paths = tuple(sorted(lookup.paths))
    position = {path: at for at, path in enumerate(paths)}
    rate = np.array([change_rate(index.history, path) for path in paths], dtype=np.float64)
    lengths = np.array([lookup.document_length.get(p, -1) for p in paths], dtype=np.float64)
    norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths / max(lookup.average_length, 1e-9))
    norm[lengths < 0] = np.inf
    sizes = [len(commit.paths) for commit in lookup.commits]
    arrays = FileArrays(
        index=index,
        lookup=lookup,
        paths=paths,
        position=position,
        rate=rate,
        bm25_norm=norm,
        path_rarity=np.zeros(len(paths)),
        commit_lengths=np.sqrt(np.array([len(c.words) for c in lookup.commits], dtype=np.float64) + 5),
        mean_commit_size=sum(sizes) / len(sizes) if sizes else 1.0,
    )
    for at, path in enumerate(paths):
        arrays.path_rarity[at] = sum(arrays.path_word_rarity(word) for word in set(path_words(path)))
    return arrays


arrays_for = per_index(build_arrays)
"""The arrays of an index (built once per index object)."""
