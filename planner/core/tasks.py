"""What the planner knows of a task: its text, epic, dependency level, duration estimate and the
hints its planning tool declared."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from planner.core.model import PredictedFile


@dataclass(frozen=True)
class PlanningTask:
    """An unfinished task as read for planning (see the `tasks_for_planning` query)."""

    id: int
    key: str
    epic_id: int | None
    level: int
    description: str = ""
    action: str = ""
    priority: int = 0
    epic_text: str = ""
    title: str = ""
    depends_on: tuple[int, ...] = ()
    estimated_minutes: int | None = None
    # hints a planning tool declared (tasks file `conflicts_with` / `parallel`): evidence, not rules
    conflicts_with: tuple[str, ...] = ()  # keys of tasks said to touch the same files
    parallel: bool | None = None  # said to be safe (True) or not (False) to run beside others
    predicted_files: tuple[PredictedFile, ...] = field(default=(), compare=False)

    @property
    def text(self) -> str:
        """The task's own words: its title (unless the description's first line has it), description
        and action."""
        first_line = self.description.lstrip().split("\n", 1)[0].lower()
        lead = "" if not self.title or self.title.lower() in first_line else self.title
        return "\n".join(p for p in (lead, self.description, self.action) if p).strip()

    @property
    def lane(self) -> int:
        """The worktree lane the task belongs to: its epic's id, or (a task without an epic) a lane of
        its own, `-id`, as if it were its own epic. Lanes of one batch run side by side."""
        return self.epic_id if self.epic_id is not None else -self.id

    def minutes(self, default: int) -> int:
        return self.estimated_minutes if self.estimated_minutes and self.estimated_minutes > 0 else default

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> PlanningTask:
        metadata = row.get("metadata") or {}
        minutes = metadata.get("estimated_minutes")
        title = metadata.get("title")
        conflicts = metadata.get("conflicts_with")
        parallel = metadata.get("parallel")
        epic_text = " ".join(p for p in (row.get("epic_name"), row.get("epic_description")) if p)
        return cls(
            id=row["id"],
            key=row["key"],
            epic_id=row["epic_id"],
            level=row["level"],
            description=row["description"],
            action=row["action"],
            priority=row["priority"],
            epic_text=epic_text,
            title=title if isinstance(title, str) else "",
            depends_on=tuple(row.get("depends_on") or ()),
            estimated_minutes=minutes if isinstance(minutes, int) and not isinstance(minutes, bool) else None,
            conflicts_with=tuple(str(k) for k in conflicts) if isinstance(conflicts, list) else (),
            parallel=parallel if isinstance(parallel, bool) else None,
        )
