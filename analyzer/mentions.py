"""What a task text names: paths, file names, dotted names, code identifiers, and plain words.

Extraction is purely textual; matching the mentions to files is the ranking's job. A mention
that would leave the repository (an absolute path, a `..` segment) is refused here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from analyzer.tracked import is_safe_path
from analyzer.vocabulary import text_words

PATH_TOKEN = re.compile(r"(?<![\w/.@:-])(?:\.{0,2}/)?[\w@+-]+(?:[./][\w@+-]+)*/?")
QUOTED = re.compile(r"`([^`\n]{1,120})`|(?<!\w)'([^'\s]{1,80})'(?!\w)|\"([^\"\s]{1,80})\"")
IDENTIFIER = re.compile(r"(?<![\w./-])([A-Za-z_$][\w$]*(?:(?:\.|::|#)[A-Za-z_$][\w$]*)*)(\(\))?")
CAMEL = re.compile(r"[a-z][A-Z]|[A-Z]{2,}[a-z]|^[A-Z][a-z0-9]+[A-Z]")
FILE_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,9}$")
CREATION = re.compile(
    r"\b(add|adds|added|adding|create|creates|created|new|introduce|introduces|write)\b[^.;\n]*$"
)
CREATION_WINDOW = 40
KNOWN_EXTENSIONS = frozenset(
    """py pyi js jsx mjs cjs ts tsx mts cts go rs java kt rb php c h cc cpp hpp cs swift scala md rst
    txt adoc json toml yaml yml cfg ini xml lock mod sum html htm css scss less jade pug ejs hbs sh
    bash sql proto gradle properties in inc tmpl tpl svg""".split()
)


@dataclass(frozen=True)
class Mentions:
    """Everything a text names. `paths` hold `/` or a file extension (`docs/api.rst`, `client.py`),
    `created` are those of them right after a word of creation ("add", "create", "new");
    `dotted` are `a.b.c` names; `identifiers` are code-like names (CamelCase, snake_case, `quoted`,
    `call()`), `plain` the other tokens as written; `words` the stemmed words of the whole text, and
    `message_words` the same with change verbs kept, as commit messages are read."""

    paths: tuple[str, ...]
    created: tuple[str, ...]
    dotted: tuple[str, ...]
    identifiers: tuple[str, ...]
    plain: tuple[str, ...]
    words: tuple[str, ...]
    message_words: tuple[str, ...]


def is_code_like(token: str, quoted: bool, called: bool) -> bool:
    """CamelCase, snake_case, ALL_CAPS, quoted or called tokens read as code, not prose."""
    if quoted or called:
        return True
    bare = token.strip("_$")
    return "_" in bare or bool(CAMEL.search(bare)) or (bare.isupper() and len(bare) > 3)


def extract_mentions(text: str) -> Mentions:
    """The paths, dotted names, identifiers, plain tokens and words of `text`."""
    paths: dict[str, None] = {}
    dotted: dict[str, None] = {}
    identifiers: dict[str, None] = {}
    plain: dict[str, None] = {}
    quoted_spans = [next(g for g in match.groups() if g) for match in QUOTED.finditer(text)]
    quoted_set = set(quoted_spans)
    created: dict[str, None] = {}
    for match in PATH_TOKEN.finditer(text):
        token = match.group(0).rstrip(".")
        if "/" in token.strip("/") or (FILE_EXTENSION.search(token) and is_file_name(token)):
            cleaned = token.removeprefix("./").rstrip("/")
            if is_safe_path(cleaned):
                paths.setdefault(cleaned, None)
                before = text[max(0, match.start() - CREATION_WINDOW) : match.start()].lower()
                if CREATION.search(before):
                    created.setdefault(cleaned, None)
    for span in [text, *quoted_spans]:
        for match in IDENTIFIER.finditer(span):
            token, called = match.group(1), bool(match.group(2))
            quoted = token in quoted_set or span is not text
            normalized = token.replace("::", ".").replace("#", ".")
            if "." in normalized:
                dotted.setdefault(normalized, None)
            elif is_code_like(token, quoted, called):
                identifiers.setdefault(token, None)
            elif len(token) > 2:
                plain.setdefault(token, None)
    return Mentions(
        paths=tuple(paths),
        created=tuple(created),
        dotted=tuple(d for d in dotted if d not in paths),
        identifiers=tuple(identifiers),
        plain=tuple(plain),
        words=tuple(dict.fromkeys(text_words(text))),
        message_words=tuple(dict.fromkeys(text_words(text, keep_verbs=True))),
    )


def is_file_name(token: str) -> bool:
    """A token ending in a known file extension (`client.py`, `go.mod`), not a version (`0.9`)."""
    suffix = token.rsplit(".", 1)[-1].lower()
    return suffix in KNOWN_EXTENSIONS and not token.rsplit(".", 1)[0].replace(".", "").isdigit()
