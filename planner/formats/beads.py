"""beads' `issues.jsonl` (`.beads/issues.jsonl`, one issue per line), as a tasks document.

The format, as beads defines it (internal/types/types.go, docs/DEPENDENCIES.md): each line is an
issue with `id`, `title`, `description`, `design`, `acceptance_criteria`, `notes`, `status` (open,
in_progress, blocked, deferred, closed, pinned, hooked), `priority` (0 critical .. 4),
`issue_type` (task, bug, feature, chore, epic, ...), `estimated_minutes`, and `dependencies`
`[{issue_id, depends_on_id, type}]`: `blocks` ("B cannot start until A closes"), `parent-child`
(the child's `depends_on_id` is its parent; "children blocked when parent blocked"), and links
that block nothing (`related`, `discovered-from`, `tracks`, ...).

How it is read:
- An issue of type `epic` is an epic; the other work items (task, bug, feature, chore, spike,
  story, decision and any type of the project's own) are tasks, keyed by id, their description,
  design, acceptance criteria and notes making the text. Messages, events, gates, molecules,
  milestones, agents, roles and convoys are not work and are left out, and so are templates.
- A task's epic is the nearest epic among its parents (a subtask's parent may be a task).
- Only `blocks` orders tasks: a task depends on what blocks it or any of its parents; an epic
  stands for all the tasks under it, an item left out for what blocks it. A `blocks` reference to
  an issue not in the file is left out: beads itself calls such orphaned dependencies harmless.
- `closed` is done; priority is kept (0 runs first).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from planner.core.errors import Problem
from planner.formats.parse import ParseError, parse_json
from planner.formats.source import Converted, home_name, out_of_bounds, read_text
from planner.formats.validate import Sources

NOT_WORK = {"message", "event", "gate", "molecule", "milestone", "agent", "role", "convoy"}
TEXT_FIELDS = (("description", ""), ("design", "Design"), ("acceptance_criteria", "Acceptance criteria"),
               ("notes", "Notes"))  # fmt: skip


def _issues(path: Path, problems: list[Problem]) -> list[tuple[int, dict[str, Any]]]:
    issues, seen = [], set()
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            issue = parse_json(line)
        except ParseError as error:
            what = error.reason if error.limit else f"not valid JSON: {error.reason}"
            problems.append(Problem((), f"{what} (column {error.column})", source=where))
            continue
        if wrong := out_of_bounds(issue, where):
            problems.extend(wrong)
            continue
        if not isinstance(issue, dict) or not isinstance(issue.get("id"), str) or not issue["id"].strip():
            problems.append(Problem((), "expected an issue object with an id", source=where))
            continue
        if wrong := _wrong_types(issue, where):
            problems.extend(wrong)
            continue
        if issue["id"] in seen:
            problems.append(Problem((), f"issue {issue['id']!r} appears twice", source=where))
            continue
        seen.add(issue["id"])
        issues.append((number, issue))
    return issues


STRINGS = ("title", "status", "issue_type", "parent")  # and TEXT_FIELDS, checked as they are read


def _wrong_types(issue: dict[str, Any], where: str) -> list[Problem]:
    """The issue's fields that the format says are strings but are not, as problems."""
    return [
        Problem((), f"{name}: expected a string, got {type(issue[name]).__name__}", source=where)
        for name in STRINGS
        if issue.get(name) is not None and not isinstance(issue[name], str)
    ]


def _links(issue: dict[str, Any], where: str, problems: list[Problem]) -> tuple[list[str], list[str]]:
    """What blocks the issue, and its parents."""
    blockers, parents = [], []
    deps = issue.get("dependencies")
    if deps is None:
        deps = []
    if not isinstance(deps, list):
        problems.append(
            Problem((), f"dependencies: expected a list, got {type(deps).__name__}", source=where)
        )
        return [], []
    for dep in deps:
        target = dep.get("depends_on_id") if isinstance(dep, dict) else None
        if not isinstance(target, str) or dep.get("issue_id", issue["id"]) != issue["id"]:
            if not isinstance(target, str):
                problems.append(Problem((), f"dependencies: {dep!r} has no depends_on_id", source=where))
            continue
        kind = dep.get("type") or "blocks"
        if not isinstance(kind, str):
            problems.append(Problem((), f"dependencies: type {kind!r} is not a string", source=where))
        elif kind == "blocks":
            blockers.append(target)
        elif kind == "parent-child":
            parents.append(target)
    if isinstance(issue.get("parent"), str) and issue["parent"] not in parents:
        parents.append(issue["parent"])
    return blockers, parents


