"""Which language a path is, and the tree-sitter grammar and tag query for each parsed language.

The language follows from the file name alone. Six languages are parsed with tree-sitter
(python, javascript, typescript, tsx, go, rust, java); `gomod` (go.mod) is read for its module
path; every other file is `docs`, `config` or `text` and is indexed by its words only.
Tag queries are the `.scm` files in `analyzer/queries/`, one per language, loaded as package data.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import PurePosixPath

import tree_sitter
import tree_sitter_go
import tree_sitter_java
import tree_sitter_javascript
import tree_sitter_python
import tree_sitter_rust
import tree_sitter_typescript

PARSED_BY_EXTENSION = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".jsx": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
}
DOCS_EXTENSIONS = frozenset({".md", ".rst", ".txt", ".adoc", ".markdown", ".inc", ".rdoc", ".textile"})
CONFIG_EXTENSIONS = frozenset(
    {".json", ".toml", ".yaml", ".yml", ".cfg", ".ini", ".xml", ".lock", ".mod", ".sum", ".properties"}
)
PARSED_LANGUAGES = frozenset(PARSED_BY_EXTENSION.values())
QUERY_FILE = {"tsx": "typescript.scm"}


def language_of(path: str) -> str:
    """One of the parsed languages, or `gomod`, `docs`, `config` or `text`."""
    name = PurePosixPath(path).name
    if name == "go.mod":
        return "gomod"
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in PARSED_BY_EXTENSION:
        return PARSED_BY_EXTENSION[suffix]
    if suffix in DOCS_EXTENSIONS or (not suffix and name.isupper()):
        return "docs"
    if suffix in CONFIG_EXTENSIONS or name.startswith("."):
        return "config"
    return "text"


@functools.cache
def grammar(language: str) -> tree_sitter.Language:
    """The tree-sitter grammar of a parsed language."""
    capsules = {
        "python": tree_sitter_python.language,
        "javascript": tree_sitter_javascript.language,
        "typescript": tree_sitter_typescript.language_typescript,
        "tsx": tree_sitter_typescript.language_tsx,
        "go": tree_sitter_go.language,
        "rust": tree_sitter_rust.language,
        "java": tree_sitter_java.language,
    }
    return tree_sitter.Language(capsules[language]())


def query_text(language: str) -> str:
    """The `.scm` tag query of a parsed language, from package data."""
    name = QUERY_FILE.get(language, f"{language}.scm")
    return resources.files("analyzer").joinpath("queries", name).read_text(encoding="utf-8")


@functools.cache
def tag_query(language: str) -> tree_sitter.Query:
    """The compiled tag query of a parsed language."""
    return tree_sitter.Query(grammar(language), query_text(language))


@functools.cache
def parser(language: str) -> tree_sitter.Parser:
    """A parser for a parsed language (one per process; parsing is single-threaded here)."""
    return tree_sitter.Parser(grammar(language))
