"""claude-task-master's `tasks.json` (`.taskmaster/tasks/tasks.json`): one tag of it, as a tasks document.

The format, as its own docs and code define it (docs/task-structure.md, src/constants/, tm-core's
file storage): the tagged file `{"<tag>": {"tasks": [...], "metadata": {...}}}` or the legacy
`{"tasks": [...]}` (the `master` tag); each task has an `id` (a number or its digits), `title`,
`description`, `details`, `testStrategy`, `status` (pending, in-progress, review, done, deferred,
cancelled), `dependencies` (task ids; `"P.S"` names subtask S of task P), `priority` (high,
medium, low; tm-core adds critical; medium when missing) and `subtasks`, whose `dependencies` name
sibling subtasks by number or other tasks' subtasks as `"P.S"`.

How it is read:
- A tag is a task list of its own (own numbering, dependencies never cross tags): one import reads
  one tag, `--tag`, else `master`, else the only one. Tags are therefore projects, not epics: a
  non-master tag's default project name is `<name>-<tag>`. Tasks have no epic (each runs in a lane
  of its own).
- Each top-level task is one task, keyed by its id; its title is the title, and its description,
  details, test strategy and unfinished subtasks (title, description, details) make its text.
  Subtasks are not tasks of their own: one agent works through a task's subtasks in order in one
  worktree, and they touch the same files, so apart they would only add conflicts to resolve; the
  files a task will touch are the union over its subtasks, which the joined text gives the predictor.
- Dependencies: the task's own (`"P.S"` is task P), and those of its subtasks that name another
  task's subtask (`"P.S"` -> P); a subtask's sibling numbers only order work inside the task.
- `done` and `cancelled` are done (nothing left to run); `review` is not (its dependents still wait).
- Priority: critical 0, high 1, medium 2, low 3 (lower runs first).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from planner.core.errors import InvalidInputError, Problem, TaskFileError
from planner.formats.bounds import short
from planner.formats.parse import load_json
from planner.formats.schema import as_key
from planner.formats.source import Converted, home_name, out_of_bounds, read_text
from planner.formats.validate import Sources

PRIORITY = {"critical": 0, "high": 1, "medium": 2, "low": 3}
DONE = {"done", "cancelled"}


def tags_of(data: Any, path: Path) -> dict[str, Any]:
    """The file's task lists by tag (the legacy file is the `master` tag)."""
    if isinstance(data, dict) and isinstance(data.get("tasks"), list):
        return {"master": data["tasks"]}
    if isinstance(data, dict) and data:
        tags = {}
        for tag, value in data.items():
            if not (isinstance(value, dict) and isinstance(value.get("tasks"), list)):
                raise InvalidInputError(f'{path}: tag {tag!r}: expected {{"tasks": [...]}}')
            tags[str(tag)] = value["tasks"]
        return tags
    shapes = '{"master": {"tasks": [...]}} or {"tasks": [...]}'
    raise InvalidInputError(f"{path}: not a task-master tasks.json: expected {shapes}")


def _choose(tags: dict[str, Any], tag: str | None, path: Path) -> str:
    if tag is not None:
        if tag not in tags:
            raise InvalidInputError(f"{path}: no tag {tag!r} (tags: {', '.join(sorted(tags))})")
        return tag
    if "master" in tags or len(tags) == 1:
        return "master" if "master" in tags else next(iter(tags))
    raise InvalidInputError(f"{path}: tags {', '.join(sorted(tags))}: choose one with --tag")


