"""Ranking the files a task will touch: a logistic model over features, in two rounds.

Round one scores every file of the index at once (`analyzer.signals`: arrays by file position)
and every file the text names (`analyzer.named_features`).
Files that come out confident are seeds; round two adds, to every file, what the seeds lend it
through co-change and imports. Evidence strings are the features that added most to a file's
score. Every weight is in `RankConfig`.

A text that reads as a spec (long, with headings or a checklist: `analyzer.spec`) says which
files it changes in so many words; there, a file counts as much as the text says it changes it — the
floors of the ways it is named, times its role (`analyzer.spec`) — and a file it does not name
(found through its words, the symbols it uses, history or neighbours) is at most
`spec_implicit_cap` confident: the weights were fitted on commit messages, which seldom name
files, and on specs the files found through words are mostly the ones a task reads or uses. A
spec that names no file at all still gets its likeliest file, at the threshold (too weak to keep
tasks apart).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from analyzer.file_arrays import FileArrays, Floats, arrays_for
from analyzer.mentions import Mentions, extract_mentions
from analyzer.named_features import Features, named_features
from analyzer.rank_config import RankConfig
from analyzer.records import PredictedFile
from analyzer.repo_index import RepoIndex
from analyzer.signals import (
    DENSE_FEATURES,
    RATE_FEATURES,
    SPREAD_FEATURES,
    Dense,
    Mask,
    Spread,
    context_features,
    dense_evidence,
    dense_features,
    rate_evidence,
    rate_values,
    similar_commit_features,
    spread_evidence,
    spread_features,
)

EVIDENCE_LIMIT = 4
FLOORED = ("path", "name", "new_file", "symbol")
NAMED = ("path", "name", "new_file")
"""Features of a file the text names (by path, file name, partial path or module)."""
EVIDENCE_MIN_CONTRIBUTION = 0.2

Row = dict[str, tuple[float, str]]


def sigmoid(value: float) -> float:
    if value < -60:
        return 0.0
    return 1.0 / (1.0 + math.exp(-value))


def sigmoids(values: Floats) -> Floats:
    """`sigmoid` of every element."""
    found: Floats = np.where(values < -60, 0.0, 1.0 / (1.0 + np.exp(-np.maximum(values, -60.0))))
    return found


def weight_of(config: RankConfig, feature: str) -> float:
    value: float = getattr(config, f"weight_{feature}")
    return value


def score(row: Row, config: RankConfig) -> float:
    """The weighted sum of the features of one file."""
    return sum(weight_of(config, name) * value for name, (value, _) in row.items())


@dataclass
class Scored:
    """Every candidate file of one text with its round-one and final logits. Files of the index
    are positions in arrays (`candidate` says which ones the text reaches); `outside` holds the
    candidates the index has not (new files, files other tasks create)."""

    arrays: FileArrays
    config: RankConfig
    mentions: Mentions
    named: Features
    dense: Dense
    similar: Features
    rates: dict[str, Floats]
    context: Row
    spread: Spread | None
    candidate: Mask
    logits: Floats
    outside: dict[str, float]

    @property
    def spec(self) -> bool:
        return self.mentions.spec

    def row(self, path: str) -> Row:
        """The features of one candidate, with their evidence, in the order they were found."""
        row: Row = dict(self.named.get(path, {}))
        at = self.arrays.position.get(path)
        if at is not None:
            for name in DENSE_FEATURES:
                values = self.dense.values.get(name)
                if values is not None and values[at] > 0:
                    evidence = dense_evidence(self.arrays, self.dense, name, at, self.mentions.spelled)
                    row[name] = (float(values[at]), evidence)
        row.update(self.similar.get(path, {}))
        if at is not None:
            for name in RATE_FEATURES:
                if self.rates[name][at] > 0:
                    row[name] = (
                        float(self.rates[name][at]),
                        rate_evidence(self.arrays, self.config, name, at),
                    )
        row.update(self.context)
        if at is not None and self.spread is not None:
            for name in SPREAD_FEATURES:
                if self.spread.values[name][at] > 0:
                    evidence = spread_evidence(self.arrays, self.spread, name, at)
                    row[name] = (float(self.spread.values[name][at]), evidence)
        return row

    def candidates(self) -> dict[str, float]:
        """Every candidate with its final logit."""
        found = {self.arrays.paths[at]: float(self.logits[at]) for at in np.flatnonzero(self.candidate)}
        return {**found, **self.outside}

    def confidences(self, logits: Floats, outside: dict[str, float]) -> tuple[Floats, dict[str, float]]:
        """The confidence of every file of the index and of the outside candidates (see
        `confidence_of`)."""
        config = self.config
        model = sigmoids(logits)
        found = np.minimum(model, config.spec_implicit_cap) if self.spec else model
        for path, row in self.named.items():
            at = self.arrays.position.get(path)
            if at is not None and any(name in row for name in FLOORED):
                found[at] = confidence_of(float(logits[at]), row, config, self.spec)
        return found, {
            path: confidence_of(z, self.named.get(path, {}), config, self.spec) for path, z in outside.items()
        }


def scored(index: RepoIndex, text: str, config: RankConfig, planned: frozenset[str] = frozenset()) -> Scored:
    """Every candidate file of `text`, scored in two rounds (see the module). `planned`: files
    other tasks of the same plan will create (a name may mean one of them)."""
    arrays = arrays_for(index)
    mentions = extract_mentions(text)
    named = named_features(arrays.lookup, mentions, config, planned)
    dense = dense_features(index, arrays, mentions, config)
    similar = similar_commit_features(arrays, list(mentions.message_words), config)
    rates = rate_values(arrays, config)
    context = context_features(arrays, mentions)
    base = config.bias + score(context, config)
    logits = np.full(len(arrays.paths), base)
    for name, values in (*dense.values.items(), *rates.items()):
        logits += weight_of(config, name) * values
    candidate = dense.candidate.copy()
    outside: dict[str, float] = {}
    for rows in (named, similar):
        for path, row in rows.items():
            at = arrays.position.get(path)
            if at is None:
                outside[path] = outside.get(path, base) + score(row, config)
            else:
                logits[at] += score(row, config)
                candidate[at] = True
    result = Scored(
        arrays, config, mentions, named, dense, similar, rates, context, None, candidate, logits, outside
    )
    first, first_outside = result.confidences(logits, outside)
    seeds = [
        *(
            (arrays.paths[at], float(first[at]))
            for at in np.flatnonzero(candidate & (first >= config.seed_min))
        ),
        *((p, c) for p, c in first_outside.items() if c >= config.seed_min),
    ]
    spread = result.spread = spread_features(arrays, seeds, config)
    if spread.seeds:
        result.logits = logits.copy()
        for name in SPREAD_FEATURES:
            result.logits += weight_of(config, name) * spread.values[name]
        candidate |= spread.touched
    return result


def scored_features(
    index: RepoIndex, text: str, config: RankConfig, planned: frozenset[str] = frozenset()
) -> tuple[Features, dict[str, float], bool]:
    """Every candidate file's features, its final logit, and whether the text reads as a spec
    (for fitting the weights: `bench/analyzer_tune.py`)."""
    found = scored(index, text, config, planned)
    logits = found.candidates()
    return {path: found.row(path) for path in logits}, logits, found.spec


def predict(
    index: RepoIndex, text: str, config: RankConfig | None = None, planned: frozenset[str] = frozenset()
) -> list[PredictedFile]:
    """The files `text` will likely touch, most confident first, at or above the threshold
    (`planned`: see `scored`)."""
    config = config or RankConfig()
    found = scored(index, text, config, planned)
    inside, outside = found.confidences(found.logits, found.outside)
    paths = found.arrays.paths
    ranked = [
        (round(float(inside[at]), 4), paths[at])
        for at in np.flatnonzero(found.candidate & (inside >= config.threshold))
    ]
    ranked += [(round(c, 4), p) for p, c in outside.items() if c >= config.threshold]
    if found.spec and not ranked:
        logits = found.candidates()
        if logits:
            # a spec that names no file: its likeliest file all the same, as the weakest guess
            ranked.append((config.threshold, max(logits, key=lambda p: (logits[p], p))))
    ranked.sort(key=lambda pair: (-pair[0], pair[1]))
    kept = ranked[: config.spec_max_files if found.spec else config.max_files]
    return [
        PredictedFile(path, confidence, evidence_of(found.row(path), config)) for confidence, path in kept
    ]


def confidence_of(logit: float, row: dict[str, tuple[float, str]], config: RankConfig, spec: bool) -> float:
    """A file's confidence: the model's, floored by explicit mentions; in a spec, capped for a
    file the text does not name (see the module)."""
    if not spec:
        return with_floors(sigmoid(logit), row, config)
    named = {name: row[name] for name in NAMED if name in row}
    if not named:
        return min(sigmoid(logit), config.spec_implicit_cap)
    return with_floors(0.0, named, config)


def with_floors(confidence: float, row: dict[str, tuple[float, str]], config: RankConfig) -> float:
    """Noisy-or of the model's confidence with the floors of the explicit mentions."""
    miss = 1.0 - confidence
    for name in FLOORED:
        if name in row:
            miss *= 1.0 - getattr(config, f"floor_{name}") * row[name][0]
    return 1.0 - miss


def evidence_of(row: dict[str, tuple[float, str]], config: RankConfig) -> tuple[str, ...]:
    """The evidence of the features that added most to a file's score, largest first."""
    contributions = sorted(
        ((weight_of(config, name) * value, evidence) for name, (value, evidence) in row.items()),
        key=lambda pair: -pair[0],
    )
    kept = [
        evidence for amount, evidence in contributions if amount >= EVIDENCE_MIN_CONTRIBUTION and evidence
    ]
    return tuple(dict.fromkeys(kept))[:EVIDENCE_LIMIT]
