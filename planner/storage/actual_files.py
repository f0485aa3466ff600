"""What the stored plans and tasks say about the work done: the worktree (so the branch) each task
was planned in, every task planned in a worktree, and the done tasks whose actual files are
recorded (with the files predicted for them), for `planner.usecases.done` and the builds that
learn from them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from planner.core.tasks import PlanningTask
from planner.storage.database import Queries


@dataclass(frozen=True)
class DoneTask:
    """A done task with recorded actual files: its text (as the planner reads it), the files
    predicted for it before it was done (None when no plan predicted any) and what it changed."""

    id: int
    key: str
    text: str
    predicted: tuple[tuple[str, float], ...] | None
    actual: tuple[str, ...]


async def task_worktrees(conn: Queries, project_id: str, task_ids: Sequence[int]) -> dict[int, list[str]]:
    """Per task, the worktrees stored plans assigned it, the newest plan's first."""
    rows = await conn.fetch_all(
        "task_worktrees", {"project_id": project_id, "task_ids": [str(t) for t in task_ids]}
    )
    found: dict[int, list[str]] = {}
    for row in rows:
        found.setdefault(row["task_id"], []).append(row["worktree"])
    return found


async def worktree_members(conn: Queries, project_id: str, worktrees: Sequence[str]) -> dict[str, set[int]]:
    """Per worktree, every task a stored plan assigned to it."""
    rows = await conn.fetch_all("worktree_members", {"project_id": project_id, "worktrees": list(worktrees)})
    found: dict[str, set[int]] = {}
    for row in rows:
        found.setdefault(row["worktree"], set()).add(row["task_id"])
    return found


async def done_tasks(conn: Queries, project_id: str) -> list[DoneTask]:
    """The project's done tasks whose actual files are recorded, by id."""
    found = []
    for row in await conn.fetch_all("tasks_done_with_actual_files", {"project_id": project_id}):
        text = PlanningTask(
            row["id"], row["key"], None, 0, row["description"], row["action"], title=row["title"] or ""
        ).text
        actual = tuple(sorted({p for p in row["actual_files"] if isinstance(p, str)}))
        stored = row["predicted_files"]
        predicted = None
        if isinstance(stored, list):
            predicted = tuple(
                (p["path"], float(p["confidence"]))
                for p in stored
                if isinstance(p, dict)
                and isinstance(p.get("path"), str)
                and isinstance(p.get("confidence"), int | float)
            )
        found.append(DoneTask(row["id"], row["key"], text, predicted, actual))
    return found
