"""Reading a task text as a spec: which named files it will change, and which it only reads.

Task lists written for agents say what they will do in recognisable ways: a line with a verb of
change ("Create `x.py`", "In `lib/a.dart`, add …", "Update README.md"), a label of files to change
("Files to modify:", "**Files affected:**", "Deliverables", "Tests to write"), a checklist item;
and what they only use in others: a verb of reading ("Reference `chat_provider.dart` for its
patterns", "uses the model from …", "see …"), a label of context ("Receives from", "Patterns to
follow", "Dependencies", "Context", "Related"). Each named path gets one role:

- `change`: the line (or, failing a verb in the line, the section it is in) says it changes;
- `read`: the line (or its section) says it is read, used or followed;
- `mention`: neither (prose, a directory tree in a code block, an example).

Within a line, the nearest verb before the path wins; a line without one takes the role of the
label or heading above it. The text that describes what the task does — its title, the lines
outside code blocks that are not about what it reads — is its `focus`: word-based signals are
read from it, so a long spec's context sections do not flood the prediction. `looks_like_spec`
tells a spec (long, with headings or a checklist) from a commit-message-like text;
`tree_paths` reads the directory trees specs draw in code blocks (their files are mentioned).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Role = Literal["change", "read", "mention"]

CHANGE_WORDS = (
    "add", "adds", "adding", "added", "create", "creates", "creating", "created", "new", "implement",
    "implements", "implementing", "modify", "modifies", "modifying", "update", "updates", "updating",
    "edit", "edits", "editing", "change", "changes", "changing", "write", "writes", "writing",
    "extend", "extends", "extending", "refactor", "refactors", "refactoring", "fix", "fixes",
    "fixing", "remove", "removes", "removing", "delete", "deletes", "deleting", "rename", "renames",
    "move", "moves", "migrate", "migrates", "replace", "replaces", "rewrite", "rewrites", "register",
    "wire", "integrate", "integrates", "expose", "exposes", "produces", "produce", "introduce",
    "introduces", "generate", "generates", "append", "insert", "inserts", "put", "place", "define",
    "defines", "split", "extract", "convert", "deliverable", "deliverables", "affected", "modified",
    "touched", "changed", "output", "outputs", "scaffold", "setup", "build", "enhance", "enhanced",
    "improve", "upgrade", "bump", "configure", "document", "test", "tests",
)  # fmt: skip
READ_WORDS = (
    "reference", "references", "see", "follow", "follows", "following", "pattern", "patterns",
    "like", "similar", "based", "uses", "use", "using", "used", "import", "imports", "importing",
    "read", "reads", "reading", "consume", "consumes", "receives", "receive", "depends", "depend",
    "dependency", "dependencies", "context", "existing", "related", "requires", "require", "via",
    "from", "inspired", "mirror", "mirrors", "calls", "call", "consult", "per", "blocked", "after",
    "prerequisite", "prerequisites", "reuse", "reuses", "leverage", "leverages", "example", "examples",
)  # fmt: skip
CREATION_WORDS = frozenset(
    "add adds adding added create creates creating created new introduce introduces generate "
    "generates scaffold write writes".split()
)
CHANGE = frozenset(CHANGE_WORDS)
READ = frozenset(READ_WORDS)
HEADING = re.compile(r"^\s*(#{1,6}\s+.*|\*\*[^*]+\*\*:?\s*$|[A-Z][\w /&()-]{0,60}:\s*$)")
LABEL = re.compile(r"^\s*(?:[-*+]\s+)?(?:\[[ xX]\]\s*)?\**([A-Za-z][\w /&()'-]{0,60}?)\**\s*:(?!:)\**")
WORD = re.compile(r"[A-Za-z][a-z]+")
FENCE = re.compile(r"^\s*(```|~~~)")
CODE_SPAN = re.compile(r"`[^`]*`?|\b\w+[_.(]\w*|\b[a-z]+[A-Z]\w*")
"""Code in a line (`spans`, snake_case, dotted or camelCase names): its words are no verbs."""


def prose_words(text: str) -> list[str]:
    """The lower-cased words of `text` outside code."""
    return WORD.findall(CODE_SPAN.sub(" ", text).lower())


@dataclass(frozen=True)
class SpecLine:
    """One line of the text: its role for the paths in it without a verb of their own, and
    whether it is inside a fenced code block."""

    text: str
    role: Role
    in_code: bool


def _role_of_words(words: list[str]) -> Role | None:
    """The role the last verb of `words` gives (None without one)."""
    for word in reversed(words):
        if word in READ:
            return "read"
        if word in CHANGE:
            return "change"
    return None


def _label_role(line: str) -> Role | None:
    """The role a heading or label line gives what follows it ("Files to modify:", "## Context")."""
    match = LABEL.match(line) if not HEADING.match(line) else None
    words = WORD.findall((match.group(1) if match else line).lower())
    return _role_of_words(words)


def spec_lines(text: str) -> list[SpecLine]:
    """Every line with its role (see the module) and whether it is code."""
    lines: list[SpecLine] = []
    section: Role = "mention"
    in_code = False
    for raw in text.split("\n"):
        if FENCE.match(raw):
            in_code = not in_code
            lines.append(SpecLine(raw, section, True))
            continue
        if in_code:
            lines.append(SpecLine(raw, section, True))
            continue
        if HEADING.match(raw):
            section = _label_role(raw) or "mention"
            lines.append(SpecLine(raw, section, False))
            continue
        label = LABEL.match(raw)
        own = _label_role(raw) if label else None
        lines.append(SpecLine(raw, own or section, False))
    return lines


def role_at(line: SpecLine, column: int) -> Role:
    """The role of a path that starts at `column` of `line`: the nearest verb before it in the
    line, else (in a list item or a sentence about it) the line's own role."""
    if line.in_code:
        return "mention"
    before = prose_words(line.text[:column])
    found = _role_of_words(before[-8:])
    if found is not None:
        return found
    rest = line.text[column:].split(None, 1)
    after = prose_words(rest[1])[:5] if len(rest) > 1 else []
    for word in after:
        if word in READ:
            return "read"
        if word in CHANGE:
            return "change"
    return line.role


