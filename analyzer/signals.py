"""Features of each candidate file for one task text, each with the evidence that produced it.

Direct features come from the text alone: `path`, `name` (a file name, partial path or module),
`stem` (a word that is a file's name), `symbol` (a definition named in code style), `word_symbol`
(a plain word naming a definition), `new_file`, `history` and `history_max` (what past commits with
these words changed), `lexical` and `lexical_rank` (BM25 over file words), `path_words` (share
of the path's words in the text), `directory`, `base_rate` and `recent` (how often it changed,
overall and lately), and `similar_commits` (what the past commits most like the text changed).
Spread features come from confident files (seeds): `cochange` and `imports`. All features are in
[0, 1] (probabilities that span decades on a log scale); the ranking weighs them.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable

from analyzer.file_lookup import (
    FileLookup,
    bm25,
    path_coverage,
    path_specificity,
    recent_share,
    similar_commits,
)
from analyzer.history_stats import change_rate
from analyzer.mentions import DOTFILE, Mentions, is_file_name
from analyzer.rank_config import RankConfig
from analyzer.repo_index import RepoIndex
from analyzer.vocabulary import CHANGE_VERBS, STOP_WORDS

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
SPREAD_FEATURES = ("cochange", "imports")

Features = dict[str, dict[str, tuple[float, str]]]
"""path → feature → (value, evidence)."""


def log_scale(probability: float) -> float:
    """A probability on a log scale in [0, 1]: 0.001 and below → 0, 0.01 → ⅓, 0.1 → ⅔, 1 → 1."""
    return max(0.0, 1.0 + math.log10(probability + 1e-9) / 3.0)


def put(features: Features, path: str, name: str, value: float, evidence: str) -> None:
    """Record a feature value for a file, keeping the largest seen."""
    row = features[path]
    if value > row.get(name, (0.0, ""))[0]:
        row[name] = (min(1.0, value), evidence)


def shared(features: Features, paths: set[str], name: str, value: float, evidence: str, limit: int) -> None:
    """Give `value / len(paths)` to each of `paths`, when there are at most `limit` of them."""
    if paths and len(paths) <= limit:
        for path in paths:
            put(features, path, name, value / len(paths), evidence)


def context_features(lookup: FileLookup, mentions: Mentions) -> dict[str, tuple[float, str]]:
    """Features of the task and repository rather than of a file, the same for every candidate:
    `text_length` (long texts describe bigger changes) and `commit_size` (how many files this
    repository's commits usually change)."""
    sizes = [len(commit.paths) for commit in lookup.commits]
    mean_size = sum(sizes) / len(sizes) if sizes else 1.0
    return {
        "text_length": (min(1.0, math.log10(len(mentions.message_words) + 1) / 2.0), ""),
        "commit_size": (min(1.0, math.log10(mean_size) / math.log10(40.0)), ""),
    }


def direct_features(
    index: RepoIndex,
    lookup: FileLookup,
    mentions: Mentions,
    config: RankConfig,
    planned: frozenset[str] = frozenset(),
) -> Features:
    """Every file the text points at directly, with its direct features (base rate and context included)."""
    features: Features = defaultdict(dict)
    mention_features(lookup, mentions, config, features, planned)
    symbol_features(lookup, mentions, config, features)
    history_features(index, lookup, list(mentions.message_words), config, features, mentions.spelled)
    lexical_features(lookup, list(mentions.words), config, features)
    directory_features(lookup, mentions, features)
    similar_commit_features(lookup, list(mentions.message_words), config, features)
    context = context_features(lookup, mentions)
    for path, row in features.items():
        rate_features(index, lookup, path, row, config)
        row.update(context)
    return features


def rate_features(
    index: RepoIndex, lookup: FileLookup, path: str, row: dict[str, tuple[float, str]], config: RankConfig
) -> None:
    """How often the file changed: over all history, and lately."""
    rate = change_rate(index.history, path)
    if rate > 0 and path in lookup.paths:
        row["base_rate"] = (log_scale(rate), f"changed in {rate:.0%} of commits")
    share = recent_share(lookup, config.recent_half_life).get(path, 0.0)
    if share > 0:
        row["recent"] = (log_scale(share), f"changed in {share:.0%} of recent commits")


def similar_commit_features(
    lookup: FileLookup, words: list[str], config: RankConfig, features: Features
) -> None:
    """The files changed by the past commits whose messages are most like the text, by vote."""
    similar = similar_commits(lookup, words, config.similar_commits)
    total = sum(score for score, _ in similar)
    if total <= 0:
        return
    votes: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    for score, commit in similar:
        for path in commit.paths:
            votes[path] += score / total
            counts[path] += 1
    for path, vote in votes.items():
        if path in lookup.paths:
            evidence = f"changed by {counts[path]} of {len(similar)} similar past commits"
            put(features, path, "similar_commits", vote, evidence)


ROLE_EVIDENCE = {
    "change": "to change",
    "mention": "mentioned",
    "read": "only read or used",
}


def role_value(mentions: Mentions, path: str, config: RankConfig) -> tuple[float, str]:
    """How much a path named in the text counts, by the role the text gives it, and why (in the
    text's own words)."""
    role = mentions.role(path)
    value = {"change": 1.0, "mention": config.mention_value, "read": config.read_value}[role]
    said = mentions.quotes.get(path)
    return value, f'{ROLE_EVIDENCE[role]}: "{said}"' if said else ROLE_EVIDENCE[role]


def mention_features(
    lookup: FileLookup,
    mentions: Mentions,
    config: RankConfig,
    features: Features,
    planned: frozenset[str] = frozenset(),
) -> None:
    """Paths, file names, modules and file stems named in the text; new files to create. A path
    counts by its role (changed, mentioned, only read); a partial path resolves to one file —
    an existing one, else one that another task of the plan creates (`planned`), else a new one."""
    limit = config.ambiguity_limit
    anchors = anchor_directories(lookup, mentions)
    rooted = [p for p in mentions.rooted if p in lookup.paths or p.split("/")[0] in lookup.directories]
    for path in (*mentions.paths, *rooted):
        lower = path.lower()
        value, evidence = role_value(mentions, path, config)
        folder = mentions.near.get(path)
        if (
            folder
            and folder not in lookup.directories
            and lower not in lookup.by_basename
            and f"{folder}/{path}" not in mentions.paths
        ):
            # a new file's bare name after a new folder the text names: it lies there
            put(features, f"{folder}/{path}", "new_file", value, f"{path} in the new {folder}/, {evidence}")
        elif path in lookup.paths:
            put(features, path, "path", value, evidence)
        elif "/" not in path and (lower in lookup.by_basename or "." + lower in lookup.by_basename):
            found = lookup.by_basename.get(lower) or lookup.by_basename["." + lower]
            shared(features, closest(found, anchors), "name", value, f"{path} {evidence}", limit)
        elif found := {p for p in lookup.paths if p.lower().endswith("/" + lower)}:
            shared(features, closest(found, anchors), "name", value, f"{path} {evidence}", limit)
        elif lower in lookup.by_extensionless:
            found = lookup.by_extensionless[lower]
            shared(features, closest(found, anchors), "name", value, f"{path} {evidence}", limit)
        elif made := {p for p in planned if p.lower().endswith("/" + lower) and p != path}:
            made = closest(made, anchors)
            shared(features, made, "name", value, f"{path}, created by another task, {evidence}", limit)
        elif (
            path not in lookup.directories
            and (is_file_name(path) or bool(DOTFILE.match(path)))
            and ("/" in path or path in mentions.created or mentions.role(path) == "change")
        ):
            target = new_file_path(lookup, path, mentions, anchors)
            if target is not None:
                put(features, target, "new_file", value, f"new file, {evidence}")
                for init in new_package_files(lookup, target):
                    put(
                        features,
                        init,
                        "new_file",
                        value * config.package_init_value,
                        f"new package of {target}",
                    )
    for dotted in mentions.dotted:
        lower = dotted.lower()
        module = lookup.by_extensionless.get(lower.replace(".", "/"), set())
        shared(features, module, "name", 1.0, f"module {dotted} mentioned", limit)
        if not module:
            shared(features, lookup.by_stem.get(lower, set()), "name", 1.0, "file name mentioned", limit)
    for token in (*mentions.identifiers, *mentions.plain):
        lower = token.lower()
        if lower in STOP_WORDS or lower in CHANGE_VERBS or len(lower) < 3:
            continue
        value = path_specificity(lookup, lower)
        shared(
            features, lookup.by_stem.get(lower, set()), "stem", value, f"file name {token} mentioned", limit
        )


def new_package_files(lookup: FileLookup, target: str) -> list[str]:
    """The `__init__.py` files a new Python module in new folders needs: one per new folder, when
    the nearest existing folder above is a package (holds an `__init__.py`)."""
    if not target.endswith(".py"):
        return []
    parts = target.split("/")[:-1]
    new: list[str] = []
    while parts and "/".join(parts) not in lookup.directories:
        new.append("/".join(parts))
        parts.pop()
    if not new or not parts or "/".join([*parts, "__init__.py"]) not in lookup.paths:
        return []
    return [f"{folder}/__init__.py" for folder in new]


def anchor_directories(lookup: FileLookup, mentions: Mentions) -> list[str]:
    """The existing directories of the paths the text names, those it changes first."""
    ranked = sorted(mentions.paths, key=lambda p: mentions.role(p) != "change")
    found: dict[str, None] = {}
    for path in ranked:
        directory = path.rpartition("/")[0]
        if path in lookup.paths or directory in lookup.directories:
            found.setdefault(directory, None)
    return list(found)


def _common(a: str, b: str) -> int:
    """How many leading folders two directories share."""
    count = 0
    for x, y in zip(a.split("/"), b.split("/"), strict=False):
        if x != y:
            break
        count += 1
    return count


def closest(candidates: set[str], anchors: list[str]) -> set[str]:
    """Of the files a name matches, the one nearest the other files the text names (all of them
    when none is nearer than the rest)."""
    if len(candidates) <= 1 or not anchors:
        return candidates
    score = {c: max(_common(c.rpartition("/")[0], a) for a in anchors) for c in candidates}
    best = max(score.values())
    chosen = {c for c, v in score.items() if v == best}
    return chosen if best > 0 else candidates


def _visible(directory: str, written: str) -> bool:
    """A hidden folder (`.claude/`, `.github/`) is a home only when the text writes it."""
    return written.startswith(".") or not any(part.startswith(".") for part in directory.split("/"))


def new_file_path(lookup: FileLookup, path: str, mentions: Mentions, anchors: list[str]) -> str | None:
    """Where a file to create goes: where written when its folder exists; else under the one
    existing folder that the written folders (or, for new folders, their leading part) name, when
    the first of them is not at the top; a bare file name goes beside the text's other files of
    its kind, or where the repository keeps most such files — and is dropped when the text also
    names it with a folder."""
    directory, _, name = path.rpartition("/")
    if not directory:
        if any(p.endswith("/" + path) for p in mentions.paths):
            return None
        return f"{home}/{name}" if (home := home_for(lookup, name, anchors)) else name
    if directory in lookup.directories:
        return path
    parts = directory.split("/")
    if parts[0] in lookup.directories:
        return path  # a new folder inside an existing top-level one
    for keep in range(len(parts), 0, -1):
        written, rest = "/".join(parts[:keep]), "/".join([*parts[keep:], name])
        homes = [d for d in lookup.directories if d.endswith("/" + written) and _visible(d, path)]
        homes.sort(key=lambda d: (-max((_common(d, a) for a in anchors), default=0), d.count("/"), d))
        if len(homes) == 1 or (len(homes) > 1 and anchors and _common(homes[0], anchors[0]) > 0):
            return f"{homes[0]}/{rest}"
        if homes:
            break
    return path


def home_for(lookup: FileLookup, name: str, anchors: list[str]) -> str:
    """The folder a new file named `name` fits: a folder of the text's own files holding files of
    its kind, else the folder holding most files of its kind (its name's prefix and extension, or
    its extension); "" for the repository's root."""
    extension = name.rpartition(".")[2].lower()
    prefix = re.split(r"[_.-]", name, maxsplit=1)[0].lower()

    def kind(path: str, with_prefix: bool) -> bool:
        base = path.rpartition("/")[2].lower()
        return base.endswith("." + extension) and (not with_prefix or base.startswith(prefix))

    for with_prefix in (True, False):
        for anchor in anchors:
            inside = lookup.directories.get(anchor, ()) if anchor else lookup.paths
            if any(kind(p, with_prefix) and p.rpartition("/")[0] == anchor for p in inside):
                return anchor
        counts: dict[str, int] = defaultdict(int)
        for path in lookup.paths:
            if kind(path, with_prefix) and _visible(path, name):
                counts[path.rpartition("/")[0]] += 1
        if counts:
            return max(counts, key=lambda d: (counts[d], -d.count("/"), d))
    return ""


def symbol_features(lookup: FileLookup, mentions: Mentions, config: RankConfig, features: Features) -> None:
    """Files that define a named identifier or qualified name, or (`word_symbol`) a plain word."""
    limit = config.symbol_ambiguity_limit
    for dotted in mentions.dotted:
        parts = dotted.split(".")
        for start in range(len(parts) - 1):
            name = ".".join(parts[start:])
            found = lookup.by_qualified.get(name, set())
            if found and len(found) <= limit:
                shared(features, found, "symbol", 1.0, f"defines {name}", limit)
                break
    for token in mentions.identifiers:
        found = lookup.by_symbol.get(token, set())
        for path in found if len(found) <= limit else ():
            qualified = lookup.symbol_of.get((path, token.lower()), token)
            put(features, path, "symbol", 1.0 / len(found), f"defines {qualified}")
    for token in mentions.plain:
        lower = token.lower()
        found = lookup.by_symbol_lower.get(lower, set())
        if lower in STOP_WORDS or lower in CHANGE_VERBS or len(found) > config.word_symbol_limit:
            continue
        for path in found:
            qualified = lookup.symbol_of.get((path, lower), token)
            put(features, path, "word_symbol", 1.0 / len(found), f"defines {qualified}")


def history_features(
    index: RepoIndex,
    lookup: FileLookup,
    words: list[str],
    config: RankConfig,
    features: Features,
    spelled: Callable[[str], str] = str,
) -> None:
    """P(file | word) from past commits: its rarity-weighted mean over the text's words, and its max."""
    stats = index.history
    total = stats.total.weight
    known = []
    for word in set(words):
        seen = stats.words.get(word)
        if seen is not None and seen.commits >= config.history_min_commits and seen.weight < total:
            known.append((word, seen.weight, seen.commits, math.log(total / seen.weight)))
    rarity_sum = sum(rarity for *_, rarity in known)
    if rarity_sum <= 0:
        return
    candidates = {path for word, *_ in known for path in lookup.history_words.get(word, {})}
    prior = config.history_prior
    for path in candidates:
        rate = change_rate(stats, path)
        mean, best, evidence = 0.0, 0.0, ""
        for word, weight, commits, rarity in known:
            tally = lookup.history_words.get(word, {}).get(path)
            probability = ((tally.weight if tally else 0.0) + prior * rate) / (weight + prior)
            mean += rarity * probability
            if tally is not None and probability > best:
                best = probability
                evidence = f"'{spelled(word)}' went with it in {tally.commits} of {commits} commits"
        put(features, path, "history", log_scale(mean / rarity_sum), evidence)
        put(features, path, "history_max", best, evidence)


def lexical_features(lookup: FileLookup, words: list[str], config: RankConfig, features: Features) -> None:
    """BM25 of the text's words against each file's words and path: saturated, and relative to the best."""
    scores = bm25(lookup, words)
    if not scores:
        return
    best = max(scores.values())
    for path, score in scores.items():
        put(features, path, "lexical", score / (score + config.lexical_saturation), "words match its content")
        put(features, path, "lexical_rank", score / best, "words match its content")
    for path, share in path_coverage(lookup, words).items():
        put(features, path, "path_words", share, "words match its path")


def directory_features(lookup: FileLookup, mentions: Mentions, features: Features) -> None:
    """Files inside a directory named in the text, less the more files it holds."""
    named: set[str] = {path for path in mentions.paths if path in lookup.directories}
    for token in (*mentions.plain, *mentions.identifiers):
        if token.lower() not in STOP_WORDS and token.lower() not in CHANGE_VERBS:
            named |= lookup.directory_names.get(token.lower(), set())
    for directory in named:
        files = lookup.directories[directory]
        for path in files:
            put(features, path, "directory", 1.0 / math.sqrt(len(files)), f"in {directory}/")


def spread_features(
    index: RepoIndex, lookup: FileLookup, seeds: dict[str, float], config: RankConfig
) -> Features:
    """From each seed (a file at least `seed_min` confident): its co-change partners and import neighbours."""
    features: Features = defaultdict(dict)
    stats = index.history
    for seed, confidence in seeds.items():
        if confidence < config.seed_min:
            continue
        changes = stats.files.get(seed)
        for other, pair in stats.cochange.get(seed, {}).items():
            if changes is None or changes.weight <= 0 or pair.commits < config.cochange_min_commits:
                continue
            if other in lookup.paths:
                ratio = min(1.0, pair.weight / changes.weight)
                evidence = f"changed with {seed} in {pair.commits} of {changes.commits} commits"
                put(features, other, "cochange", confidence * ratio, evidence)
        for target in index.imports.get(seed, frozenset()):
            put(features, target, "imports", confidence, f"imported by {seed}")
        for importer in lookup.imported_by.get(seed, set()):
            put(features, importer, "imports", confidence, f"imports {seed}")
    return features
