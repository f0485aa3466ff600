"""What a task text names: paths, file names, dotted names, code identifiers, and plain words.

Extraction is purely textual; matching the mentions to files is the ranking's job. A mention
that would leave the repository (an absolute path, a `..` segment) is refused here. Each path
gets the role the text gives it (`analyzer.spec`: to change, only read, or just mentioned);
names and words come from the text's focus, the part that says what the task does.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from analyzer.spec import HEADING, Role, creates, focus_text, looks_like_spec, role_at, spec_lines, tree_paths
from analyzer.tracked import is_safe_path
from analyzer.vocabulary import spellings, text_words

PATH_TOKEN = re.compile(r"(?<![\w/.@:-])(?:\.{0,2}/)?\.?[\w@+-]+(?:[./][\w@+-]+)*/?")
DOTFILE = re.compile(r"^\.[A-Za-z][\w.-]*$")
"""`.env.example`, `.eslintrc`: a file name when written as code."""
QUOTED = re.compile(r"`([^`\n]{1,120})`|(?<!\w)'([^'\s]{1,80})'(?!\w)|\"([^\"\s]{1,80})\"")
IDENTIFIER = re.compile(r"(?<![\w./-])([A-Za-z_$][\w$]*(?:(?:\.|::|#)[A-Za-z_$][\w$]*)*)(\(\))?")
CAMEL = re.compile(r"[a-z][A-Z]|[A-Z]{2,}[a-z]|^[A-Z][a-z0-9]+[A-Z]")
FILE_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,9}$")
BRAND = re.compile(r"^[A-Z][a-z0-9]*\.js$")
ROLE = re.compile(r"(?<![\w`]):(?:[\w-]+:)*([\w-]+):`([^`\n]{1,120})`")
"""A Sphinx cross-reference, `:class:`.MetaData``, `:py:meth:`~Session.merge``: its role and
target. Only the `file` and `download` roles name files; the others name code."""
FILE_ROLES = frozenset({"file", "download"})
ROLE_RANK: dict[Role, int] = {"read": 0, "mention": 1, "change": 2}
KNOWN_EXTENSIONS = frozenset(
    """py pyi js jsx mjs cjs ts tsx mts cts go rs java kt kts rb php c h cc cpp hpp cs swift scala md
    rst txt adoc json toml yaml yml cfg ini xml lock mod sum html htm css scss sass less jade pug ejs
    hbs sh bash zsh sql proto gradle properties in inc tmpl tpl svg dart vue svelte astro ex exs erl
    hs ml clj lua r jl pl pm m mm graphql gql prisma tf hcl env conf ipynb csv tsx jsonl""".split()
)
"""Extensions a bare file name (no folder) must end in to be read as one; a path with a folder
may end in any extension."""


@dataclass(frozen=True)
class Mentions:
    """Everything a text names. `paths` hold `/` or a file extension (`docs/api.rst`, `client.py`),
    `created` are those of them right after a word of creation ("add", "create", "new");
    `dotted` are `a.b.c` names; `identifiers` are code-like names (CamelCase, snake_case, `quoted`,
    `call()`), `plain` the other tokens as written; `words` the stemmed words of the text's focus,
    and `message_words` the same with change verbs kept, as commit messages are read. `roles`
    gives each path its role (the strongest where it is named several times); `spelling` maps a
    stemmed word back to how the text wrote it, for evidence in the user's words."""

    paths: tuple[str, ...]
    created: tuple[str, ...]
    dotted: tuple[str, ...]
    identifiers: tuple[str, ...]
    plain: tuple[str, ...]
    words: tuple[str, ...]
    message_words: tuple[str, ...]
    roles: dict[str, Role] = field(default_factory=dict)
    spelling: dict[str, str] = field(default_factory=dict)
    quotes: dict[str, str] = field(default_factory=dict)
    """Per path, the words of the line that gave it its role (trimmed), for evidence."""
    spec: bool = False
    """Whether the text reads as a spec (`analyzer.spec.looks_like_spec`)."""
    near: dict[str, str] = field(default_factory=dict)
    """Per bare file name, the folder the text named last before it (`prefetch/ — a new package
    (observer.py, cache.py)`): where a new file of that name lies when the folder is new."""
    rooted: tuple[str, ...] = ()
    """Paths written from the repository's top with a leading `/` (as code), the `/` dropped: a
    path only when their first folder is at the top (else they may lie outside)."""

    def role(self, path: str) -> Role:
        """The role the text gives `path` (`mention` for one it does not name as a path)."""
        return self.roles.get(path, "mention")

    def spelled(self, word: str) -> str:
        """How the text wrote the stemmed `word` (the stem itself when it never did)."""
        return self.spelling.get(word, word)


def is_code_like(token: str, quoted: bool, called: bool) -> bool:
    """CamelCase, snake_case, ALL_CAPS, quoted or called tokens read as code, not prose."""
    if quoted or called:
        return True
    bare = token.strip("_$")
    return "_" in bare or bool(CAMEL.search(bare)) or (bare.isupper() and len(bare) > 3)


