"""The bounds every task list is held to, whatever its format, before its fields are checked.

What the database, the JSON encoder or the machine would refuse later, with a traceback and
after part of the work: a file over `MAX_FILE_BYTES` or not a regular file (`/dev/zero`, a pipe),
nesting deeper than `MAX_DEPTH`, an integer outside PostgreSQL's bigint (the widest integer a
jsonb value is read back into; the int4 columns are bounded by the schema), a float that is not
finite, a string or key with a NUL character (text and jsonb cannot hold one) or an unpaired
surrogate (not UTF-8), a mapping key given twice or one that is not a string. The parsers
(`parse.py`) keep what they cannot represent as markers (`Mapping`'s defects, `Unbounded`) so
that `problems` reports each with the key it sits under; the validator (`validate.py`) runs it on
every document, and the readers of other formats on their raw input.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from planner.core.errors import Problem

MAX_FILE_BYTES = 8 * 1024 * 1024  # a tasks file, or one file of a ccpm folder
MAX_DEPTH = 32  # objects and lists inside each other, the document itself being the first
INT8_MIN, INT8_MAX = -(2**63), 2**63 - 1
BIG_DIGITS = 25  # integers written with more digits are not even converted (see Unbounded)

_SURROGATE = re.compile("[\ud800-\udfff]")

Loc = tuple[str | int, ...]
KINDS = ("too_deep", "bad_key", "out_of_range", "out_of_bounds")  # the kinds of problem found here


class Unbounded(int):
    """An integer written with more than BIG_DIGITS digits, not converted (Python refuses 4,300
    digits or more, and no column or bigint holds even 20): it stands for ±10**BIG_DIGITS, so that
    a field's own limit names it (`must be at most 2147483647, not a 5000-digit number`)."""

    digits: int

    def __new__(cls, digits: int, negative: bool = False) -> Unbounded:
        self = super().__new__(cls, -(10**BIG_DIGITS) if negative else 10**BIG_DIGITS)
        self.digits = digits
        return self

    def __repr__(self) -> str:
        return f"a {self.digits}-digit number"

    __str__ = __repr__


class Mapping(dict[str, Any]):
    """A parsed object whose input had keys it cannot hold: `defects` lists (key, what is wrong)."""

    def __init__(self, items: dict[str, Any], defects: Sequence[tuple[str, str]]) -> None:
        super().__init__(items)
        self.defects = tuple(defects)


def short(value: object, most: int = 60) -> str:
    """The repr of a value for a message, cut to `most` characters."""
    text = repr(value)
    return text if len(text) <= most else text[: most - 1] + "\u2026"


def number(value: int) -> str:
    """An integer for a message (its digits, or how many it has: a huge one cannot be printed)."""
    if isinstance(value, Unbounded) or abs(value) < 10**30:
        return repr(value) if isinstance(value, Unbounded) else str(value)
    return f"a {int(value.bit_length() * math.log10(2)) + 1}-digit number"


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "contains a NUL character (\\u0000), which PostgreSQL cannot store"
    if surrogate := _SURROGATE.search(text):
        return f"contains an unpaired surrogate ({ascii(surrogate.group())[1:-1]}): not valid Unicode"
    return None


def _value_problem(value: Any) -> str | None:
    if isinstance(value, str):
        return _text_problem(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and (isinstance(value, Unbounded) or not INT8_MIN <= value <= INT8_MAX):
        return f"must be between {INT8_MIN} and {INT8_MAX}, not {number(value)}"
    if isinstance(value, float) and not math.isfinite(value):
        return f"must be a finite number, not {value}"
    return None


def problems(data: Any, label: Callable[[Loc], str]) -> list[Problem]:
    """Everything out of bounds in `data`, each at its place (`label` names a place)."""
    found: list[Problem] = []
    stack: list[tuple[Loc, Any]] = [((), data)]
    while stack:
        loc, value = stack.pop()
        if isinstance(value, dict | list) and len(loc) >= MAX_DEPTH:
            where = loc[: min(len(loc), 4)]  # the field it is under; the whole path would be long
            found.append(Problem(where, f"{label(where)}: nested deeper than {MAX_DEPTH} levels", "too_deep"))
            continue
        if isinstance(value, dict):
            if isinstance(value, Mapping):
                found.extend(
                    Problem((*loc, key), f"{label(loc)}: {what}", "bad_key") for key, what in value.defects
                )
            children: list[tuple[Loc, Any]] = []
            for key, item in value.items():
                if not isinstance(key, str):  # a document built in code, not parsed (YAML's are refused)
                    found.append(
                        Problem(
                            (*loc, str(key)), f"{label(loc)}: key {short(key)} is not a string", "bad_key"
                        )
                    )
                elif (wrong := _text_problem(key)) is not None:
                    found.append(Problem((*loc, key), f"{label(loc)}: key {short(key)} {wrong}", "bad_key"))
                else:
                    children.append(((*loc, key), item))
            stack.extend(reversed(children))
        elif isinstance(value, list):
            stack.extend(reversed([((*loc, n), item) for n, item in enumerate(value)]))
        elif (wrong := _value_problem(value)) is not None:
            kind = "out_of_range" if isinstance(value, int) else "out_of_bounds"
            found.append(Problem(loc, f"{label(loc)}: {wrong}", kind))
    return found


def path_label(loc: Loc) -> str:
    """A place in a file of another format: `master.tasks[3].title`, `top level`."""
    text = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
    return text.removeprefix(".") or "top level"
