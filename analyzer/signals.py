"""Features of every file of the index for one task text, computed at once over arrays.

Dense features (arrays by file position, `analyzer.file_arrays`): `history` and `history_max`
(what past commits with the text's words changed: the rarity-weighted mean of P(file | word), and
its max), `lexical` and `lexical_rank` (BM25 over file words: saturated, and relative to the best),
`path_words` (rarity-weighted share of the path's words in the text), `directory` (inside a
directory the text names, less the more files it holds), `base_rate` and `recent` (how often it
changed, overall and lately). Sparse ones: the files the text names (`analyzer.named_features`),
`similar_commits` (what the past commits most like the text changed, by vote) and, from confident
files (seeds), `cochange` and `imports`. Context features (`text_length`, `commit_size`) are the
same for every file. All features are in [0, 1]; the ranking weighs them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from analyzer.file_arrays import FileArrays, Floats, Positions
from analyzer.mentions import Mentions
from analyzer.named_features import Features, put
from analyzer.rank_config import RankConfig
from analyzer.repo_index import RepoIndex
from analyzer.vocabulary import CHANGE_VERBS, STOP_WORDS
from analyzer.word_terms import (
    Known,
    commit_term,
    gathered,
    history_term,
    lexical_term,
    path_word_term,
    summed,
)

DIRECT_FEATURES = (
    "path",
    "name",
    "stem",
    "symbol",
    "word_symbol",
    "new_file",
    "history",
    "history_max",
    "lexical",
    "lexical_rank",
    "path_words",
    "directory",
    "base_rate",
    "recent",
    "similar_commits",
    "text_length",
    "commit_size",
)
DENSE_FEATURES = ("history", "history_max", "lexical", "lexical_rank", "path_words", "directory")
RATE_FEATURES = ("base_rate", "recent")
SPREAD_FEATURES = ("cochange", "imports")
Mask = npt.NDArray[np.bool_]


def log_scaled(probabilities: Floats) -> Floats:
    """Probabilities on a log scale in [0, 1]: 0.001 and below → 0, 0.01 → ⅓, 0.1 → ⅔, 1 → 1."""
    scaled: Floats = np.maximum(0.0, 1.0 + np.log10(probabilities + 1e-9) / 3.0)
    return scaled


@dataclass
class Dense:
    """The dense features of one text over all files, which files got one (`candidate`), and
    what their evidence needs: the word that gave each file its `history_max` and the directory
    that gave it its `directory` value."""

    size: int
    values: dict[str, Floats] = field(default_factory=dict)
    candidate: Mask = field(init=False)
    known: list[Known] = field(default_factory=list)
    best_word: Positions = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    directories: list[str] = field(default_factory=list)
    best_directory: Positions = field(default_factory=lambda: np.zeros(0, dtype=np.intp))

    def __post_init__(self) -> None:
        self.candidate = np.zeros(self.size, dtype=np.bool_)

    def set(self, name: str, values: Floats, touched: Mask) -> None:
        self.values[name] = np.where(touched, np.minimum(values, 1.0), 0.0)
        self.candidate |= touched


def context_features(arrays: FileArrays, mentions: Mentions) -> dict[str, tuple[float, str]]:
    """Features of the task and repository rather than of a file, the same for every candidate:
    `text_length` (long texts describe bigger changes) and `commit_size` (how many files this
    repository's commits usually change)."""
    return {
        "text_length": (min(1.0, math.log10(len(mentions.message_words) + 1) / 2.0), ""),
        "commit_size": (min(1.0, math.log10(arrays.mean_commit_size) / math.log10(40.0)), ""),
    }


def rate_values(arrays: FileArrays, config: RankConfig) -> dict[str, Floats]:
    """`base_rate` and `recent` of every file (0 for a file that never changed; once per index
    and half-life)."""
    found = arrays.rate_features.get(config.recent_half_life)
    if found is None:
        recent = arrays.recent(config.recent_half_life)
        found = arrays.rate_features[config.recent_half_life] = {
            "base_rate": np.where(arrays.rate > 0, log_scaled(arrays.rate), 0.0),
            "recent": np.where(recent > 0, log_scaled(recent), 0.0),
        }
    return found


def rate_evidence(arrays: FileArrays, config: RankConfig, name: str, at: int) -> str:
    if name == "base_rate":
        return f"changed in {arrays.rate[at]:.0%} of commits"
    return f"changed in {arrays.recent(config.recent_half_life)[at]:.0%} of recent commits"


def dense_features(index: RepoIndex, arrays: FileArrays, mentions: Mentions, config: RankConfig) -> Dense:
    """Every dense feature of the text over all files."""
    dense = Dense(len(arrays.paths))
    history_features(index, arrays, list(mentions.message_words), config, dense)
    lexical_features(arrays, list(mentions.words), config, dense)
    directory_features(arrays, mentions, dense)
    return dense


def history_features(
    index: RepoIndex, arrays: FileArrays, words: list[str], config: RankConfig, dense: Dense
) -> None:
    """P(file | word) from past commits, (tally + prior · base rate) / (word weight + prior): its
    rarity-weighted mean over the text's known words, and its max."""
    stats = index.history
    total = stats.total.weight
    for word in dict.fromkeys(words):  # in the order written: the same sums in every process
        seen = stats.words.get(word)
        if seen is not None and seen.commits >= config.history_min_commits and seen.weight < total:
            dense.known.append(Known(word, seen.weight, seen.commits, math.log(total / seen.weight)))
    rarity_sum = sum(k.rarity for k in dense.known)
    if rarity_sum <= 0:
        return
    prior = config.history_prior
    mean = prior * arrays.rate * sum(k.rarity / (k.weight + prior) for k in dense.known)
    rows = [(n, t) for n, known in enumerate(dense.known) if (t := history_term(arrays, known, prior))]
    if not rows:
        return
    at, values = gathered([t for _, t in rows])
    probability = np.concatenate([t.probability for _, t in rows if t.probability is not None])
    mean = summed(mean, at, values)
    best = np.zeros(dense.size)
    np.maximum.at(best, at, probability)
    # the first word (in the order known) that gave a file its max
    words_at = np.repeat(np.array([n for n, _ in rows], dtype=np.intp), [len(t.positions) for _, t in rows])
    top = probability == best[at]
    first = np.full(dense.size, len(dense.known), dtype=np.intp)
    np.minimum.at(first, at[top], words_at[top])
    touched = first < len(dense.known)
    dense.best_word = np.where(touched, first, -1)
    dense.set("history", log_scaled(mean / rarity_sum), touched)
    dense.set("history_max", best, touched)


def history_evidence(arrays: FileArrays, dense: Dense, at: int, spelled: Callable[[str], str]) -> str:
    number = int(dense.best_word[at])
    if number < 0:
        return ""
    known = dense.known[number]
    tally = arrays.index.history.file_words.tally(arrays.paths[at], known.word)
    if tally is None:
        return ""
    return f"'{spelled(known.word)}' went with it in {tally.commits} of {known.commits} commits"


def lexical_features(arrays: FileArrays, words: list[str], config: RankConfig, dense: Dense) -> None:
    """BM25 of the text's words against each file's words and path (saturated, and relative to
    the best), and the rarity-weighted share of each path's words that the text has
    (`docs/testing.rst` against "testing docs" → most of it)."""
    wanted = list(dict.fromkeys(words))
    terms = [t for word in wanted if (t := lexical_term(arrays, word))]
    if not terms:
        return
    at, values = gathered(terms)
    scores = summed(np.zeros(dense.size), at, values)
    touched = np.zeros(dense.size, dtype=np.bool_)
    touched[at] = True
    best = scores.max()
    dense.set("lexical", scores / (scores + config.lexical_saturation), touched)
    dense.set("lexical_rank", scores / best, touched)
    found = np.zeros(dense.size)
    covered = np.zeros(dense.size, dtype=np.bool_)
    named = [t for word in wanted if (t := path_word_term(arrays, word))]
    if named:
        at, values = gathered(named)
        found = summed(found, at, values)
        covered[at] = True
    covered &= arrays.path_rarity > 0
    dense.set("path_words", found / np.where(covered, arrays.path_rarity, 1.0), covered)


def directory_features(arrays: FileArrays, mentions: Mentions, dense: Dense) -> None:
    """Files inside a directory named in the text, less the more files it holds."""
    lookup = arrays.lookup
    named: set[str] = {path for path in mentions.paths if path in lookup.directories}
    for token in (*mentions.plain, *mentions.identifiers):
        if token.lower() not in STOP_WORDS and token.lower() not in CHANGE_VERBS:
            named |= lookup.directory_names.get(token.lower(), set())
    if not named:
        return
    value = np.zeros(dense.size)
    dense.best_directory = np.full(dense.size, -1, dtype=np.intp)
    for number, directory in enumerate(named):
        dense.directories.append(directory)
        at = arrays.directory_files(directory)
        better = 1.0 / math.sqrt(len(at)) > value[at]
        value[at[better]] = 1.0 / math.sqrt(len(at))
        dense.best_directory[at[better]] = number
    dense.set("directory", value, dense.best_directory >= 0)


def dense_evidence(
    arrays: FileArrays, dense: Dense, name: str, at: int, spelled: Callable[[str], str]
) -> str:
    """The evidence of dense feature `name` of the file at position `at`."""
    if name in ("history", "history_max"):
        return history_evidence(arrays, dense, at, spelled)
    if name in ("lexical", "lexical_rank"):
        return "words match its content"
    if name == "path_words":
        return "words match its path"
    return f"in {dense.directories[int(dense.best_directory[at])]}/"


def similar_commit_features(arrays: FileArrays, words: list[str], config: RankConfig) -> Features:
    """The files changed by the past commits whose messages best match the text (rarer shared
    words count more), by vote."""
    commits = arrays.lookup.commits
    total = len(commits)
    terms = [t for word in dict.fromkeys(words) if (t := commit_term(arrays, word))]
    scores = summed(np.zeros(total), *gathered(terms)) if terms else np.zeros(total)
    features: Features = defaultdict(dict)
    scored = np.flatnonzero(scores)
    if not len(scored):
        return features
    normalised = scores[scored] / arrays.commit_lengths[scored]
    keep = config.similar_commits
    if len(scored) > keep:  # only those at least as good as the `keep`-th best need sorting
        top = normalised >= np.partition(normalised, len(scored) - keep)[len(scored) - keep]
        scored, normalised = scored[top], normalised[top]
    order = np.lexsort((-scored, -normalised))[:keep]
    similar = [(float(normalised[o]), commits[int(scored[o])]) for o in order]
    votes: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    vote_total = sum(score for score, _ in similar)
    for score, commit in similar:
        for path in commit.paths:
            votes[path] += score / vote_total
            counts[path] += 1
    for path, vote in votes.items():
        if path in arrays.position:
            evidence = f"changed by {counts[path]} of {len(similar)} similar past commits"
            put(features, path, "similar_commits", vote, evidence)
    return features


@dataclass
class Spread:
    """What the seeds lend: `cochange` and `imports` of every file, and which seed lent each."""

    size: int
    seeds: list[str] = field(default_factory=list)
    values: dict[str, Floats] = field(default_factory=dict)
    lender: dict[str, Positions] = field(default_factory=dict)
    imported: Mask = field(default_factory=lambda: np.zeros(0, dtype=np.bool_))
    """Per file, whether its `imports` came from a seed that imports it (else one it imports)."""
    touched: Mask = field(default_factory=lambda: np.zeros(0, dtype=np.bool_))

    def __post_init__(self) -> None:
        for name in SPREAD_FEATURES:
            self.values[name] = np.zeros(self.size)
            self.lender[name] = np.full(self.size, -1, dtype=np.intp)
        self.imported = np.zeros(self.size, dtype=np.bool_)
        self.touched = np.zeros(self.size, dtype=np.bool_)

    def lend(self, name: str, at: Positions, values: Floats, seed: int) -> Mask:
        """Give `values` to the files at `at` where they are more than they have (as `put`)."""
        better: Mask = values > self.values[name][at]
        self.values[name][at[better]] = np.minimum(values[better], 1.0)
        self.lender[name][at[better]] = seed
        self.touched[at] = True
        return better


def spread_features(arrays: FileArrays, seeds: Iterable[tuple[str, float]], config: RankConfig) -> Spread:
    """From each seed (a file at least `seed_min` confident): its co-change partners and import
    neighbours."""
    spread = Spread(len(arrays.paths))
    for seed, confidence in seeds:
        if confidence < config.seed_min:
            continue
        number = len(spread.seeds)
        spread.seeds.append(seed)
        at, shares = arrays.partners(seed, config.cochange_min_commits)
        if len(at):
            spread.lend("cochange", at, confidence * shares, number)
        targets, importers = arrays.links(seed)
        for at, imported in ((targets, True), (importers, False)):
            if len(at):
                better = spread.lend("imports", at, np.full(len(at), confidence), number)
                spread.imported[at[better]] = imported
    return spread


def spread_evidence(arrays: FileArrays, spread: Spread, name: str, at: int) -> str:
    """The evidence of spread feature `name` of the file at position `at`."""
    seed = spread.seeds[int(spread.lender[name][at])]
    if name == "imports":
        return f"imported by {seed}" if spread.imported[at] else f"imports {seed}"
    stats = arrays.index.history
    pair = stats.cochange[seed][arrays.paths[at]]
    return f"changed with {seed} in {pair.commits} of {stats.files[seed].commits} commits"