def extract_mentions(text: str, title: str = "") -> Mentions:
    """The paths (with their roles), dotted names, identifiers, plain tokens and words of `text`."""
    paths: dict[str, None] = {}
    roles: dict[str, Role] = {}
    quotes: dict[str, str] = {}
    rooted: dict[str, None] = {}
    dotted: dict[str, None] = {}
    identifiers: dict[str, None] = {}
    plain: dict[str, None] = {}
    created: dict[str, None] = {}
    lines = spec_lines(text)
    near: dict[str, str] = {}
    folder: str | None = None
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line.text) + 1)
    references = [m for m in ROLE.finditer(text) if m.group(1) not in FILE_ROLES]
    in_reference = {at for m in references for at in range(m.start(2), m.end(2))}
    for match in PATH_TOKEN.finditer(text):
        token = match.group(0).rstrip(".")
        if "/" not in token and "." not in token:
            continue  # a word: neither a path, a file name nor a dotfile
        if match.start() in in_reference or text.startswith("(", match.end()):
            continue  # `:class:`.MetaData``, `.where()`: names of code, not (dot)files
        as_code = text[match.start() - 1 : match.start()] in ("`", "'", '"')
        if BRAND.match(token) and not as_code:
            continue  # "Node.js", "Vue.js": a technology named in prose, not a file
        named = FILE_EXTENSION.search(token) and is_file_name(token)
        if "/" in token.strip("/") or named or (as_code and DOTFILE.match(token)):
            cleaned = token.removeprefix("./").rstrip("/")
            if as_code and cleaned.startswith("/") and not cleaned.startswith("//"):
                cleaned = cleaned.lstrip("/")  # `/apps/web/page.tsx`: kept only if `apps/` is at the top
                rooted.setdefault(cleaned, None)
            number = min(len(lines) - 1, bisect.bisect_right(starts, match.start()) - 1)
            line, column = lines[number], match.start() - starts[number]
            if line.in_code and "/" not in cleaned:
                continue  # a bare name in a code block (a tree of files): where it lies is unknown
            if HEADING.match(line.text) and not line.in_code and "/" in cleaned:
                folder = None  # a folder named under another heading says nothing of this one
            if is_safe_path(cleaned):
                if token.endswith("/") and not line.in_code:
                    folder = cleaned
                elif "/" not in cleaned and folder is not None:
                    near.setdefault(cleaned, folder)
                if cleaned not in rooted:
                    paths.setdefault(cleaned, None)
                role = role_at(line, column)
                if cleaned not in roles or ROLE_RANK[role] > ROLE_RANK[roles[cleaned]]:
                    roles[cleaned] = role
                    quotes[cleaned] = quote(line.text)
                if role != "read" and creates(line, column):
                    created.setdefault(cleaned, None)
    for path, _ in tree_paths(text):
        if is_safe_path(path) and path not in roles:
            paths.setdefault(path, None)
            roles[path] = "mention"
            quotes[path] = f"in a tree of files: {path}"
    focus = focus_text(text, title)
    quoted_spans = [next(g for g in match.groups() if g) for match in QUOTED.finditer(focus)]
    # a reference's target as written, less the `~` and `.` that only say how Sphinx finds it
    quoted_spans += [m.group(2).lstrip("~.") for m in ROLE.finditer(focus) if m.group(1) not in FILE_ROLES]
    quoted_set = set(quoted_spans)
    for span in [focus, *quoted_spans]:
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
    spelling: dict[str, str] = {}
    for token in re.findall(r"[A-Za-z][A-Za-z0-9_]*", focus):
        for word, part in spellings(token):
            spelling.setdefault(word, part)
    return Mentions(
        paths=tuple(paths),
        created=tuple(created),
        dotted=tuple(d for d in dotted if d not in paths),
        identifiers=tuple(identifiers),
        plain=tuple(plain),
        words=tuple(dict.fromkeys(text_words(focus))),
        message_words=tuple(dict.fromkeys(text_words(focus, keep_verbs=True))),
        roles=roles,
        spelling=spelling,
        quotes=quotes,
        spec=looks_like_spec(text),
        rooted=tuple(p for p in rooted if p not in paths),
        near=near,
    )


def quote(line: str, limit: int = 70) -> str:
    """A line of the text as evidence: markup and list marks stripped, at most `limit` characters."""
    text = re.sub(r"^[\s#>*+-]*(\[[ xX]\]\s*)?", "", line).replace("`", "").replace("**", "").strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def is_file_name(token: str) -> bool:
    """A token that names a file: `client.py`, `go.mod` (a known extension), or with a folder any
    extension of letters (`lib/providers/record_provider.dart`); never a version (`0.9`)."""
    head, _, name = token.rpartition("/")
    base, dot, suffix = name.rpartition(".")
    if not dot or not base or base.replace(".", "").isdigit():
        return False
    if suffix.lower() in KNOWN_EXTENSIONS:
        return True
    return bool(head) and suffix.isalpha() and len(suffix) <= 10
