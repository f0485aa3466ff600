"""Resolving imports as written to repository files: importer path → the files it imports.

Python: absolute modules against every package root (the first directory up without
`__init__.py`, so `src/` layouts work) and relative modules against the importer's package;
`from pkg import name` prefers the submodule `pkg/name.py`. JS/TS: relative specifiers, with
extensions and `index` files tried (`./a.js` may name `a.ts`). Go: an import path under a go.mod
module path is that directory's non-test `.go` files. Rust: `mod x;` and `use crate::`/`self::`/
`super::` paths. Java: a class by its package path, or every class of a wildcard package.
Anything else (third-party packages, the standard library) resolves to nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from pathlib import PurePosixPath

from analyzer.records import FileRecord, ImportRef
from analyzer.rust_paths import rust_targets

JS_EXTENSIONS = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts", ".d.ts", ".json")
JS_LANGUAGES = frozenset({"javascript", "typescript", "tsx"})


def resolve_imports(records: Mapping[str, FileRecord], all_paths: Collection[str]) -> dict[str, set[str]]:
    """For each file in `records` (keyed by path), the repository files its imports resolve to."""
    paths = frozenset(all_paths)
    python_modules = python_module_map(paths)
    go_modules = go_module_dirs(records)
    go_dirs = files_by_directory(paths, ".go")
    java_classes, java_packages = java_class_map(paths)
    graph: dict[str, set[str]] = {}
    for path, record in records.items():
        found: set[str] = set()
        for ref in record.imports:
            if record.language == "python":
                found |= resolve_python(path, ref, paths, python_modules)
            elif record.language in JS_LANGUAGES:
                found |= resolve_js(path, ref, paths)
            elif record.language == "go":
                found |= resolve_go(ref, go_modules, go_dirs)
            elif record.language == "rust":
                found |= rust_targets(path, ref, paths)
            elif record.language == "java":
                found |= resolve_java(ref, java_classes, java_packages)
        found.discard(path)
        if found:
            graph[path] = found
    return graph


def parent_dir(path: str) -> str:
    parent = str(PurePosixPath(path).parent)
    return "" if parent == "." else parent


def join(*parts: str) -> str:
    return "/".join(part for part in parts if part)


def python_module_map(paths: frozenset[str]) -> dict[str, set[str]]:
    """Dotted module name → files, for every package root and the repository root."""
    modules: dict[str, set[str]] = defaultdict(set)
    for path in paths:
        if not path.endswith((".py", ".pyi")):
            continue
        stem = path.rsplit(".", 1)[0]
        parts = stem.split("/")
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)].add(path)
        directory = parent_dir(path)
        while directory and join(directory, "__init__.py") in paths:
            directory = parent_dir(directory)
        depth = len(directory.split("/")) if directory else 0
        if depth and len(parts) > depth:
            modules[".".join(parts[depth:])].add(path)
    return modules


def python_module_files(base: str, dotted: str, paths: frozenset[str]) -> set[str]:
    """The file of module `dotted` under directory `base`, as a module or a package."""
    stem = join(base, dotted.replace(".", "/"))
    for candidate in (f"{stem}.py", f"{stem}.pyi", f"{stem}/__init__.py"):
        if stem and candidate in paths:
            return {candidate}
    return set()


def resolve_python(
    path: str, ref: ImportRef, paths: frozenset[str], modules: Mapping[str, set[str]]
) -> set[str]:
    target = ref.target
    names = [name for name in ref.names if name != "*"]
    if target.startswith("."):
        dots = len(target) - len(target.lstrip("."))
        base = parent_dir(path)
        for _ in range(dots - 1):
            base = parent_dir(base)
        rest = target[dots:]
        found = {
            f for name in names for f in python_module_files(base, join(rest, name).replace("/", "."), paths)
        }
        if rest and not found:
            found = python_module_files(base, rest, paths)
        if not rest and not found:
            found = python_module_files(base, "__init__", paths)
        return found
    found = {f for name in names for f in modules.get(f"{target}.{name}", set())}
    if found:
        return set(found)
    parts = target.split(".")
    while parts:
        hit = modules.get(".".join(parts))
        if hit:
            return set(hit)
        parts = parts[:-1]
    return set()


def resolve_js(path: str, ref: ImportRef, paths: frozenset[str]) -> set[str]:
    spec = ref.target.split("?")[0]
    if not spec.startswith((".", "/")):
        return set()
    stem = (
        PurePosixPath(parent_dir(path) or ".", spec) if not spec.startswith("/") else PurePosixPath(spec[1:])
    )
    parts: list[str] = []
    for part in stem.parts:
        if part == "..":
            if not parts:
                return set()
            parts.pop()
        elif part not in (".", ""):
            parts.append(part)
    base = "/".join(parts)
    candidates = [base]
    for ext in (".js", ".jsx", ".mjs", ".cjs"):
        if base.endswith(ext):
            candidates += [base[: -len(ext)] + alt for alt in (".ts", ".tsx", ".mts", ".cts")]
    candidates += [base + ext for ext in JS_EXTENSIONS]
    candidates += [join(base, "index" + ext) for ext in JS_EXTENSIONS]
    for candidate in candidates:
        if candidate in paths:
            return {candidate}
    return set()


def go_module_dirs(records: Mapping[str, FileRecord]) -> list[tuple[str, str]]:
    """(module path, its directory) for every go.mod, longest module path first."""
    found = [
        (symbol.name, parent_dir(path))
        for path, record in records.items()
        if record.language == "gomod"
        for symbol in record.symbols
        if symbol.kind == "module"
    ]
    return sorted(found, key=lambda pair: -len(pair[0]))


def files_by_directory(paths: frozenset[str], suffix: str) -> dict[str, set[str]]:
    grouped: dict[str, set[str]] = defaultdict(set)
    for path in paths:
        if path.endswith(suffix):
            grouped[parent_dir(path)].add(path)
    return grouped


def resolve_go(ref: ImportRef, modules: list[tuple[str, str]], go_dirs: Mapping[str, set[str]]) -> set[str]:
    directories = [join("vendor", ref.target)]
    for module, directory in modules:
        if ref.target == module or ref.target.startswith(module + "/"):
            directories.insert(0, join(directory, ref.target[len(module) + 1 :]))
            break
    for directory in directories:
        files = {f for f in go_dirs.get(directory, set()) if not f.endswith("_test.go")}
        if files:
            return files
    return set()


def java_class_map(paths: frozenset[str]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Every dotted suffix of each Java file's path (`com.x.Y`, `x.Y`, `Y`) → files, and likewise
    every dotted suffix of its directory (a package) → the files in it."""
    classes: dict[str, set[str]] = defaultdict(set)
    packages: dict[str, set[str]] = defaultdict(set)
    for path in paths:
        if path.endswith(".java"):
            parts = path[: -len(".java")].split("/")
            for start in range(len(parts)):
                classes[".".join(parts[start:])].add(path)
                if start < len(parts) - 1:
                    packages[".".join(parts[start:-1])].add(path)
    return classes, packages


def resolve_java(
    ref: ImportRef, classes: Mapping[str, set[str]], packages: Mapping[str, set[str]]
) -> set[str]:
    if "*" in ref.names:
        return set(packages.get(ref.target, set()))
    parts = ref.target.split(".")
    while len(parts) > 1:
        hit = classes.get(".".join(parts))
        if hit:
            return set(hit)
        parts = parts[:-1]
    return set()
