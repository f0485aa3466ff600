"""Tasks files (JSON or YAML): validated whole first, then written in one transaction.

Any error — unknown or missing key, duplicate key, unknown epic or dependency, a task depending
on itself, a dependency cycle, a repository path that is not a git repository — is reported with
the offending key and nothing is written. Importing a project name that exists updates that
project: epics and tasks are matched by key (keeping their ids and metadata), those no longer in
the file are removed, and dependencies are replaced.
"""

from __future__ import annotations

import graphlib
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from psycopg.types.json import Jsonb

from .database import Database
from .errors import DependencyCycleError, InvalidInputError
from .storage import lock_project

_TOP = {"project", "epics", "tasks"}
_PROJECT = {"name", "repo_path"}
_EPIC = {"key", "name", "description", "priority", "metadata"}
_TASK = {
    "key", "epic", "title", "description", "action", "priority", "depends_on", "dependency_type",
    "done", "estimated_minutes", "metadata",
}  # fmt: skip


@dataclass(frozen=True)
class TaskSpec:
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
    tasks: tuple[TaskSpec, ...]


def _object(value: Any, where: str, allowed: set[str], required: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInputError(f"{where}: expected an object, got {type(value).__name__}")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise InvalidInputError(f"{where}: unknown key {unknown[0]!r}")
    missing = sorted(required - set(value))
    if missing:
        raise InvalidInputError(f"{where}: missing key {missing[0]!r}")
    return value


def _typed(value: Any, kind: type, where: str) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise InvalidInputError(f"{where}: expected {kind.__name__}, got {type(value).__name__}")
    return value


def _key(value: Any, where: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(f"{where}: a key must be a non-empty string")
    return value


def git_toplevel(path: Path) -> Path | None:
    done = subprocess.run(
        ["git", "-C", str(path), "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=False
    )
    return Path(done.stdout.strip()).resolve() if done.returncode == 0 else None


def _repo_path(value: Any, base: Path) -> str | None:
    if value is None or value == "":
        return None
    path = Path(_typed(value, str, "project.repo_path")).expanduser()
    path = (base / path).resolve() if not path.is_absolute() else path.resolve()
    if not path.is_dir():
        raise InvalidInputError(f"project.repo_path: {path} is not a directory")
    top = git_toplevel(path)
    if top is None:
        raise InvalidInputError(f"project.repo_path: {path} is not a git repository")
    if top != path:
        raise InvalidInputError(f"project.repo_path: {path} is inside the git repository {top}; name its top")
    return str(path)


def parse_task_file(data: Any, base: Path) -> TaskFile:
    """Validate a loaded tasks document; `base` resolves a relative repo_path."""
    doc = _object(data, "tasks file", _TOP, {"project", "tasks"})
    project = _object(doc["project"], "project", _PROJECT, {"name"})
    name = _key(project["name"], "project.name")
    epics: list[dict[str, Any]] = []
    epic_keys: set[str] = set()
    for n, raw in enumerate(_typed(doc.get("epics", []), list, "epics")):
        epic = _object(raw, f"epics[{n}]", _EPIC, {"key", "name"})
        key = _key(epic["key"], f"epics[{n}].key")
        if key in epic_keys:
            raise InvalidInputError(f"epic {key!r}: duplicate key")
        epic_keys.add(key)
        epics.append(
            {
                "key": key,
                "name": _typed(epic["name"], str, f"epic {key!r}.name"),
                "description": _typed(epic.get("description") or "", str, f"epic {key!r}.description"),
                "priority": _typed(epic.get("priority", 0), int, f"epic {key!r}.priority"),
            }
        )
    tasks: list[TaskSpec] = []
    task_keys: set[str] = set()
    for n, raw in enumerate(_typed(doc["tasks"], list, "tasks")):
        task = _object(raw, f"tasks[{n}]", _TASK, {"key"})
        key = _key(task["key"], f"tasks[{n}].key")
        where = f"task {key!r}"
        if key in task_keys:
            raise InvalidInputError(f"{where}: duplicate key")
        task_keys.add(key)
        epic_key = task.get("epic")
        if epic_key is not None:
            epic_key = _key(epic_key, f"{where}.epic")
            if epic_key not in epic_keys:
                raise InvalidInputError(f"{where}: unknown epic {epic_key!r}")
        depends = tuple(
            _key(d, f"{where}.depends_on") for d in _typed(task.get("depends_on") or [], list, where)
        )
        kind = task.get("dependency_type") or "hard"
        if kind not in ("hard", "soft"):
            raise InvalidInputError(f"{where}.dependency_type: must be 'hard' or 'soft', not {kind!r}")
        metadata = dict(_typed(task.get("metadata") or {}, dict, f"{where}.metadata"))
        if "estimated_minutes" in task:
            minutes = _typed(task["estimated_minutes"], int, f"{where}.estimated_minutes")
            if minutes <= 0:
                raise InvalidInputError(f"{where}.estimated_minutes: must be positive, not {minutes}")
            metadata["estimated_minutes"] = minutes
        if task.get("title"):
            metadata["title"] = _typed(task["title"], str, f"{where}.title")
        tasks.append(
            TaskSpec(
                key=key,
                epic=epic_key,
                description=_typed(task.get("description") or "", str, f"{where}.description"),
                action=_typed(task.get("action") or "", str, f"{where}.action"),
                priority=_typed(task.get("priority", 0), int, f"{where}.priority"),
                depends_on=depends,
                dependency_type=kind,
                done=_typed(task.get("done", False), bool, f"{where}.done"),
                metadata=metadata,
            )
        )
    for spec in tasks:
        for dep in spec.depends_on:
            if dep == spec.key:
                raise InvalidInputError(f"task {spec.key!r}: depends on itself")
            if dep not in task_keys:
                raise InvalidInputError(f"task {spec.key!r}: depends on unknown task {dep!r}")
    _check_cycles(tasks)
    return TaskFile(name, _repo_path(project.get("repo_path"), base), tuple(epics), tuple(tasks))


def _check_cycles(tasks: list[TaskSpec]) -> None:
    graph = {t.key: {d for d in t.depends_on} for t in tasks if t.dependency_type == "hard"}
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as error:
        # graphlib lists each node before the node that depends on it; we name dependents first
        raise DependencyCycleError(list(reversed(error.args[1]))) from None


def load_task_file(path: Path) -> TaskFile:
    """Read and validate a JSON or YAML tasks file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidInputError(f"{path}: cannot read: {error.strerror}") from None
    except UnicodeDecodeError:
        raise InvalidInputError(f"{path}: not UTF-8 text") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise InvalidInputError(
            f"{path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {error}"
        ) from None
    return parse_task_file(data, path.resolve().parent)


async def import_task_file(db: Database, spec: TaskFile) -> str:
    """Write a validated tasks file in one transaction; returns the project id."""
    async with db.transaction() as conn:
        project_id = str(
            await conn.fetch_value("project_upsert", {"name": spec.name, "repo_path": spec.repo_path})
        )
        await lock_project(conn, project_id)
        epic_rows = await conn.fetch_all(
            "epics_upsert", {"project_id": project_id, "epics": Jsonb(list(spec.epics))}
        )
        epic_ids = {row["key"]: row["id"] for row in epic_rows}
        await conn.execute("epics_delete_missing", {"project_id": project_id, "keys": list(epic_ids)})
        task_rows = await conn.fetch_all(
            "tasks_upsert",
            {
                "project_id": project_id,
                "tasks": Jsonb(
                    [
                        {
                            "key": t.key,
                            "epic_id": epic_ids.get(t.epic) if t.epic else None,
                            "description": t.description,
                            "action": t.action,
                            "priority": t.priority,
                            "done": t.done,
                            "metadata": t.metadata,
                        }
                        for t in spec.tasks
                    ]
                ),
            },
        )
        task_ids = {row["key"]: row["id"] for row in task_rows}
        await conn.execute("tasks_delete_missing", {"project_id": project_id, "keys": list(task_ids)})
        await conn.execute("dependencies_delete_for_project", {"project_id": project_id})
        dependencies = [
            {
                "task_id": task_ids[t.key],
                "depends_on_task_id": task_ids[d],
                "dependency_type": t.dependency_type,
            }
            for t in spec.tasks
            for d in dict.fromkeys(t.depends_on)
        ]
        await conn.execute("dependencies_insert", {"dependencies": Jsonb(dependencies)})
        # the database's own check: levels must exist (raises on a cycle, rolling everything back)
        await conn.fetch_all("task_levels", {"project_id": project_id})
        return project_id
