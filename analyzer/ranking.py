"""Ranking the files a task will touch: every signal gives strength and evidence, noisy-or combines.

Direct signals come from the text: paths, file names, modules, symbols a file defines, words that
went with a file in past commits, and words of its content. Files that come out confident (seeds)
then lend strength to their co-change partners and import neighbours; a file's base rate of change
adds a little to any file with other evidence. Every weight is in `RankConfig`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from analyzer.file_lookup import FileLookup, bm25, lookup_for
from analyzer.history_stats import change_rate
from analyzer.mentions import Mentions, extract_mentions, is_file_name
from analyzer.rank_config import RankConfig
from analyzer.repo_index import RepoIndex
from analyzer.vocabulary import STOP_WORDS

Signals = dict[str, list[tuple[float, str]]]


@dataclass(frozen=True)
class PredictedFile:
    """A file a task is predicted to touch, with a confidence in [0, 1] and why."""

    path: str
    confidence: float
    evidence: tuple[str, ...]


def predict(index: RepoIndex, text: str, config: RankConfig | None = None) -> list[PredictedFile]:
    """The files `text` will likely touch, most confident first, at or above the threshold."""
    config = config or RankConfig()
    lookup = lookup_for(index)
    mentions = extract_mentions(text)
    signals: Signals = defaultdict(list)
    mention_signals(lookup, mentions, config, signals)
    symbol_signals(lookup, mentions, config, signals)
    history_signals(index, lookup, list(mentions.words), config, signals)
    lexical_signals(lookup, list(mentions.words), config, signals)
    directory_signals(lookup, mentions, config, signals)
    seeds = {path: combine(found) for path, found in signals.items()}
    neighbour_signals(index, lookup, seeds, config, signals)
    for path, found in signals.items():
        rate = change_rate(index.history, path)
        if rate > 0:
            found.append((config.base_rate * rate, f"changed in {rate:.0%} of commits"))
    ranked = [
        PredictedFile(path=path, confidence=round(combine(found), 4), evidence=evidence_of(found))
        for path, found in signals.items()
    ]
    ranked = [p for p in ranked if p.confidence >= config.threshold]
    ranked.sort(key=lambda p: (-p.confidence, p.path))
    return ranked[: config.max_files]


def combine(found: list[tuple[float, str]]) -> float:
    """Noisy-or of signal strengths."""
    miss = 1.0
    for strength, _ in found:
        miss *= 1.0 - min(max(strength, 0.0), 1.0)
    return 1.0 - miss


def evidence_of(found: list[tuple[float, str]], limit: int = 4) -> tuple[str, ...]:
    ordered = sorted(found, key=lambda pair: -pair[0])
    return tuple(dict.fromkeys(text for _, text in ordered))[:limit]


def add_shared(signals: Signals, paths: set[str], strength: float, evidence: str, limit: int) -> None:
    """Share `strength` among `paths` when they are few enough to mean something."""
    if paths and len(paths) <= limit:
        for path in paths:
            signals[path].append((strength / len(paths), evidence))


def mention_signals(lookup: FileLookup, mentions: Mentions, config: RankConfig, signals: Signals) -> None:
    """Paths, file names, modules and file stems named in the text; new files to create."""
    limit = config.ambiguity_limit
    for path in mentions.paths:
        lower = path.lower()
        if path in lookup.paths:
            signals[path].append((config.path_mentioned, "path mentioned"))
        elif "/" not in path and lower in lookup.by_basename:
            add_shared(
                signals, lookup.by_basename[lower], config.file_name_mentioned, "file name mentioned", limit
            )
        elif (suffix := {p for p in lookup.paths if p.lower().endswith("/" + lower)}) or (
            lower in lookup.by_extensionless
        ):
            found = suffix or lookup.by_extensionless[lower]
            add_shared(signals, found, config.path_suffix_mentioned, "path mentioned", limit)
        elif path in lookup.directories:
            continue
        elif is_file_name(path):
            signals[path].append((config.new_file, "new file named in the text"))
    for dotted in mentions.dotted:
        lower = dotted.lower()
        module = lookup.by_extensionless.get(lower.replace(".", "/"), set())
        add_shared(signals, module, config.module_mentioned, f"module {dotted} mentioned", limit)
        if not module:
            stem = lookup.by_stem.get(lower, set())
            add_shared(signals, stem, config.file_name_mentioned, "file name mentioned", limit)
    for token in (*mentions.identifiers, *mentions.plain):
        lower = token.lower()
        if lower in STOP_WORDS or len(lower) < 3:
            continue
        add_shared(
            signals, lookup.by_stem.get(lower, set()), config.stem_mentioned, "file name mentioned", limit
        )


def symbol_signals(lookup: FileLookup, mentions: Mentions, config: RankConfig, signals: Signals) -> None:
    """Files that define a named identifier, qualified name, or (weakly) a plain word."""
    limit = config.symbol_ambiguity_limit
    for dotted in mentions.dotted:
        parts = dotted.split(".")
        for start in range(len(parts) - 1):
            name = ".".join(parts[start:])
            found = lookup.by_qualified.get(name, set())
            if found and len(found) <= limit:
                for path in found:
                    signals[path].append((config.qualified_symbol_defined / len(found), f"defines {name}"))
                break
    for token in mentions.identifiers:
        found = lookup.by_symbol.get(token, set())
        if found and len(found) <= limit:
            for path in found:
                qualified = lookup.symbol_of.get((path, token.lower()), token)
                signals[path].append((config.symbol_defined / len(found), f"defines {qualified}"))
    for token in mentions.plain:
        lower = token.lower()
        if lower in STOP_WORDS:
            continue
        found = lookup.by_symbol_lower.get(lower, set())
        if found and len(found) <= 3:
            for path in found:
                qualified = lookup.symbol_of.get((path, lower), token)
                signals[path].append((config.word_symbol_defined / len(found), f"defines {qualified}"))


def history_signals(
    index: RepoIndex, lookup: FileLookup, words: list[str], config: RankConfig, signals: Signals
) -> None:
    """P(file | word) from past commit messages, averaged over the text's words weighted by rarity."""
    stats = index.history
    total = stats.total.weight
    if total <= 0:
        return
    weighted: dict[str, float] = defaultdict(float)
    weight_sum = 0.0
    best_word: dict[str, tuple[float, str]] = {}
    for word in set(words):
        seen = stats.words.get(word)
        if seen is None or seen.commits < config.history_min_commits:
            continue
        rarity = math.log(total / seen.weight) if seen.weight < total else 0.0
        if rarity <= 0:
            continue
        weight_sum += rarity
        for path, tally in lookup.history_words.get(word, {}).items():
            prior = change_rate(stats, path)
            probability = (tally.weight + config.history_prior * prior) / (seen.weight + config.history_prior)
            weighted[path] += rarity * probability
            if probability > best_word.get(path, (0.0, ""))[0]:
                best_word[path] = (
                    probability,
                    f"'{word}' went with it in {tally.commits} of {seen.commits} commits",
                )
    if weight_sum <= 0:
        return
    for path, score in weighted.items():
        signals[path].append((config.history_words * score / weight_sum, best_word[path][1]))


