"""Features of the files a task text names: by path, file name, module, stem or symbol, and new files.

Few files per task get these, so they are kept as sparse rows (path → feature → (value,
evidence)); a name may resolve to a file that is not in the index yet (a new file, or one another
task of the plan creates). `put` keeps a feature's largest value; `shared` splits a value among
the files an ambiguous name matches.
"""

from __future__ import annotations

import re
from collections import defaultdict

from analyzer.file_lookup import FileLookup, path_specificity
from analyzer.mentions import DOTFILE, Mentions, is_file_name
from analyzer.rank_config import RankConfig
from analyzer.vocabulary import CHANGE_VERBS, STOP_WORDS

BARE_DOTNAME = re.compile(r"^\.[A-Za-z]\w*$")
"""`.env`, `.table`: one word after a dot (not `.env.example`, not `.eslintrc.js`)."""

Features = dict[str, dict[str, tuple[float, str]]]
"""path → feature → (value, evidence)."""


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
        elif found := {  # a partial path: the files of its file name that end with it
            p for p in lookup.by_basename.get(lower.rpartition("/")[2], ()) if p.lower().endswith("/" + lower)
        }:
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
            and (
                "/" in path
                or path in mentions.created
                # a bare `.name` the repository lacks is as often an attribute (`.table`) as a
                # dotfile: a new file only when the text creates it
                or (mentions.role(path) == "change" and not BARE_DOTNAME.match(path))
            )
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
        named = lookup.directory_names.get(written.rpartition("/")[2].lower(), ())
        homes = [d for d in named if d.endswith("/" + written) and _visible(d, path)]
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
        for path in lookup.by_extension.get(extension, ()):  # the files that end in `.extension`
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


def named_features(
    lookup: FileLookup, mentions: Mentions, config: RankConfig, planned: frozenset[str] = frozenset()
) -> Features:
    """The sparse rows of every file the text names (mentions first, then symbols)."""
    features: Features = defaultdict(dict)
    mention_features(lookup, mentions, config, features, planned)
    symbol_features(lookup, mentions, config, features)
    return features
