"""Prints a plan as readable tables: why it is not more parallel, batches with their worktrees, then
conflicts. Every name, key, worktree and path in them goes through `api.terminal.markup`."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rich.console import Console
from rich.table import Table

from api.cli.terminal import markup
from planner.core.explain import duration_text
from planner.core.model import ExecutionPlan


def _minutes(seconds: int) -> str:
    return duration_text(seconds // 60)


def render_why(plan: ExecutionPlan, console: Console, most: int | None = None) -> None:
    """The reasons the plan is less parallel than its dependencies allow (`metadata.why`)."""
    stored: Any = plan.metadata.get("why")
    reasons = [r for r in stored if isinstance(r, dict) and r.get("text")] if isinstance(stored, list) else []
    for reason in reasons[:most]:
        console.print(f"  [yellow]why:[/yellow] {markup(reason['text'])}")
    if most is not None and len(reasons) > most:
        console.print(f"  … {len(reasons) - most} more reasons in `execplan show`", markup=False)


def render_plan(plan: ExecutionPlan, name: str, console: Console) -> None:
    keys = {t.id: markup(t.key) for t in plan.tasks}
    files = {t.id: t.predicted_files for t in plan.tasks}
    meta = plan.metadata
    console.print(
        f"[bold]{markup(name)}[/bold] plan v{plan.version} ({plan.created_at}): "
        f"{meta.get('task_count', len(keys))} tasks "
        f"in {len(plan.batches)} batches ({meta.get('parallel_batches', 0)} parallel), "
        f"{len(plan.predicted_conflicts)} predicted conflicts, "
        f"est. {_minutes(int(meta.get('estimated_duration', 0)))} "
        f"vs {_minutes(int(meta.get('estimated_serial_duration', 0)))} one by one"
    )
    render_why(plan, console)
    table = Table(show_lines=True)
    table.add_column("batch", justify="right")
    table.add_column("worktree", no_wrap=True)
    table.add_column("tasks (in order)")
    table.add_column("predicted files")
    table.add_column("est.", justify="right")
    for batch in plan.batches:
        by_worktree: dict[str, list[int]] = defaultdict(list)
        for task_id in batch.task_ids:
            by_worktree[markup(plan.worktree_assignments.get(task_id, "?"))].append(task_id)
        first = True
        for worktree, ids in by_worktree.items():
            predicted = sorted({markup(p.path) for t in ids for p in files.get(t, ())[:3]})
            table.add_row(
                str(batch.batch_id) if first else "",
                worktree,
                ", ".join(keys.get(t, str(t)) for t in ids),
                "\n".join(predicted[:6]) + (f"\n… {len(predicted) - 6} more" if len(predicted) > 6 else ""),
                _minutes(batch.estimated_duration) if first else "",
            )
            first = False
    console.print(table)
    if plan.predicted_conflicts:
        conflicts = Table(title="predicted conflicts")
        conflicts.add_column("tasks")
        conflicts.add_column("type")
        conflicts.add_column("strength", justify="right")
        conflicts.add_column("files")
        for c in plan.predicted_conflicts:
            conflicts.add_row(
                " & ".join(keys.get(t, str(t)) for t in c.task_ids),
                markup(c.conflict_type),
                f"{c.strength:.2f}",
                ", ".join(markup(f) for f in c.predicted_files[:4])
                + (" …" if len(c.predicted_files) > 4 else ""),
            )
        console.print(conflicts)