def lexical_signals(lookup: FileLookup, words: list[str], config: RankConfig, signals: Signals) -> None:
    """BM25 of the text's words against each file's words, relative to the best match."""
    scores = bm25(lookup, words)
    if not scores:
        return
    best = max(scores.values())
    scale = config.lexical * best / (best + config.lexical_saturation)
    for path, score in scores.items():
        signals[path].append((scale * score / best, "words match its content"))


def directory_signals(lookup: FileLookup, mentions: Mentions, config: RankConfig, signals: Signals) -> None:
    """A little strength for every file of a directory named in the text."""
    named: set[str] = {path for path in mentions.paths if path in lookup.directories}
    for token in mentions.plain:
        named |= lookup.directory_names.get(token.lower(), set())
    for directory in named:
        files = lookup.directories[directory]
        for path in files:
            signals[path].append((config.directory_mentioned / math.sqrt(len(files)), f"in {directory}/"))


def neighbour_signals(
    index: RepoIndex, lookup: FileLookup, seeds: dict[str, float], config: RankConfig, signals: Signals
) -> None:
    """Confident files lend strength to the files that change with them and their import neighbours."""
    stats = index.history
    for seed, confidence in seeds.items():
        if confidence < config.seed_min:
            continue
        changes = stats.files.get(seed)
        for other, shared in stats.cochange.get(seed, {}).items():
            if changes is None or shared.commits < config.cochange_min_commits or other not in lookup.paths:
                continue
            ratio = min(1.0, shared.weight / changes.weight) if changes.weight > 0 else 0.0
            evidence = f"changed with {seed} in {shared.commits} of {changes.commits} commits"
            signals[other].append((config.cochange * confidence * ratio, evidence))
        for target in index.imports.get(seed, frozenset()):
            signals[target].append((config.import_neighbour * confidence, f"imported by {seed}"))
        for importer in lookup.imported_by.get(seed, set()):
            signals[importer].append((config.import_neighbour * confidence, f"imports {seed}"))
