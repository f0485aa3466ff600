"""A stored plan as `execplan show` prints it: each task with its key, the first line of its
description and its minutes, and each worktree lane named by its epic's key and name (or its
task's key) instead of the database ids in the worktree's name. The text here is raw: each form
(api/cli/render.py, api/cli/plan_formats.py) escapes it for where it goes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from planner.core.model import ExecutionBatch, ExecutionPlan, FileConflict
from planner.core.tasks import PlanningTask
from planner.core.worktrees import lane_of_name
from planner.storage.database import Queries
from planner.storage.projects import epics_of, tasks_of

DEFAULT_TASK_MINUTES = 30
"""A task's minutes when neither it nor the plan says (plans before `default_task_minutes`)."""


def first_line(text: str, width: int) -> str:
    """The first non-empty line of `text`, cut to `width` characters (ending in `…` when cut)."""
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= width else line[: max(0, width - 1)].rstrip() + "…"


@dataclass(frozen=True)
class ShownTask:
    """A task of the plan: its key, its description's first line and its estimated minutes."""

    key: str
    text: str
    minutes: int


@dataclass(frozen=True)
class PlanView:
    """A plan with the names a reader knows: task keys and descriptions, epic keys and names."""

    name: str
    plan: ExecutionPlan
    tasks: dict[int, ShownTask]
    epics: dict[int, tuple[str, str]]  # epic id → (key, name)

    @classmethod
    def of(cls, name: str, plan: ExecutionPlan, epics: dict[int, tuple[str, str]] | None = None) -> PlanView:
        """The view of `plan` from the plan alone: its tasks' keys, no descriptions."""
        view = cls(name, plan, {}, epics or {})
        for known in plan.tasks:
            view.tasks[known.id] = ShownTask(known.key, "", view.default_minutes)
        return view

    def key(self, task_id: int) -> str:
        task = self.tasks.get(task_id)
        return task.key if task else f"#{task_id}"

    def text(self, task_id: int) -> str:
        task = self.tasks.get(task_id)
        return task.text if task else ""

    def minutes(self, task_id: int) -> int:
        task = self.tasks.get(task_id)
        return task.minutes if task else self.default_minutes

    @property
    def default_minutes(self) -> int:
        stored = self.plan.metadata.get("default_task_minutes")
        return stored if isinstance(stored, int) and stored > 0 else DEFAULT_TASK_MINUTES

    def lane(self, worktree: str) -> str:
        """The lanes a worktree runs, by name: `E1 API` for an epic's, `task T5` for a task's own,
        `E1 API + E2 Core` for lanes grouped as they conflict; else the worktree's name itself."""
        lanes = [self._lane(t) for t, name in self.plan.worktree_assignments.items() if name == worktree]
        if not lanes:
            parsed = lane_of_name(worktree)
            lanes = [] if parsed is None else [self._lane_name(parsed)]
        return " + ".join(dict.fromkeys(lanes)) or worktree

    def _lane(self, task_id: int) -> str:
        epic = self._epic_of.get(task_id)
        return self._lane_name(-task_id if epic is None else epic)

    def _lane_name(self, lane: int) -> str:
        if lane < 0:
            return f"task {self.key(-lane)}"
        key, name = self.epics.get(lane, (f"epic #{lane}", ""))
        return f"{key} {name}".strip()

    @cached_property
    def _epic_of(self) -> dict[int, int | None]:
        return {t.id: t.epic_id for t in self.plan.tasks}

    def worktrees(self, batch: ExecutionBatch) -> list[tuple[str, list[int]]]:
        """The batch's worktrees in order of first task, each with its tasks in running order."""
        by_worktree: dict[str, list[int]] = {}
        for task_id in batch.task_ids:
            by_worktree.setdefault(self.plan.worktree_assignments.get(task_id, "?"), []).append(task_id)
        return list(by_worktree.items())

    def conflicts(self) -> list[FileConflict]:
        """The predicted conflicts, strongest first."""
        return sorted(self.plan.predicted_conflicts, key=lambda c: (-c.strength, c.task_ids))

    def reasons(self) -> list[str]:
        """The texts of the reasons the plan is less parallel (`metadata.why`), most costly first."""
        stored: Any = self.plan.metadata.get("why")
        if not isinstance(stored, list):
            return []
        return [str(r["text"]) for r in stored if isinstance(r, dict) and r.get("text")]


async def load_view(conn: Queries, project: dict[str, Any], plan: ExecutionPlan) -> PlanView:
    """The view of `project`'s `plan`, with its tasks' and epics' names read from the database."""
    epics = {e["id"]: (str(e["key"]), str(e["name"] or "")) for e in await epics_of(conn, project["id"])}
    view = PlanView.of(str(project["name"]), plan, epics)  # a task since removed keeps its key
    for row in await tasks_of(conn, project["id"]):
        task = PlanningTask.from_row({**row, "level": 0, "depends_on": ()})
        text = first_line(task.description, 10_000) or task.title
        view.tasks[task.id] = ShownTask(task.key, text, task.minutes(view.default_minutes))
    return view