class _Reader:
    def __init__(self, path: Path, tag: str) -> None:
        self.path, self.tag = path, tag
        self.problems: list[Problem] = []

    def where(self, task_id: Any) -> str:
        inside = f"task {task_id}" if self.tag == "master" else f"tag {self.tag}, task {task_id}"
        return f"{self.path} ({inside})"

    def text(self, raw: dict[str, Any], name: str, where: str) -> str:
        value = raw.get(name)
        if value is None or isinstance(value, str):
            return (value or "").strip()
        self.problems.append(
            Problem((), f"{name}: expected a string, got {type(value).__name__}", source=where)
        )
        return ""

    def listed(self, raw: dict[str, Any], name: str, where: str) -> list[Any]:
        """A list the format may leave out (empty then); a problem when it is anything else."""
        value = raw.get(name)
        if value is None or isinstance(value, list):
            return value or []
        self.problems.append(
            Problem((), f"{name}: expected a list, got {type(value).__name__}", source=where)
        )
        return []

    def refs(self, raw: dict[str, Any], where: str) -> list[str]:
        value = self.listed(raw, "dependencies", where)
        refs = []
        for ref in value:
            key = as_key(ref.strip() if isinstance(ref, str) else ref)
            if key is None:
                self.problems.append(Problem((), f"dependencies: {ref!r} is not a task id", source=where))
            else:
                refs.append(key)
        return refs

    def task(self, raw: Any, n: int) -> tuple[dict[str, Any], str] | None:
        if not isinstance(raw, dict):
            where = f"{self.path} (tasks[{n}])"
            self.problems.append(Problem((), "expected a task object", source=where))
            return None
        key = as_key(raw.get("id"))
        where = self.where(raw.get("id", f"#{n}") if key is not None else f"#{n}")
        if key is None:
            what = f"id: {short(raw['id'])} is not a task id" if "id" in raw else "missing id"
            self.problems.append(Problem((), what, source=where))
            return None
        own = key.strip()
        depends = [
            ref.split(".", 1)[0]
            for ref in self.refs(raw, where)
            if ref.split(".", 1)[0] != own or "." not in ref
        ]
        parts = [self.text(raw, "description", where), self.text(raw, "details", where)]
        strategy = self.text(raw, "testStrategy", where)
        parts.append(f"Test strategy: {strategy}" if strategy else "")
        for sub in self.listed(raw, "subtasks", where):
            if not isinstance(sub, dict):
                self.problems.append(Problem((), "subtasks: expected objects", source=where))
                continue
            sub_where = f"{where[:-1]}.{sub.get('id')})"
            # a subtask's reference to another task's subtask is a dependency of the whole task
            depends += [
                r.split(".", 1)[0]
                for r in self.refs(sub, sub_where)
                if "." in r and r.split(".", 1)[0] != own
            ]
            if self.text(sub, "status", sub_where).lower() in DONE:
                continue  # its files are changed already
            heading = self.text(sub, "title", sub_where)
            body = [
                self.text(sub, name, sub_where) for name in ("description", "details", "acceptanceCriteria")
            ]
            parts.append("\n".join(p for p in (f"Subtask {sub.get('id')}: {heading}", *body) if p))
        status = raw.get("status")
        done = self.text(raw, "status", where).lower() in DONE
        task: dict[str, Any] = {
            "key": key,
            "title": self.text(raw, "title", where) or None,
            "description": "\n\n".join(p for p in parts if p),
            "priority": self.priority(raw.get("priority"), where),
            "depends_on": list(dict.fromkeys(depends)),
            "done": done,
            "metadata": {
                "origin": {"format": "taskmaster", "tag": self.tag, "id": raw.get("id"), "status": status}
            },
        }
        return task, where

    def priority(self, value: Any, where: str) -> int:
        if value is None:
            return PRIORITY["medium"]
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in PRIORITY:
            return PRIORITY[value.strip().lower()]
        self.problems.append(
            Problem((), f"priority: must be critical, high, medium or low, not {value!r}", source=where)
        )
        return PRIORITY["medium"]


def read(path: Path, tag: str | None = None) -> Converted:
    """Read one tag of a task-master tasks.json."""
    data = load_json(read_text(path), str(path))
    if wrong := out_of_bounds(data, str(path)):
        raise TaskFileError(wrong)
    tags = tags_of(data, path)
    chosen = _choose(tags, tag, path)
    reader = _Reader(path, chosen)
    tasks, sources = [], []
    for n, raw in enumerate(tags[chosen]):
        found = reader.task(raw, n)
        if found is not None:
            tasks.append(found[0])
            sources.append(found[1])
    name = home_name(path.parent) + ("" if chosen == "master" else f"-{chosen}")
    document = {"project": {}, "tasks": tasks}
    return Converted(
        document, Sources(str(path), (), sources), path.resolve().parent, name, tuple(reader.problems)
    )
