"""Tables derived once per `RepoIndex` for matching mentions to files: names, symbols, words.

Built on first use and cached for as long as the index object lives, so ranking many tasks
against one index pays for them once.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import PurePosixPath

from analyzer.history_stats import KeptCommit
from analyzer.repo_index import RepoIndex, per_index, records_by_path
from analyzer.vocabulary import path_words, stem

DOTTED_SUFFIX_LIMIT = 4


@dataclass(frozen=True)
class FileLookup:
    """Current paths, and indexes from names, symbols and words to them."""

    paths: frozenset[str]
    by_basename: dict[str, set[str]]
    by_stem: dict[str, set[str]]
    by_extensionless: dict[str, set[str]]
    by_extension: dict[str, list[str]]
    """Paths by the lower-cased extension of their file name (`py` for `a/B.PY`; none without one)."""
    directories: dict[str, set[str]]
    directory_names: dict[str, set[str]]
    by_symbol: dict[str, set[str]]
    by_qualified: dict[str, set[str]]
    by_symbol_lower: dict[str, set[str]]
    symbol_of: dict[tuple[str, str], str]
    imported_by: dict[str, set[str]]
    postings: dict[str, dict[str, int]]
    path_word_files: Counter[str]
    path_word_postings: dict[str, set[str]]
    commits: tuple[KeptCommit, ...]
    commit_postings: dict[str, list[int]]
    document_length: dict[str, int]
    average_length: float


def extensionless(path: str) -> str:
    name = PurePosixPath(path).name
    return path[: -len(PurePosixPath(name).suffix)] if PurePosixPath(name).suffix else path


def build_lookup(index: RepoIndex) -> FileLookup:
    paths = frozenset(tracked.path for tracked in index.files)
    by_basename: dict[str, set[str]] = defaultdict(set)
    by_stem: dict[str, set[str]] = defaultdict(set)
    by_extensionless: dict[str, set[str]] = defaultdict(set)
    by_extension: dict[str, list[str]] = defaultdict(list)
    directories: dict[str, set[str]] = defaultdict(set)
    directory_names: dict[str, set[str]] = defaultdict(set)
    for path in paths:
        pure = PurePosixPath(path)
        by_basename[pure.name.lower()].add(path)
        if "." in pure.name:
            by_extension[pure.name.rpartition(".")[2].lower()].append(path)
        by_stem[pure.name.split(".")[0].lower() if not pure.name.startswith(".") else pure.name].add(path)
        by_stem[pure.stem.lower()].add(path)
        parts = extensionless(path).lower().split("/")
        for start in range(max(0, len(parts) - DOTTED_SUFFIX_LIMIT), len(parts)):
            by_extensionless["/".join(parts[start:])].add(path)
        for depth in range(1, len(pure.parts)):
            directory = "/".join(pure.parts[:depth])
            directories[directory].add(path)
            directory_names[pure.parts[depth - 1].lower()].add(directory)
    by_symbol: dict[str, set[str]] = defaultdict(set)
    by_qualified: dict[str, set[str]] = defaultdict(set)
    by_symbol_lower: dict[str, set[str]] = defaultdict(set)
    symbol_of: dict[tuple[str, str], str] = {}
    document: dict[str, Counter[str]] = {}
    path_word_files: Counter[str] = Counter()
    by_path = records_by_path(index.files, index.records)
    for path, record in by_path.items():
        for symbol in record.symbols:
            if symbol.kind == "module":
                continue
            by_symbol[symbol.name].add(path)
            by_symbol_lower[symbol.name.lower()].add(path)
            symbol_of.setdefault((path, symbol.name.lower()), symbol.qualified_name)
            if "." in symbol.qualified_name:
                parts = symbol.qualified_name.split(".")
                for start in range(len(parts) - 1):
                    by_qualified[".".join(parts[start:])].add(path)
        counts: Counter[str] = Counter(dict(record.words))
        for word in path_words(path):
            counts[word] += 3
        document[path] = counts
    path_word_postings: dict[str, set[str]] = defaultdict(set)
    for path in paths:
        for word in set(path_words(path)):
            path_word_files[word] += 1
            path_word_postings[word].add(path)
    imported_by: dict[str, set[str]] = defaultdict(set)
    for importer, targets in index.imports.items():
        for target in targets:
            imported_by[target].add(importer)
    limit = index.history.settings.max_pair_files
    commits = tuple(c for c in index.history.recent if c.paths and len(c.paths) <= limit)
    commit_postings: dict[str, list[int]] = defaultdict(list)
    for position, commit in enumerate(commits):
        for word in commit.words:
            commit_postings[word].append(position)
    lengths = {path: sum(counts.values()) for path, counts in document.items()}
    postings: dict[str, dict[str, int]] = defaultdict(dict)
    for path, counts in document.items():
        for word, count in counts.items():
            postings[word][path] = count
    return FileLookup(
        paths=paths,
        by_basename=dict(by_basename),
        by_stem=dict(by_stem),
        by_extensionless=dict(by_extensionless),
        by_extension={extension: sorted(found) for extension, found in by_extension.items()},
        directories=dict(directories),
        directory_names=dict(directory_names),
        by_symbol=dict(by_symbol),
        by_qualified=dict(by_qualified),
        by_symbol_lower=dict(by_symbol_lower),
        symbol_of=symbol_of,
        imported_by=dict(imported_by),
        postings=dict(postings),
        path_word_files=path_word_files,
        path_word_postings=dict(path_word_postings),
        commits=commits,
        commit_postings=dict(commit_postings),
        document_length=lengths,
        average_length=sum(lengths.values()) / max(1, len(lengths)),
    )


def path_specificity(lookup: FileLookup, word: str) -> float:
    """1 for a word in one file's path, falling towards 0 for a word in every path (`test`, `src`)."""
    total = len(lookup.paths)
    count = lookup.path_word_files.get(stem(word.lower()), 0)
    if total <= 1 or count <= 1:
        return 1.0
    return max(0.0, 1.0 - math.log(count) / math.log(total))


lookup_for = per_index(build_lookup)
"""The lookup tables of an index (built once per index object)."""
