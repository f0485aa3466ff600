"""Symbols and imports of one source text, from the language's tag query; language-agnostic.

Capture convention of every `.scm` file: `name.definition.<kind>` is a defined name;
`definition.<kind>` is the node of that definition, which qualifies what is nested in it
(`Class.method`); `name.scope` qualifies a definition explicitly (a Go receiver, the `res` of
`res.send = function`; alone with `definition.scope` it names a scope such as a Rust `impl`);
`import.module`, `import.name`, `import.wildcard` and `import.submodule` are imports as written.
A definition nested in a function or method is local and is dropped; a function directly in a class
or scope is a method; a `variable` is kept only when its name is UPPER_CASE, as a constant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import tree_sitter

from analyzer.languages import parser, tag_query
from analyzer.records import ImportRef, Symbol

CONSTANT_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
QUALIFIER = re.compile(r"^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$")
LOCAL_SCOPES = frozenset({"function", "method"})
KIND_PRIORITY = ("class", "interface", "enum", "type", "function", "method", "module", "macro", "constant")

IMPORT_CAPTURES = frozenset({"import.submodule", "import.module"})
"""A match without one of these adds no import."""
DEFINITION_PREFIX = len("name.definition.")

NodeKey = tuple[int, int, str]


@dataclass(frozen=True, slots=True)
class Definition:
    """One `name.definition` capture with what its match says about it."""

    name: str
    kind: str
    line: int
    name_node: tree_sitter.Node
    node: tree_sitter.Node | None
    scope: str


def node_text(node: tree_sitter.Node) -> str:
    """The source text of a node, undecodable bytes replaced."""
    return (node.text or b"").decode("utf-8", errors="replace")


def key_of(node: tree_sitter.Node) -> NodeKey:
    """Identifies a node: its span alone is shared by a block and its only statement."""
    return (node.start_byte, node.end_byte, node.type)


def extract_tags(language: str, source: bytes) -> tuple[tuple[Symbol, ...], tuple[ImportRef, ...]]:
    """The symbols defined in `source` and its imports, as the tag query of `language` finds them."""
    tree = parser(language).parse(source)
    cursor = tree_sitter.QueryCursor(tag_query(language))
    definitions: list[Definition] = []
    containers: dict[NodeKey, tuple[str, str]] = {}
    imports: dict[tuple[int, str, str], set[str]] = {}
    for _, captures in cursor.matches(tree.root_node):
        scope_nodes = captures.get("name.scope")
        scope = node_text(scope_nodes[0]) if scope_nodes else ""
        scope = scope if scope and QUALIFIER.match(scope) else ""
        if IMPORT_CAPTURES.intersection(captures):
            collect_imports(captures, imports)
        for capture, nodes in captures.items():
            if capture == "definition.scope" and scope:
                containers[key_of(nodes[0])] = (scope, "scope")
            if not capture.startswith("name.definition."):
                continue
            kind = capture[DEFINITION_PREFIX:]
            outer_nodes = captures.get(f"definition.{kind}")  # a capture's nodes are never none
            outer = outer_nodes[0] if outer_nodes else None
            for name_node in nodes:
                definition = Definition(
                    node_text(name_node), kind, name_node.start_point[0] + 1, name_node, outer, scope
                )
                definitions.append(definition)
                if outer is not None:
                    containers.setdefault(key_of(outer), (definition.name, kind))
    symbols = qualify(definitions, containers)
    refs = tuple(
        ImportRef(kind=kind, target=target, names=tuple(sorted(names)))
        for (_, kind, target), names in sorted(imports.items())
    )
    return symbols, refs


def collect_imports(
    captures: dict[str, list[tree_sitter.Node]], imports: dict[tuple[int, str, str], set[str]]
) -> None:
    """Add a match's import captures to `imports`, keyed by (position, kind, target as written)."""
    for node in captures.get("import.submodule", []):
        imports.setdefault((node.start_byte, "submodule", node_text(node)), set())
    for node in captures.get("import.module", []):
        target = " ".join(node_text(node).split())
        names = imports.setdefault((node.start_byte, "module", target), set())
        names.update(node_text(name) for name in captures.get("import.name", []))
        if captures.get("import.wildcard"):
            names.add("*")


def qualify(definitions: list[Definition], containers: dict[NodeKey, tuple[str, str]]) -> tuple[Symbol, ...]:
    """Symbols with qualified names; local definitions dropped, one symbol per qualified name."""
    best: dict[str, Symbol] = {}
    chains: dict[NodeKey, list[tuple[str, str]]] = {}
    for definition in definitions:
        kind = definition.kind
        if kind == "variable":
            if not CONSTANT_NAME.match(definition.name):
                continue
            kind = "constant"
        chain = enclosing(definition.node or definition.name_node, containers, chains)
        if chain and chain[-1][1] in LOCAL_SCOPES:
            continue
        if kind == "function" and chain and chain[-1][1] in ("class", "interface", "scope"):
            kind = "method"
        prefix = [name for name, _ in chain]
        if definition.scope and not chain:
            prefix = [definition.scope]
        qualified = ".".join([*prefix, definition.name])
        symbol = Symbol(definition.name, qualified, kind, definition.line)
        current = best.get(qualified)
        if current is None or rank(kind) < rank(current.kind):
            best[qualified] = symbol
    return tuple(sorted(best.values(), key=lambda s: (s.line, s.qualified_name)))


def enclosing(
    node: tree_sitter.Node,
    containers: dict[NodeKey, tuple[str, str]],
    chains: dict[NodeKey, list[tuple[str, str]]],
) -> list[tuple[str, str]]:
    """The named containers around `node`, outermost first; `chains` keeps those of each ancestor
    met, so that the definitions of one class climb its ancestors once (the list is shared: read
    it, do not change it)."""
    climbed: list[NodeKey] = []
    chain: list[tuple[str, str]] = []
    parent = node.parent
    while parent is not None:
        key = key_of(parent)
        found = chains.get(key)
        if found is not None:
            chain = found
            break
        climbed.append(key)
        parent = parent.parent
    for key in reversed(climbed):  # outermost first
        here = containers.get(key)
        if here is not None:
            chain = [*chain, here]
        chains[key] = chain
    return chain


def rank(kind: str) -> int:
    return KIND_PRIORITY.index(kind) if kind in KIND_PRIORITY else len(KIND_PRIORITY)
