"""The one validator of tasks files, for the CLI (every format) and `PUT /api/projects` alike.

A document is checked against the models of `schema.py` (keys, types, limits) and, on the same
pass, for what needs the whole file: duplicate epic or task keys, an unknown epic, an unknown or
self dependency or conflict, and cycles of hard dependencies (`dependency cycle: T3 -> T7 -> T3`,
each depending on the next; one per strongly connected group). Every problem is reported at once
(`TaskFileError`), each naming its key (`task 'T4'.estimated_minutes: must be positive, not -5`)
and, for a file read from another format, where in that file it came from. A `repo_path` must be
the top of a git repository. Before any of that, the document is held to the bounds of
`bounds.py` (depth, integer range, NUL characters, duplicate keys...); a field out of bounds is
reported once, for that reason. Only a document without problems becomes a `TaskFile`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from analyzer.git_cli import git_toplevel, repository_problem
from planner.core.errors import InvalidInputError, Problem, TaskFileError
from planner.formats import bounds
from planner.formats.schema import TasksFile, as_key

# the task metadata keys a file's own fields set: a re-import that leaves a field out removes its key
OWNED_METADATA = ("estimated_minutes", "title", "conflicts_with", "parallel")


@dataclass(frozen=True)
class TaskEntry:
    """One validated task."""

    key: str
    epic: str | None
    description: str
    action: str
    priority: int
    depends_on: tuple[str, ...]
    dependency_type: str
    done: bool
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TaskFile:
    """A validated tasks file."""

    name: str
    repo_path: str | None
    epics: tuple[dict[str, Any], ...]
    tasks: tuple[TaskEntry, ...]


@dataclass(frozen=True)
class Sources:
    """Where a document's items came from: its file, and per epic and task (by position) a place in
    it (`tasks.md:57`, `.claude/epics/auth/3.md`)."""

    origin: str
    epics: Sequence[str] = ()
    tasks: Sequence[str] = ()

    def locate(self, problem: Problem) -> Problem:
        if problem.source:
            return problem
        where = self.origin
        if len(problem.loc) >= 2 and isinstance(problem.loc[1], int):
            items = {"epics": self.epics, "tasks": self.tasks}.get(str(problem.loc[0]), ())
            if 0 <= problem.loc[1] < len(items):
                where = items[problem.loc[1]]
        return replace(problem, source=where)


# -- the document --------------------------------------------------------------------------------

_TYPES = {"int_type": "int", "string_type": "str", "bool_type": "bool", "list_type": "list"}
_OBJECT_TYPES = {"dict_type", "model_type", "model_attributes_type"}
_RANGE_KINDS = {"less_than_equal", "greater_than_equal", "greater_than"}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return "object" if isinstance(value, dict) else type(value).__name__


def _items(data: Any, section: str) -> list[Any]:
    value = data.get(section) if isinstance(data, dict) else None
    return value if isinstance(value, list) else []


def _label(data: Any, loc: Sequence[str | int]) -> str:
    """How a location is named in a message: `task 'T4'.depends_on[1]`, `epics[2]`, `tasks file`."""
    if not loc:
        return "tasks file"
    head, rest = str(loc[0]), list(loc[1:])
    if head in ("tasks", "epics") and rest and isinstance(rest[0], int):
        items, n = _items(data, head), int(rest.pop(0))
        raw = items[n] if 0 <= n < len(items) else None
        key = as_key(raw.get("key")) if isinstance(raw, dict) else None
        head = f"{head[:-1]} {bounds.short(key)}" if key is not None else f"{head}[{n}]"
    return head + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in rest)


def _field_problem(data: Any, error: ErrorDetails) -> Problem:
    loc, kind, value = tuple(error["loc"]), error["type"], error.get("input")
    ctx = error.get("ctx") or {}
    if kind in ("missing", "extra_forbidden") and loc:
        what = "missing" if kind == "missing" else "unknown"
        return Problem(loc, f"{_label(data, loc[:-1])}: {what} key {loc[-1]!r}", kind)
    if kind in _TYPES:
        text = f"expected {_TYPES[kind]}, got {_json_type(value)}"
    elif kind in _OBJECT_TYPES:
        text = f"expected an object, got {_json_type(value)}"
    elif kind == "literal_error":
        text = f"must be {ctx.get('expected')}, not {value!r}"
    elif kind == "greater_than" and ctx.get("gt") == 0:
        text = f"must be positive, not {bounds.number(value) if isinstance(value, int) else repr(value)}"
    elif kind == "string_too_short":
        text = "must not be empty"
    elif kind in ("string_too_long", "too_long") and isinstance(value, str):
        text = f"must be at most {ctx.get('max_length')} characters, not {len(value)}"
    elif kind in ("less_than_equal", "greater_than_equal") and isinstance(value, int):
        most = f"at most {ctx.get('le')}" if kind == "less_than_equal" else f"at least {ctx.get('ge')}"
        text = f"must be {most}, not {bounds.number(value)}"
    else:
        msg = str(error["msg"])
        text = msg[:1].lower() + msg[1:]
    return Problem(loc, f"{_label(data, loc)}: {text}", kind)


def _keys(values: Any) -> Iterator[tuple[int, str]]:
    """The well-formed keys of a list (a malformed one is a field problem already)."""
    for n, value in enumerate(values if isinstance(values, list) else []):
        key = as_key(value)
        if key is not None:
            yield n, key


def _cross_problems(data: Any) -> list[Problem]:
    """What needs the whole file; checked on whatever parts of it are well-formed."""
    problems: list[Problem] = []
    epic_keys: set[str] = set()
    for n, epic in enumerate(_items(data, "epics")):
        key = as_key(epic.get("key")) if isinstance(epic, dict) else None
        if key is not None and key in epic_keys:
            problems.append(Problem(("epics", n, "key"), f"epic {key!r}: duplicate key", "duplicate_key"))
        epic_keys.update([key] if key is not None else [])
    tasks = [(n, t, as_key(t.get("key"))) for n, t in enumerate(_items(data, "tasks")) if isinstance(t, dict)]
    task_keys: set[str] = set()
    for n, _, key in tasks:
        if key is not None and key in task_keys:
            problems.append(Problem(("tasks", n, "key"), f"task {key!r}: duplicate key", "duplicate_key"))
        task_keys.update([key] if key is not None else [])
    epics_given = isinstance(data, dict) and isinstance(data.get("epics", []), list)
    hard: dict[str, list[str]] = {}
    for n, task, key in tasks:
        where = f"task {bounds.short(key)}" if key is not None else f"tasks[{n}]"
        epic = as_key(task.get("epic"))
        metadata = task.get("metadata")
        for name in OWNED_METADATA:
            if isinstance(metadata, dict) and name in metadata:
                message = f"{where}.metadata: {name!r} is a key of the task itself, not of its metadata"
                problems.append(Problem(("tasks", n, "metadata", name), message, "owned_metadata"))
        if epics_given and epic is not None and epic not in epic_keys:
            problems.append(
                Problem(("tasks", n, "epic"), f"{where}.epic: unknown epic {epic!r}", "unknown_epic")
            )
        for name, verb in (("depends_on", "depends on"), ("conflicts_with", "conflicts with")):
            for m, other in _keys(task.get(name)):
                loc = ("tasks", n, name, m)
                if other == key:
                    problems.append(Problem(loc, f"{where}.{name}: {verb} itself", "self_reference"))
                elif other not in task_keys:
                    problems.append(Problem(loc, f"{where}.{name}: unknown task {other!r}", "unknown_task"))
        if key is not None and task.get("dependency_type") in (None, "hard"):
            deps = [d for _, d in _keys(task.get("depends_on")) if d in task_keys and d != key]
            hard.setdefault(key, []).extend(deps)
    problems.extend(
        Problem(("tasks",), "dependency cycle: " + " -> ".join(c), "dependency_cycle") for c in cycles(hard)
    )
    return problems


def cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """One cycle (first node repeated at the end, each depending on the next) per strongly connected
    group of more than one node, by Tarjan's algorithm (iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(graph.get(root, ())))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            nxt = next(edges, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(graph.get(nxt, ()))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(group)
    return [_cycle_in(graph, set(group), min(group)) for group in groups]


