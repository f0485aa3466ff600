"""The plan's data model: ExecutionPlan, ExecutionBatch, FileConflict, PredictedFile, PlanTask.

Each type is a frozen dataclass that serialises to the plan document of docs/ARCHITECTURE.md with
`to_dict()` and back with `from_dict()`; `from_dict` names any unknown or missing key.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal, TypeVar, cast

from analyzer.records import PredictedFile as PredictedFile  # the one type; a part of the plan model
from planner.core.errors import InvalidInputError

ConflictType = Literal["same_file", "same_directory", "potential", "declared"]
CONFLICT_TYPES: tuple[ConflictType, ...] = ("same_file", "same_directory", "potential", "declared")
"""`declared`: the task list itself says the two conflict (ccpm `conflicts_with`)."""

T = TypeVar("T")


def _check_keys(kind: type, data: dict[str, Any], where: str, optional: set[str] | None = None) -> None:
    known = {f.name for f in fields(kind)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise InvalidInputError(f"{where}: unknown key {unknown[0]!r}")
    missing = sorted(known - set(data) - (optional or set()))
    if missing:
        raise InvalidInputError(f"{where}: missing key {missing[0]!r}")


def _as(value: Any, kind: type[T], where: str) -> T:
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return cast(T, float(value))
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise InvalidInputError(f"{where}: expected {kind.__name__}, got {type(value).__name__}")
    return value


def predicted_file_from_dict(data: dict[str, Any], where: str = "predicted file") -> PredictedFile:
    """A `PredictedFile` of a plan document; names any unknown, missing or mistyped key."""
    _check_keys(PredictedFile, data, where, optional={"evidence"})
    return PredictedFile(
        path=_as(data["path"], str, f"{where}.path"),
        confidence=_as(data["confidence"], float, f"{where}.confidence"),
        evidence=tuple(_as(e, str, f"{where}.evidence") for e in data.get("evidence", [])),
    )


@dataclass(frozen=True)
class FileConflict:
    """Two tasks predicted to touch the same file (or directory, or close neighbours)."""

    task_ids: tuple[int, int]
    predicted_files: tuple[str, ...]
    conflict_type: ConflictType
    strength: float = 1.0
    merge_friendly: bool = False
    """Every file they meet in is merge-friendly (a changelog, a lock file): reported, and by
    default it does not keep the two apart (`planner.core.conflicts`)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "strength", round(self.strength, 3))

    def to_dict(self) -> dict[str, Any]:
        return {
            "task_ids": list(self.task_ids),
            "predicted_files": list(self.predicted_files),
            "conflict_type": self.conflict_type,
            "strength": self.strength,
            "merge_friendly": self.merge_friendly,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "conflict") -> FileConflict:
        _check_keys(cls, data, where, optional={"strength", "merge_friendly"})
        ids = [_as(i, int, f"{where}.task_ids") for i in _as(data["task_ids"], list, f"{where}.task_ids")]
        if len(ids) != 2:
            raise InvalidInputError(f"{where}.task_ids: expected two task ids, got {len(ids)}")
        kind = data["conflict_type"]
        if kind not in CONFLICT_TYPES:
            raise InvalidInputError(f"{where}.conflict_type: unknown conflict type {kind!r}")
        return cls(
            task_ids=(ids[0], ids[1]),
            predicted_files=tuple(
                _as(p, str, f"{where}.predicted_files") for p in _as(data["predicted_files"], list, where)
            ),
            conflict_type=kind,
            strength=_as(data.get("strength", 1.0), float, f"{where}.strength"),
            merge_friendly=_as(data.get("merge_friendly", False), bool, f"{where}.merge_friendly"),
        )


