"""What one word of a text adds to each feature, the same for every text: worked out once per
word and index (`Term`, kept in `FileArrays.terms`), then a text's terms summed at once.

`history`: the word's share of the weight of each file's commits, by its rarity (and P(file |
word) for `history_max`); `lexical`: its BM25 score in each file that has it; `path`: its rarity
among paths, in each file whose path has it; `commits`: its rarity among past commits, in each
commit whose message has it. `summed` adds a text's terms position by position in the order given,
so the sums are those of adding them one word at a time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from analyzer.file_arrays import BM25_K1, FileArrays, Floats, Positions, Term


@dataclass(frozen=True)
class Known:
    """A word of the text that past commits had: its summed weight, commits and rarity."""

    word: str
    weight: float
    commits: int
    rarity: float


def history_term(arrays: FileArrays, known: Known, prior: float) -> Term | None:
    """What a known word adds to each file's `history` sum, and P(file | word) (once per word)."""
    key = ("history", known.word, prior)
    if key not in arrays.terms:
        found = arrays.word_history(known.word)
        denominator = known.weight + prior
        arrays.terms[key] = (
            None
            if found is None
            else Term(
                found.positions,
                known.rarity * found.weights / denominator,
                (found.weights + prior * arrays.rate[found.positions]) / denominator,
            )
        )
    return arrays.terms[key]


def gathered(terms: list[Term]) -> tuple[Positions, Floats]:
    """The positions and values of `terms`, one after the other."""
    return np.concatenate([t.positions for t in terms]), np.concatenate([t.values for t in terms])


def summed(start: Floats, at: Positions, values: Floats) -> Floats:
    """`start` plus `values` added at positions `at`, each position's in the order given (so the
    sums are those of adding them one by one)."""
    size = len(start)
    found = np.bincount(
        np.concatenate([np.arange(size), at]), np.concatenate([start, values]), minlength=size
    )
    return found.astype(np.float64, copy=False)


def lexical_term(arrays: FileArrays, word: str) -> Term | None:
    """A word's BM25 score in each file that has it (once per word)."""
    key = ("lexical", word, 0.0)
    if key not in arrays.terms:
        posting = arrays.posting(word)
        term = None
        if posting is not None:
            count, at, counts = len(posting.positions), posting.positions, posting.counts
            idf = math.log(1 + (len(arrays.lookup.document_length) - count + 0.5) / (count + 0.5))
            term = Term(at, idf * counts * (BM25_K1 + 1) / (counts + arrays.bm25_norm[at]))
        arrays.terms[key] = term
    return arrays.terms[key]


def path_word_term(arrays: FileArrays, word: str) -> Term | None:
    """A word's rarity among paths, in each file whose path has it (once per word)."""
    key = ("path", word, 0.0)
    if key not in arrays.terms:
        files = arrays.path_word_files(word)
        arrays.terms[key] = (
            None if files is None else Term(files, np.full(len(files), arrays.path_word_rarity(word)))
        )
    return arrays.terms[key]


def commit_term(arrays: FileArrays, word: str) -> Term | None:
    """The past commits whose message has a word, each with the word's rarity among commits
    (none when every commit has it; once per word)."""
    key = ("commits", word, 0.0)
    if key not in arrays.terms:
        total = len(arrays.lookup.commits)
        posting = arrays.commits_with(word)
        arrays.terms[key] = (
            None
            if posting is None or len(posting) >= total
            else Term(posting, np.full(len(posting), math.log(total / len(posting))))
        )
    return arrays.terms[key]
