"""The order of a spec-kit tasks.md: which phases come before which, and what the file says of tasks.

By default (spec-kit's template, "Dependencies & Execution Order"): a story phase comes after the
last non-story phase before it (Foundational), and beside the other stories; any other phase comes
after everything since the last non-story phase (Polish after every story). A Dependencies
section changes that with bullets whose bold subject names phases, read clause by clause:
`- **User Story 4 (P2)**: Depends on User Story 1 completion - Enhances US1` puts US4's phase after
US1's only (the clause without a dependency word says nothing); a subject such as
`User Stories (Phase 3+)` names no phase of its own and is left alone, and so is a clause that
names no phase (`Depends on all desired user stories`). A phase is named as `Phase 3`,
`User Story 2` / `US2`, or by the first words of its heading (`Setup`, `Foundational`).

Single tasks: `T008 blocks T009, T015`, `T014 depends on T012, T013`, `Tests (T004-T007) before
implementation (T008-T014)` in a Dependencies section, and `depends on T012, T013` (or requires,
after, blocked by, needs, waits for; blocks, before the other way round) in a task's own text.
Only IDs of the file's tasks count (ranges are expanded over them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Phase:
    number: str | None  # "3", "3.1"; None for a heading that is not `Phase N`
    name: str  # the heading without `Phase N:`
    line: int
    story: str | None  # "US1" when the heading names a user story


SUBJECT = re.compile(r"^\s*[-*+]\s+\*\*(.+?)\*\*\s*:?\s*(.*)$")
DEPENDS = re.compile(r"\b(?:depends?\s+on|after|requires?|blocked\s+by|waits?\s+for|needs?|once)\b", re.I)
CLAUSE = re.compile(r"\s+[-\u2013\u2014]\s+|;|\.\s+|,\s*but\s+|\s+but\s+", re.I)
PHASE_REF = re.compile(r"\bPhase\s+(\d+(?:\.\d+)*)(?!\s*\+)", re.I)
STORY_REF = re.compile(r"\b(?:User\s+Story|US)\s*(\d+)\b", re.I)
NAME_END = re.compile(r"\s*(?:\(|&|\s[-\u2013\u2014]\s|:|⚠|\bMUST\b)")
ID = r"[A-Za-z]{1,5}-?\d+(?:\.\d+)*[a-z]?"
IDS = re.compile(rf"\b({ID})(?:\s*(?:-|\u2013|\u2014|\.\.)\s*({ID}))?\b")
VERB = re.compile(r"\b(blocks|before|depends?\s+on|requires?|after|blocked\s+by|waits?\s+for|needs?)\b", re.I)
REVERSED = ("blocks", "before")  # `A blocks B`: B depends on A


def short_name(name: str) -> str:
    """The first words of a phase heading: `Setup (Shared Infrastructure)` -> Setup."""
    return NAME_END.split(name, maxsplit=1)[0].strip(" -\u2013\u2014.:*")


def default_predecessors(phases: Sequence[Phase], occupied: Iterable[int]) -> dict[int, list[int]]:
    """The template's order: stories side by side after the last non-story phase."""
    preds: dict[int, list[int]] = {}
    base: int | None = None
    since: list[int] = []  # the last non-story phase and the story phases after it
    for n in sorted(occupied):
        if phases[n].story:
            preds[n] = [base] if base is not None else []
            since.append(n)
        else:
            preds[n] = list(since)
            base, since = n, [n]
    return preds


def _phases_named(
    text: str, phases: Sequence[Phase], occupied: set[int], story_homes: Mapping[str, set[int]]
) -> set[int]:
    found: set[int] = set()
    for ref in PHASE_REF.finditer(text):
        found |= {n for n, p in enumerate(phases) if p.number == ref.group(1)}
    for ref in STORY_REF.finditer(text):
        story = f"US{int(ref.group(1))}"
        headed = {n for n, p in enumerate(phases) if p.story == story and n in occupied}
        found |= headed or set(story_homes.get(story, ()))
    for n, phase in enumerate(phases):
        short = short_name(phase.name) if phase.story is None else ""
        if len(short) >= 3 and re.search(rf"\b{re.escape(short)}\b", text, re.I):
            found.add(n)
    return found & occupied


def phase_predecessors(
    phases: Sequence[Phase], occupied: set[int], story_homes: Mapping[str, set[int]], lines: Sequence[str]
) -> dict[int, list[int]]:
    """Each occupied phase's predecessors: the template's order, as the Dependencies section amends it."""
    preds = default_predecessors(phases, occupied)
    said: dict[int, set[int]] = {}
    for line in lines:
        statement = SUBJECT.match(line)
        if statement is None or "+" in statement.group(1):
            continue
        subjects = _phases_named(statement.group(1), phases, occupied, story_homes)
        clauses = [c for c in CLAUSE.split(statement.group(2)) if DEPENDS.search(c)]
        named = set().union(*(_phases_named(c, phases, occupied, story_homes) for c in clauses))
        for subject in subjects:
            if named - {subject}:
                said.setdefault(subject, set()).update(named - {subject})
    preds.update({n: sorted(before) for n, before in said.items()})
    return preds


def _expand(first: str, last: str | None, known: set[str]) -> list[str]:
    if last is None:
        return [first] if first in known else []
    a, b = re.fullmatch(r"(\D*)(\d+)", first), re.fullmatch(r"(\D*)(\d+)", last)
    if a is None or b is None or a.group(1) != b.group(1):
        return [k for k in (first, last) if k in known]
    width, prefix = len(a.group(2)), a.group(1)
    numbers = range(int(a.group(2)), int(b.group(2)) + 1)
    return [key for key in (f"{prefix}{str(n).zfill(width)}" for n in numbers) if key in known]


def _ids(text: str, known: set[str]) -> list[str]:
    return [key for m in IDS.finditer(text) for key in _expand(m.group(1), m.group(2), known)]


def task_statements(
    lines: Sequence[str], keys: Sequence[str], texts: Mapping[str, str]
) -> dict[str, list[str]]:
    """What the Dependencies section and each task's own text say task by task: key -> its deps."""
    known = set(keys)
    deps: dict[str, list[str]] = {}

    def add(later: Iterable[str], earlier: Sequence[str]) -> None:
        for key in later:
            deps.setdefault(key, []).extend(e for e in earlier if e != key)

    for line in lines:
        verb = VERB.search(line)
        if verb is None:
            continue
        left, right = _ids(line[: verb.start()], known), _ids(line[verb.end() :], known)
        if left and right:
            reversed_ = verb.group(1).lower() in REVERSED
            add(right if reversed_ else left, left if reversed_ else right)
    for key, text in texts.items():
        for verb in VERB.finditer(text):
            named = _ids(re.split(r"[).;\n]", text[verb.end() :], maxsplit=1)[0], known)
            if verb.group(1).lower() in REVERSED:
                add(named, [key])
            else:
                add([key], named)
    return {key: list(dict.fromkeys(values)) for key, values in deps.items()}