@dataclass(frozen=True)
class ExecutionBatch:
    """Tasks that may start together, each in its worktree; runs after every batch it depends on."""

    batch_id: int
    task_ids: tuple[int, ...]
    can_parallel: bool
    depends_on: tuple[int, ...]
    estimated_duration: int  # seconds: the busiest worktree's sum of task estimates

    def to_dict(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "task_ids": list(self.task_ids),
            "can_parallel": self.can_parallel,
            "depends_on": list(self.depends_on),
            "estimated_duration": self.estimated_duration,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "batch") -> ExecutionBatch:
        _check_keys(cls, data, where)
        return cls(
            batch_id=_as(data["batch_id"], int, f"{where}.batch_id"),
            task_ids=tuple(_as(t, int, f"{where}.task_ids") for t in _as(data["task_ids"], list, where)),
            can_parallel=_as(data["can_parallel"], bool, f"{where}.can_parallel"),
            depends_on=tuple(
                _as(b, int, f"{where}.depends_on") for b in _as(data["depends_on"], list, where)
            ),
            estimated_duration=_as(data["estimated_duration"], int, f"{where}.estimated_duration"),
        )


@dataclass(frozen=True)
class PlanTask:
    """A task as the plan document lists it."""

    id: int
    key: str
    epic_id: int | None
    predicted_files: tuple[PredictedFile, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "key": self.key,
            "epic_id": self.epic_id,
            "predicted_files": [p.to_dict() for p in self.predicted_files],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "task") -> PlanTask:
        _check_keys(cls, data, where, optional={"predicted_files"})
        epic = data["epic_id"]
        return cls(
            id=_as(data["id"], int, f"{where}.id"),
            key=_as(data["key"], str, f"{where}.key"),
            epic_id=None if epic is None else _as(epic, int, f"{where}.epic_id"),
            predicted_files=tuple(
                predicted_file_from_dict(p, f"{where}.predicted_files[{n}]")
                for n, p in enumerate(data.get("predicted_files", []))
            ),
        )


@dataclass(frozen=True)
class ExecutionPlan:
    """The whole plan of a project: batches in order, worktree per task, conflicts, tasks."""

    project_id: str
    created_at: str
    version: int
    batches: tuple[ExecutionBatch, ...]
    worktree_assignments: dict[int, str]
    predicted_conflicts: tuple[FileConflict, ...]
    metadata: dict[str, Any] = field(default_factory=dict)
    tasks: tuple[PlanTask, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "project_id": self.project_id,
            "created_at": self.created_at,
            "version": self.version,
            "batches": [b.to_dict() for b in self.batches],
            "worktree_assignments": {str(k): v for k, v in sorted(self.worktree_assignments.items())},
            "predicted_conflicts": [c.to_dict() for c in self.predicted_conflicts],
            "metadata": self.metadata,
            "tasks": [t.to_dict() for t in self.tasks],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "plan") -> ExecutionPlan:
        if not isinstance(data, dict):
            raise InvalidInputError(f"{where}: expected an object")
        _check_keys(cls, data, where, optional={"metadata", "tasks"})
        assignments: dict[int, str] = {}
        for key, name in _as(data["worktree_assignments"], dict, f"{where}.worktree_assignments").items():
            try:
                task_id = int(key)
            except ValueError:
                raise InvalidInputError(f"{where}.worktree_assignments: {key!r} is not a task id") from None
            assignments[task_id] = _as(name, str, f"{where}.worktree_assignments[{key}]")
        return cls(
            project_id=_as(data["project_id"], str, f"{where}.project_id"),
            created_at=_as(data["created_at"], str, f"{where}.created_at"),
            version=_as(data["version"], int, f"{where}.version"),
            batches=tuple(
                ExecutionBatch.from_dict(b, f"{where}.batches[{n}]")
                for n, b in enumerate(_as(data["batches"], list, f"{where}.batches"))
            ),
            worktree_assignments=assignments,
            predicted_conflicts=tuple(
                FileConflict.from_dict(c, f"{where}.predicted_conflicts[{n}]")
                for n, c in enumerate(_as(data["predicted_conflicts"], list, f"{where}.predicted_conflicts"))
            ),
            metadata=dict(_as(data.get("metadata", {}), dict, f"{where}.metadata")),
            tasks=tuple(
                PlanTask.from_dict(t, f"{where}.tasks[{n}]")
                for n, t in enumerate(_as(data.get("tasks", []), list, f"{where}.tasks"))
            ),
        )
