"""Ranking the files a task will touch: a logistic model over features, in two rounds.

Round one scores every file the text points at directly (`analyzer.signals.direct_features`).
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

from analyzer.file_lookup import lookup_for
from analyzer.mentions import extract_mentions
from analyzer.rank_config import RankConfig
from analyzer.repo_index import RepoIndex
from analyzer.signals import (
    DIRECT_FEATURES,
    Features,
    context_features,
    direct_features,
    rate_features,
    spread_features,
)

EVIDENCE_LIMIT = 4
FLOORED = ("path", "name", "new_file", "symbol")
NAMED = ("path", "name", "new_file")
"""Features of a file the text names (by path, file name, partial path or module)."""
EVIDENCE_MIN_CONTRIBUTION = 0.2


@dataclass(frozen=True)
class PredictedFile:
    """A file a task is predicted to touch, with a confidence in [0, 1] and why."""

    path: str
    confidence: float
    evidence: tuple[str, ...]


def sigmoid(value: float) -> float:
    if value < -60:
        return 0.0
    return 1.0 / (1.0 + math.exp(-value))


def weight_of(config: RankConfig, feature: str) -> float:
    value: float = getattr(config, f"weight_{feature}")
    return value


def score(row: dict[str, tuple[float, str]], config: RankConfig, names: tuple[str, ...]) -> float:
    """The weighted sum of the named features of one file."""
    return sum(weight_of(config, name) * row[name][0] for name in names if name in row)


def scored_features(
    index: RepoIndex, text: str, config: RankConfig, planned: frozenset[str] = frozenset()
) -> tuple[Features, dict[str, float], bool]:
    """Every candidate file's features, its final logit, and whether the text reads as a spec.
    `planned`: files other tasks of the same plan will create (a name may mean one of them)."""
    lookup = lookup_for(index)
    mentions = extract_mentions(text)
    features = direct_features(index, lookup, mentions, config, planned)
    context = context_features(lookup, mentions)
    first = {path: config.bias + score(row, config, DIRECT_FEATURES) for path, row in features.items()}
    spec = mentions.spec
    seeds = {path: confidence_of(z, features[path], config, spec) for path, z in first.items()}
    spread = spread_features(index, lookup, seeds, config)
    for path, extra in spread.items():
        row = features[path]
        if path not in first:
            rate_features(index, lookup, path, row, config)
            row.update(context)
            first[path] = config.bias + score(row, config, DIRECT_FEATURES)
        row.update(extra)
    logits = {path: first[path] + score(features[path], config, ("cochange", "imports")) for path in features}
    return features, logits, spec


def predict(
    index: RepoIndex, text: str, config: RankConfig | None = None, planned: frozenset[str] = frozenset()
) -> list[PredictedFile]:
    """The files `text` will likely touch, most confident first, at or above the threshold
    (`planned`: see `scored_features`)."""
    config = config or RankConfig()
    features, logits, spec = scored_features(index, text, config, planned)
    ranked = []
    for path, logit in logits.items():
        confidence = confidence_of(logit, features[path], config, spec)
        if confidence >= config.threshold:
            ranked.append(PredictedFile(path, round(confidence, 4), evidence_of(features[path], config)))
    if spec and not ranked and logits:
        # a spec that names no file: its likeliest file all the same, as the weakest guess
        path = max(logits, key=lambda p: (logits[p], p))
        ranked.append(PredictedFile(path, config.threshold, evidence_of(features[path], config)))
    ranked.sort(key=lambda p: (-p.confidence, p.path))
    return ranked[: config.spec_max_files if spec else config.max_files]


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
