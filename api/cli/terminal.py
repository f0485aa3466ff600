"""The one rule for text that reaches the terminal from a user: it is shown, never obeyed.

Names, keys, descriptions, file paths and error messages come from tasks files, repositories and
the command line. Before any of it is printed, `visible` replaces control characters (ESC, BEL,
the other C0 and C1 controls, DEL, line and paragraph separators, bidirectional overrides) with a
visible escape (`\\x1b`), keeping newline and tab only where a multi-line field is shown; `markup`
also escapes Rich markup (`[/]`, `[bold]`) for text printed through Rich. `console` makes the
command's Rich consoles, with emoji codes (`:thumbs_up:`) left as written.
"""

from __future__ import annotations

import logging
from typing import IO, Any

from rich.console import Console
from rich.markup import escape

_BIDI = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
_HIDDEN = (*range(0x00, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029, *_BIDI)
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _shown(code: int) -> str:
    char = chr(code)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


_SINGLE_LINE = str.maketrans({code: _shown(code) for code in _HIDDEN})
_MULTI_LINE = str.maketrans({code: _shown(code) for code in _HIDDEN if chr(code) not in "\n\t"})


def visible(text: object, *, multiline: bool = False) -> str:
    """`text` with every control character replaced by a visible escape (newline and tab kept
    when `multiline`)."""
    return str(text).translate(_MULTI_LINE if multiline else _SINGLE_LINE)


def markup(text: object, *, multiline: bool = False) -> str:
    """`text` made visible and escaped, to put into Rich markup as plain text."""
    return escape(visible(text, multiline=multiline))


def console(file: IO[str] | None = None, **options: Any) -> Console:
    """A Rich console for the command's output: markup only from execplan itself, no emoji codes."""
    return Console(file=file, emoji=False, **options)


class VisibleFormatter(logging.Formatter):
    """Log lines with user text in them: a message stays one line; a traceback keeps its lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return visible(super().formatMessage(record))

    def formatException(self, ei: Any) -> str:
        return visible(super().formatException(ei), multiline=True)

    def formatStack(self, stack_info: str) -> str:
        return visible(super().formatStack(stack_info), multiline=True)
