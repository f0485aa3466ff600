"""Done tasks as history: a task worded like one already done is likely to change what that one
really changed — as the past commits most like a text vote for their files (`similar_commits`),
but from the project's own finished tasks and the files their branches changed.

Pure: given done tasks as examples (key, text, files), no git and no database. Similarity is the
cosine of the two texts' sets of stemmed words, each weighted by its rarity among the done tasks'
texts (`log(1 + N / df)`), so words every task has count little. The `SIMILAR_TASKS` done tasks
most like a text, at least `SIMILAR_MIN` alike, lend each of their files `CONFIDENCE` times their
likeness (several lending one file: their noisy-or), with the evidence `like done task T3`. A done
task that changed more than `MAX_FILES` files says little of any one of them and lends nothing.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from analyzer.ranking import EVIDENCE_LIMIT
from analyzer.records import PredictedFile
from analyzer.vocabulary import text_words

SIMILAR_MIN = 0.35
"""Least likeness (cosine in [0, 1]) of a done task whose files are lent."""
SIMILAR_TASKS = 3
"""At most this many done tasks lend their files to one text."""
CONFIDENCE = 0.8
"""The confidence a file gets from a done task worded exactly like the text."""
MAX_FILES = 20
"""A done task that changed more files than this lends none."""


@dataclass(frozen=True)
class DoneExample:
    """A done task: its key, its text and the files its branch really changed."""

    key: str
    text: str
    files: tuple[str, ...]


class DoneTasks:
    """The done tasks of one project, ready to be compared with texts."""

    def __init__(self, examples: Sequence[DoneExample]) -> None:
        self.examples = [e for e in examples if e.files and len(e.files) <= MAX_FILES]
        self._words = [frozenset(text_words(e.text)) for e in self.examples]
        frequency = Counter(word for words in self._words for word in words)
        total = len(self.examples)
        self._rarity = {word: math.log(1.0 + total / count) for word, count in frequency.items()}
        self._unseen = math.log(1.0 + total) if total else 0.0
        self._norms = [sum(self._rarity[w] for w in words) for words in self._words]

    def __bool__(self) -> bool:
        return bool(self.examples)

    def likeness(self, text: str) -> list[tuple[float, DoneExample]]:
        """The done tasks at least `SIMILAR_MIN` like `text`, most alike first (at most
        `SIMILAR_TASKS`; ties by key)."""
        words = frozenset(text_words(text))
        if not words or not self.examples:
            return []
        norm = sum(self._rarity.get(w, self._unseen) for w in words)
        found = []
        for example, theirs, their_norm in zip(self.examples, self._words, self._norms, strict=True):
            shared = sum(self._rarity[w] for w in words & theirs)
            if shared > 0 and their_norm > 0:
                alike = shared / math.sqrt(norm * their_norm)
                if alike >= SIMILAR_MIN:
                    found.append((min(1.0, alike), example))
        found.sort(key=lambda pair: (-pair[0], pair[1].key))
        return found[:SIMILAR_TASKS]

    def lent(self, text: str) -> list[PredictedFile]:
        """The files the done tasks most like `text` lend it, most confident first."""
        misses: dict[str, float] = {}
        evidence: dict[str, list[str]] = {}
        for alike, example in self.likeness(text):
            for path in example.files:
                misses[path] = misses.get(path, 1.0) * (1.0 - CONFIDENCE * alike)
                evidence.setdefault(path, []).append(f"like done task {example.key}")
        found = [PredictedFile(p, 1.0 - miss, tuple(evidence[p])) for p, miss in misses.items()]
        return sorted(found, key=lambda f: (-f.confidence, f.path))


def with_done_tasks(
    predicted: Sequence[PredictedFile], lent: Sequence[PredictedFile], threshold: float, limit: int
) -> tuple[PredictedFile, ...]:
    """`predicted` with the files done tasks lend: a file in both gets the noisy-or of the two
    confidences and both evidences (the done task's first); a lent file at or above `threshold`
    joins. Most confident first, at most `limit` (or as many as `predicted` had, if more)."""
    if not lent:
        return tuple(predicted)
    merged = {p.path: p for p in predicted}
    for extra in lent:
        old = merged.get(extra.path)
        if old is not None:
            confidence = 1.0 - (1.0 - old.confidence) * (1.0 - extra.confidence)
            merged[extra.path] = PredictedFile(
                old.path, confidence, (*extra.evidence, *old.evidence)[:EVIDENCE_LIMIT]
            )
        elif extra.confidence >= threshold:
            merged[extra.path] = extra
    ranked = sorted(merged.values(), key=lambda p: (-p.confidence, p.path))
    return tuple(ranked[: max(limit, len(predicted))])
