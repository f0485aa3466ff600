"""GitHub spec-kit's `tasks.md` (`specs/<feature>/tasks.md`), as a tasks document.

The format, as spec-kit's templates define it (templates/tasks-template.md, templates/commands/
tasks.md and implement.md): `# Tasks: <feature>`, then phases (`## Phase 1: Setup`,
`## Phase 2: Foundational`, one `## Phase N: User Story K - <title> (Priority: PK)` per story,
`## Phase N: Polish`; older files number them `Phase 3.1`), each with task lines
`- [ ] T001 [P] [US1] Create User model in src/models/user.py` — `[X]`/`[x]` is done, `[P]` "can run
in parallel (different files, no dependencies)" and is written ONLY then, `[USk]` names the story.
"Complete each phase before moving to the next", except that once Foundational is done the user
stories "can proceed in parallel"; Polish depends on all of them. A `## Dependencies` section may
say otherwise.

How it is read:
- Every top-level checkbox line that starts with an ID is a task, keyed by the ID; its text is
  the rest of the line and the indented lines under it. Each level-2 heading (or a heading that
  starts with `Phase`) opens a phase; a phase whose heading names a user story is a story phase.
- Story labels are epics (`US1`, named and prioritised from the story's phase heading, its
  `**Goal**` as description); Setup, Foundational and Polish tasks have none.
- Phases order tasks: a task depends on the tasks of the phase(s) before its own — a story phase on
  the last non-story phase before it (stories side by side), any other phase on everything since
  the last non-story phase — skipping through a phase whose tasks are all done. `speckit_order.py`
  reads what a Dependencies section or a task line says instead (`T008 blocks T009`, `depends on
  T012, T013`, `**User Story 4**: Depends on User Story 1`).
- `[P]` is the hint `parallel: true`; when the file uses `[P]` at all, a task without it is
  `parallel: false` (the format writes `[P]` only where tasks are parallel-safe).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner.core.errors import Problem
from planner.formats.source import Converted, read_text
from planner.formats.speckit_order import Phase, phase_predecessors, task_statements
from planner.formats.validate import Sources

TITLE = re.compile(r"^#\s+(?:Tasks\s*:\s*)(.+?)\s*$", re.I)
HEADING = re.compile(r"^(#{2,6})\s+(.*?)\s*#*\s*$")
PHASE = re.compile(r"^Phase\s+(\d+(?:\.\d+)*)\b\s*[:.)-]?\s*(.*)$", re.I)
STORY = re.compile(r"\b(?:User\s+Story|Story|US)\s*(\d+)\b", re.I)
CHECKBOX = re.compile(r"^[-*+]\s+\[([ xX])\]\s+(.*)$")
TASK_ID = re.compile(r"^\**([A-Za-z]{1,5}-?\d+(?:\.\d+)*[a-z]?)\**(?=[\s:.)\]]|$)[:.)]?\s*")
LABEL = re.compile(r"^\[([^\]]+)\]\s*")
GOAL = re.compile(r"^\*\*Goal\*\*\s*:?\s*(.*)$", re.I)
PRIORITY = re.compile(r"Priority\s*:?\s*P(\d+)", re.I)


@dataclass
class Task:
    key: str
    line: int
    done: bool
    parallel: bool
    story: str | None
    phase: int
    text: list[str] = field(default_factory=list)


@dataclass
class Document:
    feature: str | None = None
    phases: list[Phase] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    goals: dict[int, str] = field(default_factory=dict)  # phase index -> its **Goal**
    dependency_lines: list[str] = field(default_factory=list)  # the Dependencies section(s)
    problems: list[Problem] = field(default_factory=list)


def _phase(heading: str, line: int) -> Phase:
    found = PHASE.match(heading)
    number, name = (found.group(1), found.group(2)) if found else (None, heading)
    story = STORY.search(heading)
    return Phase(number, name.strip(), line, f"US{int(story.group(1))}" if story else None)


def parse(text: str, path: Path) -> Document:
    doc = Document()
    in_dependencies, level_of_dependencies = False, 0
    unnumbered: dict[int, list[int]] = {}  # phase -> lines of checkboxes without an ID
    current: Task | None = None
    fence, comment = False, False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if line.lstrip().startswith(("```", "~~~")):
            fence, current = not fence, None
            continue
        if comment or (line.lstrip().startswith("<!--") and "-->" not in line):
            comment = "-->" not in line
            continue
        if fence:
            continue
        if doc.feature is None and not doc.phases and (title := TITLE.match(line)):
            doc.feature = title.group(1)
            continue
        if heading := HEADING.match(line):
            current = None
            level, words = len(heading.group(1)), heading.group(2)
            if in_dependencies and level <= level_of_dependencies:
                in_dependencies = False
            if in_dependencies:
                continue  # a sub-heading of the Dependencies section
            if "dependenc" in words.lower() and not PHASE.match(words):
                in_dependencies, level_of_dependencies = True, level
            elif level == 2 or PHASE.match(words):
                doc.phases.append(_phase(words, number))
            continue
        if in_dependencies:
            doc.dependency_lines.append(line)
            continue
        if current is not None and (not line or line[:1].isspace()):
            if line.strip():
                current.text.append(line.strip())
            continue
        current = None
        if doc.phases and (goal := GOAL.match(line)):
            doc.goals.setdefault(len(doc.phases) - 1, goal.group(1).strip())
        box = CHECKBOX.match(line)
        if box is None:
            continue
        if not doc.phases:
            doc.phases.append(Phase(None, "", number, None))
        phase = len(doc.phases) - 1
        found = TASK_ID.match(box.group(2))
        if found is None:
            unnumbered.setdefault(phase, []).append(number)
            continue
        rest, parallel, story = box.group(2)[found.end() :], False, None
        while label := LABEL.match(rest):
            value = label.group(1).strip()
            if value.upper() == "P":
                parallel = True
            elif re.fullmatch(r"US\s*\d+", value, re.I):
                story = f"US{int(value[2:].strip())}"
            else:
                break
            rest = rest[label.end() :]
        current = Task(found.group(1), number, box.group(1) != " ", parallel, story, phase, [rest.strip()])
        doc.tasks.append(current)
    for phase, lines in unnumbered.items():
        if any(t.phase == phase for t in doc.tasks) or doc.phases[phase].number is not None:
            doc.problems.extend(
                Problem(
                    (), "a task line needs an ID after its checkbox (`- [ ] T001 ...`)", source=f"{path}:{n}"
                )
                for n in lines
            )
    return doc


def _epics(doc: Document) -> list[dict[str, Any]]:
    epics: dict[str, dict[str, Any]] = {}
    for task in doc.tasks:
        if task.story is None or task.story in epics:
            continue
        home = next((n for n, p in enumerate(doc.phases) if p.story == task.story), None)
        epic: dict[str, Any] = {"key": task.story, "name": task.story}
        if home is not None:
            heading = doc.phases[home].name
            name = re.split(r"\s*\(\s*Priority", heading, maxsplit=1, flags=re.I)[0].strip(" -\u2013\u2014")
            epic["name"] = name or task.story
            if priority := PRIORITY.search(heading):
                epic["priority"] = int(priority.group(1))
            if home in doc.goals:
                epic["description"] = doc.goals[home]
        epics[task.story] = epic
    return list(epics.values())


def _depends_on(doc: Document) -> dict[str, list[str]]:
    """Each task's dependencies: what the file says of it, then its phase's predecessors."""
    known = [t.key for t in doc.tasks]
    explicit = task_statements(doc.dependency_lines, known, {t.key: " ".join(t.text) for t in doc.tasks})
    by_phase: dict[int, list[Task]] = {}
    for task in doc.tasks:
        by_phase.setdefault(task.phase, []).append(task)
    story_homes: dict[str, set[int]] = {}
    for task in doc.tasks:
        if task.story:
            story_homes.setdefault(task.story, set()).add(task.phase)
    predecessors = phase_predecessors(doc.phases, set(by_phase), story_homes, doc.dependency_lines)
    memo: dict[int, list[str]] = {}

    def before(phase: int, seen: frozenset[int]) -> list[str]:
        if phase in memo:
            return memo[phase]
        keys: list[str] = []
        for other in predecessors.get(phase, ()):
            if other in seen:
                continue
            members = by_phase.get(other, [])
            keys += [t.key for t in members]
            if all(t.done for t in members):  # a finished phase still passes on what came before it
                keys += before(other, seen | {phase})
        memo[phase] = list(dict.fromkeys(keys))
        return memo[phase]

    return {
        t.key: [
            k for k in dict.fromkeys([*explicit.get(t.key, []), *before(t.phase, frozenset())]) if k != t.key
        ]
        for t in doc.tasks
    }


def read(path: Path, tag: str | None = None) -> Converted:
    """Read a spec-kit tasks.md; `tag` is not used (taskmaster's)."""
    doc = parse(read_text(path), path)
    marks_parallel = any(t.parallel for t in doc.tasks)
    depends = _depends_on(doc)
    tasks = []
    for task in doc.tasks:
        entry: dict[str, Any] = {
            "key": task.key,
            "description": "\n".join(p for p in task.text if p),
            "depends_on": depends[task.key],
            "done": task.done,
            "metadata": {
                "origin": {
                    "format": "speckit",
                    "where": f"{path.name}:{task.line}",
                    "phase": doc.phases[task.phase].name,
                }
            },
        }
        if task.story:
            entry["epic"] = task.story
        if marks_parallel:
            entry["parallel"] = task.parallel
        tasks.append(entry)
    project = {"name": doc.feature} if doc.feature else {}
    document = {"project": project, "epics": _epics(doc), "tasks": tasks}
    sources = Sources(str(path), (), [f"{path}:{t.line}" for t in doc.tasks])
    default = path.resolve().parent.name
    return Converted(document, sources, path.resolve().parent, default, tuple(doc.problems))