def creates(line: SpecLine, column: int) -> bool:
    """Whether a verb of creation stands before the path in its line (or its label)."""
    return any(word in CREATION_WORDS for word in prose_words(line.text[:column])[-8:])


CHECKBOX = re.compile(r"^\s*(?:[-*+]|\d+\.)\s+\[[ xX]\]")


def looks_like_spec(text: str, min_words: int = 150, min_marks: int = 2) -> bool:
    """Whether a text is a spec written for an agent rather than a commit message: it is long, or
    it has headings or labelled sections, or a checklist."""
    if len(WORD.findall(text)) >= min_words:
        return True
    lines = [line for line in spec_lines(text) if not line.in_code]
    headings = sum(1 for line in lines if HEADING.match(line.text))
    boxes = sum(1 for line in lines if CHECKBOX.match(line.text))
    return headings >= min_marks or boxes >= min_marks


TREE_LINE = re.compile(r"^(?P<lead>[\s│|]*(?:[├└]──|[|`]--|\+--)?\s*)(?P<name>[^\s#←]+)")
PLACEHOLDER = re.compile(r"[{}<>()*\[\]$]|\.\.\.")
"""`{campaign-name}/`, `<id>.json`, `...`: a name that stands for others, not a file."""
GLYPH = re.compile(r"[├└]──|[|`]--|\+--")


def tree_paths(text: str) -> list[tuple[str, int]]:
    """The files of the directory trees drawn in code blocks (`├── models.py` under `rulebooks/`),
    as full paths with the number of the line that names each; a block counts only when it draws
    with tree glyphs."""
    lines = spec_lines(text)
    found: list[tuple[str, int]] = []
    block: list[tuple[int, str]] = []
    for number, line in enumerate([*lines, SpecLine("```", "mention", True)]):
        if line.in_code and not FENCE.match(line.text):
            block.append((number, line.text))
            continue
        if block and any(GLYPH.search(t) for _, t in block):
            found.extend(_walk(block))
        block = []
    return found


def _walk(block: list[tuple[int, str]]) -> list[tuple[str, int]]:
    """The files of one drawn tree: each name under the folders above it that are less indented."""
    stack: list[tuple[int, str]] = []  # (indent, folder)
    found = []
    for number, raw in block:
        match = TREE_LINE.match(raw)
        if match is None or not match.group("name").strip("/"):
            continue
        indent = len(match.group("lead"))
        name = match.group("name")
        while stack and stack[-1][0] >= indent:
            stack.pop()
        folders = [folder for _, folder in stack]
        path = "/".join([*folders, name.strip("/")])
        if name.endswith("/"):
            stack.append((indent, name.strip("/")))
        elif "." in name.lstrip(".") and stack and not PLACEHOLDER.search(path):
            found.append((path, number))
    return found


def focus_text(text: str, title: str = "") -> str:
    """The words that say what the task does: its title and the lines that are not code and not
    about what it reads (see the module)."""
    kept = [title] if title else []
    for line in spec_lines(text):
        if not line.in_code and line.role != "read":
            kept.append(line.text)
    return "\n".join(kept)
