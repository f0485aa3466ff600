"""Rust module paths to files: `mod x;` declarations and `use crate::`/`self::`/`super::` paths.

A file's module directory is its own directory for `lib.rs`, `main.rs` and `mod.rs`, else its
directory plus its stem; `mod x;` is `x.rs` or `x/mod.rs` there. A `use` path is tried from its
longest prefix down, so `use crate::a::b::Item` lands on `a/b.rs` (or `a.rs`, or the crate root).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from analyzer.records import ImportRef

ROOT_FILES = ("lib.rs", "main.rs", "mod.rs")
SEPARATOR_SPACE = re.compile(r"\s*([{},]|::)\s*")


def module_dir(path: str) -> str:
    pure = PurePosixPath(path)
    parent = "" if str(pure.parent) == "." else str(pure.parent)
    if pure.name in ROOT_FILES:
        return parent
    return f"{parent}/{pure.stem}" if parent else pure.stem


def crate_root(path: str, paths: frozenset[str]) -> str | None:
    """The crate root file (`lib.rs`, else `main.rs`) nearest above `path`."""
    parts = PurePosixPath(path).parts[:-1]
    for depth in range(len(parts), -1, -1):
        prefix = "/".join(parts[:depth])
        for name in ("lib.rs", "main.rs"):
            candidate = f"{prefix}/{name}" if prefix else name
            if candidate in paths:
                return candidate
    return None


def expand_use(text: str) -> list[str]:
    """`a::{b, c::{d as e, self}}` → [`a::b`, `a::c::d`, `a::c`]; aliases dropped."""
    text = SEPARATOR_SPACE.sub(r"\1", " ".join(text.split()))
    for index, char in enumerate(text):
        if char == "{":
            prefix = text[:index].rstrip(":")
            inner = text[index + 1 : text.rindex("}")]
            return [
                prefix if tail == "self" else f"{prefix}::{tail}" if prefix else tail
                for item in split_top_level(inner)
                for tail in expand_use(item)
            ]
    return [text.split(" as ", 1)[0]]


def split_top_level(text: str) -> list[str]:
    items, depth, start = [], 0, 0
    for index, char in enumerate(text):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if char == "," and depth == 0:
            items.append(text[start:index])
            start = index + 1
    items.append(text[start:])
    return [item for item in items if item]


def module_file(base: str, segments: list[str], paths: frozenset[str]) -> str | None:
    """The file of the longest prefix of `segments` that is a module under `base`."""
    for length in range(len(segments), 0, -1):
        stem = "/".join([base, *segments[:length]] if base else segments[:length])
        for candidate in (f"{stem}.rs", f"{stem}/mod.rs"):
            if candidate in paths:
                return candidate
    return None


def rust_targets(path: str, ref: ImportRef, paths: frozenset[str]) -> set[str]:
    """The files a Rust `mod` declaration or `use` declaration in `path` refers to."""
    here = module_dir(path)
    if ref.kind == "submodule":
        found = module_file(here, [ref.target], paths)
        return {found} if found else set()
    targets: set[str] = set()
    for use_path in expand_use(ref.target):
        segments = [s for s in use_path.split("::") if s and s != "*"]
        if not segments:
            continue
        base: str | None = here
        root = None
        if segments[0] == "crate":
            root = crate_root(path, paths)
            base = module_dir(root) if root else None
            segments = segments[1:]
        elif segments[0] == "self":
            segments = segments[1:]
        while segments and segments[0] == "super" and base is not None:
            base = str(PurePosixPath(base).parent) if "/" in base else ""
            segments = segments[1:]
        if base is None:
            continue
        found = module_file(base, segments, paths)
        if found:
            targets.add(found)
        elif root:
            targets.add(root)
    return targets