def _cycle_in(graph: dict[str, list[str]], group: set[str], start: str) -> list[str]:
    """A cycle through `start` inside one strongly connected group (breadth-first, so a short one)."""
    parent: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in graph.get(node, ()):
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parent[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if nxt in group and nxt not in parent:
                    parent[nxt] = node
                    following.append(nxt)
        frontier = following
    return [start, start]  # unreachable for a strongly connected group


def check_document(data: Any) -> tuple[TasksFile | None, list[Problem]]:
    """The document as models (None when anything is wrong with its fields), and every problem."""
    problems = bounds.problems(data, lambda loc: _label(data, loc))
    model: TasksFile | None = None
    if not any(p.kind == "too_deep" for p in problems):  # else the models would recurse as deep
        try:
            model = TasksFile.model_validate(data)
        except ValidationError as error:
            fields = [_field_problem(data, detail) for detail in error.errors(include_url=False)]
            # a field's own range names its limit better than the bigint's; anything else out of
            # bounds is said once, for that reason
            ranged = {f.loc for f in fields if f.kind in _RANGE_KINDS}
            problems = [p for p in problems if not (p.kind == "out_of_range" and p.loc in ranged)]
            problems += _not_under(fields, problems)
    model = None if problems else model
    problems.extend(_not_under(_cross_problems(data), problems))
    problems.sort(key=_reading_order)
    return model, problems


def _not_under(found: list[Problem], said: list[Problem]) -> list[Problem]:
    """The problems of `found` that are not in a value already said to be wrong (out of bounds)."""
    places = [p.loc for p in said if p.kind in bounds.KINDS]
    return [f for f in found if not any(f.loc[: len(loc)] == loc for loc in places)]


def _reading_order(problem: Problem) -> tuple[int, int]:
    """Problems in the order of the file: project, then each epic and task by position."""
    loc = problem.loc
    section = {"project": 0, "epics": 1, "tasks": 2}.get(str(loc[0]), 3) if loc else -1
    return section, loc[1] if len(loc) > 1 and isinstance(loc[1], int) else 2**31


# -- the repository --------------------------------------------------------------------------------


def resolve_repo_path(value: str, base: Path | None) -> str:
    """An existing git repository's top, `value` read from `base` (None: it must be absolute);
    InvalidInputError otherwise."""
    if "\x00" in value:
        raise InvalidInputError("project.repo_path: a path cannot contain a NUL character")
    path = Path(value).expanduser()
    if base is None and not path.is_absolute():
        raise InvalidInputError(f"project.repo_path: {value!r} must be an absolute path")
    path = (base / path).resolve() if base is not None and not path.is_absolute() else path.resolve()
    problem = repository_problem(path)  # missing, not a folder, not a repository, refused by git
    if problem is not None:
        raise InvalidInputError(f"project.repo_path: {problem}")
    top = git_toplevel(path)
    if top is None:
        raise InvalidInputError(f"project.repo_path: {path} is not a git repository")
    if top != path:
        raise InvalidInputError(f"project.repo_path: {path} is inside the git repository {top}; name its top")
    return str(path)


# -- the whole --------------------------------------------------------------------------------------


def parse_task_file(data: Any, base: Path | None, sources: Sources | None = None) -> TaskFile:
    """Validate a tasks document (`base` resolves a relative repo_path; None refuses one): the
    TaskFile, or a TaskFileError listing every problem (a repo_path problem alone stays an
    InvalidInputError, one reason)."""
    model, problems = check_document(data)
    project = data.get("project") if isinstance(data, dict) else None
    raw_repo = project.get("repo_path") if isinstance(project, dict) else None
    repo_path: str | None = None
    if (
        isinstance(raw_repo, str)
        and raw_repo
        and not any(p.loc == ("project", "repo_path") for p in problems)
    ):
        try:
            repo_path = resolve_repo_path(raw_repo, base)
        except InvalidInputError as error:
            if not problems:
                raise
            problems.append(Problem(("project", "repo_path"), str(error), "repo_path"))
        except OSError as error:  # a path the file system refuses (too long, a NUL character)
            problems.append(
                Problem(("project", "repo_path"), f"project.repo_path: {error.strerror or error}")
            )
    if problems or model is None:
        problems.sort(key=_reading_order)
        raise TaskFileError(sources.locate(p) if sources else p for p in problems)
    return _task_file(model, repo_path)


def _task_file(model: TasksFile, repo_path: str | None) -> TaskFile:
    epics = tuple(
        {"key": e.key, "name": e.name, "description": e.description or "", "priority": e.priority}
        for e in model.epics
    )
    tasks = []
    for t in model.tasks:
        metadata = dict(t.metadata or {})
        if t.estimated_minutes is not None:
            metadata["estimated_minutes"] = t.estimated_minutes
        if t.title:
            metadata["title"] = t.title
        if t.conflicts_with:
            metadata["conflicts_with"] = list(dict.fromkeys(t.conflicts_with))
        if t.parallel is not None:
            metadata["parallel"] = t.parallel
        tasks.append(
            TaskEntry(
                key=t.key,
                epic=t.epic,
                description=t.description or "",
                action=t.action or "",
                priority=t.priority,
                depends_on=tuple(t.depends_on or ()),
                dependency_type=t.dependency_type or "hard",
                done=t.done,
                metadata=metadata,
            )
        )
    return TaskFile(model.project.name, repo_path, epics, tuple(tasks))