def _text(issue: dict[str, Any], where: str, problems: list[Problem]) -> str:
    parts = []
    for name, heading in TEXT_FIELDS:
        value = issue.get(name)
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            problems.append(Problem((), f"{name}: expected a string", source=where))
            continue
        parts.append(f"## {heading}\n{value.strip()}" if heading else value.strip())
    return "\n\n".join(parts)


def read(path: Path, tag: str | None = None) -> Converted:
    """Read a beads issues.jsonl; `tag` is not used (taskmaster's)."""
    problems: list[Problem] = []
    issues = _issues(path, problems)
    kinds: dict[str, str] = {}  # id -> epic | task | other
    blockers: dict[str, list[str]] = {}
    parents: dict[str, list[str]] = {}
    for number, issue in issues:
        kind = str(issue.get("issue_type") or "task").lower()
        skipped = kind in NOT_WORK or issue.get("is_template") is True or issue.get("status") == "tombstone"
        kinds[issue["id"]] = "epic" if kind == "epic" else "other" if skipped else "task"
        blockers[issue["id"]], parents[issue["id"]] = _links(issue, f"{path}:{number}", problems)
    children: dict[str, list[str]] = {}
    for child, ups in parents.items():
        for up in ups:
            children.setdefault(up, []).append(child)

    def ancestors(issue_id: str) -> list[str]:
        found: list[str] = []
        todo = list(parents.get(issue_id, ()))
        while todo:
            up = todo.pop(0)
            if up in kinds and up not in found and up != issue_id:
                found.append(up)
                todo.extend(parents.get(up, ()))
        return found

    def tasks_under(issue_id: str, seen: set[str]) -> list[str]:
        """The tasks an issue stands for as a blocker."""
        if issue_id in seen or issue_id not in kinds:
            return []  # not in the file: an orphaned dependency
        seen.add(issue_id)
        if kinds[issue_id] == "epic":  # every task below it, through subtasks and sub-epics
            below, todo = [], list(children.get(issue_id, ()))
            while todo:
                child = todo.pop(0)
                if child in seen or child not in kinds:
                    continue
                seen.add(child)
                below += [child] if kinds[child] == "task" else []
                todo += children.get(child, []) if kinds[child] != "other" else []
            return below
        if kinds[issue_id] == "task":
            return [issue_id]
        return [t for blocker in blockers.get(issue_id, ()) for t in tasks_under(blocker, seen)]

    epics, epic_sources, tasks, task_sources = [], [], [], []
    for number, issue in issues:
        where, issue_id = f"{path}:{number}", issue["id"]
        if kinds[issue_id] == "other":
            continue
        entry: dict[str, Any] = {"key": issue_id, "priority": issue.get("priority", 2)}
        if kinds[issue_id] == "epic":
            entry.update(name=issue.get("title") or issue_id, description=_text(issue, where, problems))
            epics.append(entry)
            epic_sources.append(where)
            continue
        lineage = ancestors(issue_id)
        epic = next((up for up in lineage if kinds[up] == "epic"), None)
        depends = [
            t for i in [issue_id, *lineage] for b in blockers.get(i, ()) for t in tasks_under(b, set())
        ]
        entry.update(
            title=issue.get("title") or None,
            description=_text(issue, where, problems),
            depends_on=[d for d in dict.fromkeys(depends) if d != issue_id],
            done=issue.get("status") == "closed",
            metadata={"origin": {"format": "beads", "where": f"{path.name}:{number}",
                                 "status": issue.get("status"), "issue_type": issue.get("issue_type")}},
        )  # fmt: skip
        if epic is not None:
            entry["epic"] = epic
        minutes = issue.get("estimated_minutes")
        if minutes is not None and not (type(minutes) is int and minutes == 0):  # 0: no estimate
            entry["estimated_minutes"] = minutes
        tasks.append(entry)
        task_sources.append(where)
    document = {"project": {}, "epics": epics, "tasks": tasks}
    sources = Sources(str(path), epic_sources, task_sources)
    return Converted(document, sources, path.resolve().parent, home_name(path.parent), tuple(problems))
