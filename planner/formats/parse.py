"""JSON and YAML text read for a task list: bounded, strict about keys, one-line errors.

Every reader parses with these, so that no input runs the parser out of stack or memory and a
key given twice is not silently the last one. JSON: a duplicate key is kept as a defect of its
`Mapping`, an integer of more than BIG_DIGITS digits as `Unbounded` (`bounds.problems` reports
both with the key); nesting too deep for the parser is a `ParseError` at its line and column.
YAML (`StrictLoader`, YAML's safe types): aliases are refused where they appear (they let a
small file expand into gigabytes), nesting deeper than MAX_DEPTH is refused while the file is
read, and a key given twice or that is not a string is a defect of its `Mapping`, with its line.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterator
from typing import Any, cast

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.error import Mark

from planner.core.errors import InvalidInputError
from planner.formats.bounds import BIG_DIGITS, MAX_DEPTH, Mapping, Unbounded, short


class ParseError(Exception):
    """Text that is not valid JSON or YAML (`limit`: valid, but past a bound): why, and where
    (1-based line and column)."""

    def __init__(self, reason: str, line: int, column: int, *, limit: bool = False) -> None:
        super().__init__(f"line {line}, column {column}: {reason}")
        self.reason, self.line, self.column, self.limit = reason, line, column, limit

    def message(self, language: str) -> str:
        """`not valid JSON: line 1, column 5: Expecting value`, or the bound passed and where."""
        return str(self) if self.limit else f"not valid {language}: {self}"


class _Refused(ComposerError):
    """YAML that the loader refuses to read on (an alias, too deep)."""


# -- JSON -----------------------------------------------------------------------------------------


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    items: dict[str, Any] = {}
    duplicates: list[tuple[str, str]] = []
    for key, value in pairs:
        if key in items:
            duplicates.append((key, f"duplicate key {short(key)}"))
        items[key] = value
    return Mapping(items, duplicates) if duplicates else items


def _integer(text: str) -> int:
    digits = len(text.lstrip("-"))
    return Unbounded(digits, text.startswith("-")) if digits > BIG_DIGITS else int(text)


def _position(text: str, index: int) -> tuple[int, int]:
    """The 1-based line and column of a character of the text."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _too_deep_at(text: str) -> tuple[int, int]:
    """Where JSON text first nests deeper than MAX_DEPTH (strings skipped)."""
    depth, in_string, escaped = 0, False, False
    for n, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return _position(text, n)
        elif char in "]}":
            depth -= 1
    return 1, 1


def parse_json(text: str | bytes) -> Any:
    """JSON text (or bytes in UTF-8, -16 or -32) as data (see the module's docstring); ParseError
    when it is not valid."""
    try:
        return json.loads(text, object_pairs_hook=_object, parse_int=_integer)
    except json.JSONDecodeError as error:
        raise ParseError(error.msg, error.lineno, error.colno) from None
    except UnicodeDecodeError as error:
        raise ParseError(f"not UTF-8 text (byte {error.start + 1})", 1, 1) from None
    except RecursionError:
        decoded = text if isinstance(text, str) else text.decode("utf-8", "replace")
        where = _too_deep_at(decoded)
        raise ParseError(f"nested deeper than {MAX_DEPTH} levels", *where, limit=True) from None


def load_json(text: str, origin: str) -> Any:
    """JSON text of the file `origin`; InvalidInputError naming the file, line and column."""
    try:
        return parse_json(text)
    except ParseError as error:
        raise InvalidInputError(f"{origin}: {error.message('JSON')}") from None


# -- YAML -----------------------------------------------------------------------------------------


class StrictLoader(yaml.SafeLoader):
    """YAML's safe types, without aliases, nested at most MAX_DEPTH deep, keys strings given once."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
        mark = cast(Mark | None, event.start_mark)
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(
                None, None, f"an alias (*{event.anchor}) is not allowed: write the value out", mark
            )
        opens = isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent)
        if opens:
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise _Refused(None, None, f"nested deeper than {MAX_DEPTH} levels", mark)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= opens

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        if not isinstance(node, yaml.MappingNode):
            raise ConstructorError(None, None, f"expected a mapping, found {node.id}", node.start_mark)
        self.flatten_mapping(node)
        items: dict[str, Any] = {}
        defects: list[tuple[str, str]] = []
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = f"(line {key_node.start_mark.line + 1})"
            if not isinstance(key, str):
                written = (key_node.value or "null") if isinstance(key_node, yaml.ScalarNode) else None
                if written is None:
                    defects.append((key_node.id, f"a {key_node.id} as a key: a key must be a string {line}"))
                else:
                    defects.append(
                        (written, f"key {short(written, 40)[1:-1]} is not a string: quote it {line}")
                    )
                continue
            if key in items:
                defects.append((key, f"duplicate key {short(key)} {line}"))
            items[key] = self.construct_object(value_node, deep=deep)
        return cast(dict[Hashable, Any], Mapping(items, defects) if defects else items)

    def construct_yaml_map(self, node: yaml.MappingNode) -> Iterator[dict[Any, Any]]:  # type: ignore[override]
        # whole at once (SafeLoader's fills it in later, for aliases, which are refused): so that
        # the Mapping with its defects is the value
        yield self.construct_mapping(node)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        written = self.construct_scalar(node)
        digits = len(written.lstrip("+-").replace("_", ""))
        if digits > BIG_DIGITS:
            return Unbounded(digits, written.startswith("-"))
        return super().construct_yaml_int(node)


StrictLoader.add_constructor("tag:yaml.org,2002:int", StrictLoader.construct_yaml_int)
StrictLoader.add_constructor("tag:yaml.org,2002:map", StrictLoader.construct_yaml_map)


def parse_yaml(text: str, loader: type[StrictLoader] = StrictLoader) -> Any:
    """YAML text as data (see the module's docstring); ParseError when it is not valid."""
    try:
        return yaml.load(text, Loader=loader)  # a SafeLoader
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        reason = " ".join(str(error.problem or error.context or "invalid").split())
        if error.context and error.problem:
            reason += f" ({' '.join(error.context.split())})"
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise ParseError(reason, line, column, limit=isinstance(error, _Refused)) from None
    except yaml.reader.ReaderError as error:
        reason = f"character #x{error.character:04x} is not allowed in YAML"
        raise ParseError(reason, *_position(text, error.position)) from None
    except yaml.YAMLError as error:  # no other kind is raised by a loader; kept to one line all the same
        raise ParseError(" ".join(str(error).split()), 1, 1) from None


def load_yaml(text: str, origin: str) -> Any:
    """YAML text of the file `origin`; InvalidInputError naming the file, line and column."""
    try:
        return parse_yaml(text)
    except ParseError as error:
        raise InvalidInputError(f"{origin}: {error.message('YAML')}") from None
