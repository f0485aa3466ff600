"""Ranking the files a task will touch: a logistic model over features, in two rounds.

Round one scores every file the text points at directly (`analyzer.signals.direct_features`).
Files that come out confident are seeds; round two adds, to every file, what the seeds lend it
through co-change and imports. Evidence strings are the features that added most to a file's
score. Every weight is in `RankConfig`.
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


def scored_features(index: RepoIndex, text: str, config: RankConfig) -> tuple[Features, dict[str, float]]:
    """Every candidate file's features, and its final logit."""
    lookup = lookup_for(index)
    mentions = extract_mentions(text)
    features = direct_features(index, lookup, mentions, config)
    context = context_features(lookup, mentions)
    first = {path: config.bias + score(row, config, DIRECT_FEATURES) for path, row in features.items()}
    seeds = {path: with_floors(sigmoid(z), features[path], config) for path, z in first.items()}
    spread = spread_features(index, lookup, seeds, config)
    for path, extra in spread.items():
        row = features[path]
        if path not in first:
            rate_features(index, lookup, path, row, config)
            row.update(context)
            first[path] = config.bias + score(row, config, DIRECT_FEATURES)
        row.update(extra)
    logits = {path: first[path] + score(features[path], config, ("cochange", "imports")) for path in features}
    return features, logits


def predict(index: RepoIndex, text: str, config: RankConfig | None = None) -> list[PredictedFile]:
    """The files `text` will likely touch, most confident first, at or above the threshold."""
    config = config or RankConfig()
    features, logits = scored_features(index, text, config)
    ranked = []
    for path, logit in logits.items():
        confidence = with_floors(sigmoid(logit), features[path], config)
        if confidence >= config.threshold:
            ranked.append(PredictedFile(path, round(confidence, 4), evidence_of(features[path], config)))
    ranked.sort(key=lambda p: (-p.confidence, p.path))
    return ranked[: config.max_files]


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
