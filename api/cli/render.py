"""Prints a plan for the terminal: the header, why it is not more parallel, the batches with their
worktree lanes and tasks (key and the first line of the description), then the strongest
conflicts (`most`, with how many more); `render_summary` is the compact form for big plans, one
line per batch. Every name, key, description and path goes through `api.cli.terminal.markup`."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from api.cli.plan_view import PlanView, first_line
from api.cli.terminal import markup
from planner.core.explain import duration_text
from planner.core.model import ExecutionPlan, FileConflict

DESCRIPTION_WIDTH = 60
"""Characters of a task's description the table shows (its first line)."""
CONFLICTS_SHOWN = 10
"""Conflicts `execplan show` lists by default, strongest first (`--conflicts N`)."""
SUMMARY_CONFLICTS = 5


def _minutes(seconds: int) -> str:
    return duration_text(seconds // 60)


def render_why(plan: ExecutionPlan, console: Console, most: int | None = None) -> None:
    """The reasons the plan is less parallel than its dependencies allow (`metadata.why`)."""
    reasons = PlanView.of("", plan).reasons()
    for reason in reasons[:most]:
        console.print(f"  [yellow]why:[/yellow] {markup(reason)}")
    if most is not None and len(reasons) > most:
        more = counted(len(reasons) - most, "more reason")
        console.print(f"  … {more} in `execplan show`", markup=False)


def _header(view: PlanView, console: Console) -> None:
    plan, meta = view.plan, view.plan.metadata
    console.print(
        f"[bold]{markup(view.name)}[/bold] plan v{plan.version} ({plan.created_at}): "
        f"{meta.get('task_count', len(plan.tasks))} tasks "
        f"in {len(plan.batches)} batches ({meta.get('parallel_batches', 0)} parallel), "
        f"{len(plan.predicted_conflicts)} predicted conflicts, "
        f"est. {_minutes(int(meta.get('estimated_duration', 0)))} "
        f"vs {_minutes(int(meta.get('estimated_serial_duration', 0)))} one by one"
    )
    learned = calibration_line(meta.get("calibration"))
    if learned:
        console.print(learned, markup=False, highlight=False)
    render_why(plan, console)


def calibration_line(learned: object) -> str:
    """What the plan learnt from the project's done tasks (`metadata.calibration`), in one line;
    empty when it learnt nothing."""
    if not isinstance(learned, dict):
        return ""
    history = f"{learned.get('history_tasks', 0)} done tasks as history"
    if learned.get("used"):
        return (
            f"learned: {history}; threshold {learned.get('threshold')} (default "
            f"{learned.get('default_threshold')}) and conflict strengths calibrated on "
            f"{learned.get('tasks')} of them (F1 {learned.get('f1')} vs {learned.get('f1_default')})"
        )
    return f"learned: {history}; too few to calibrate ({learned.get('tasks')} of {learned.get('min_tasks')})"


def conflict_pair(view: PlanView, conflict: FileConflict) -> str:
    """`T1 & T2`: the two tasks of a conflict by key (raw text)."""
    return " & ".join(view.key(t) for t in conflict.task_ids)


def _files(conflict: FileConflict, most: int = 4) -> str:
    shown = ", ".join(markup(f) for f in conflict.predicted_files[:most])
    return shown + (" …" if len(conflict.predicted_files) > most else "")


def _lane(view: PlanView, worktree: str) -> str:
    label = view.lane(worktree)
    return markup(label) if label == worktree else f"{markup(label)}\n[dim]{markup(worktree)}[/dim]"


def render_plan(view: PlanView, console: Console, most_conflicts: int | None = CONFLICTS_SHOWN) -> None:
    """The plan as tables; at most `most_conflicts` conflicts (None: all), strongest first."""
    _header(view, console)
    files = {t.id: t.predicted_files for t in view.plan.tasks}
    table = Table(show_lines=True)
    table.add_column("batch", justify="right")
    table.add_column("worktree lane", no_wrap=True)
    table.add_column("tasks (in order)")
    table.add_column("predicted files")
    table.add_column("est.", justify="right")
    for batch in view.plan.batches:
        for n, (worktree, ids) in enumerate(view.worktrees(batch)):
            predicted = sorted({markup(p.path) for t in ids for p in files.get(t, ())[:3]})
            tasks = [
                f"[bold]{markup(view.key(t))}[/bold] {markup(first_line(view.text(t), DESCRIPTION_WIDTH))}"
                for t in ids
            ]
            table.add_row(
                "" if n else str(batch.batch_id),
                _lane(view, worktree),
                "\n".join(tasks),
                "\n".join(predicted[:6]) + (f"\n… {len(predicted) - 6} more" if len(predicted) > 6 else ""),
                "" if n else _minutes(batch.estimated_duration),
            )
    console.print(table)
    conflicts = view.conflicts()
    shown = conflicts if most_conflicts is None else conflicts[:most_conflicts]
    if shown:
        listed = Table(title="predicted conflicts (strongest first)")
        for column in ("tasks", "type", "strength", "files"):
            listed.add_column(column, justify="right" if column == "strength" else "left")
        for c in shown:
            pair, kind = markup(conflict_pair(view, c)), markup(c.conflict_type)
            listed.add_row(pair, kind, f"{c.strength:.2f}", _files(c))
        console.print(listed)
    if len(conflicts) > len(shown):
        console.print(
            f"… and {len(conflicts) - len(shown)} more conflicts, none stronger "
            f"(`--conflicts all` lists them; `--format json` has them all)",
            markup=False,
        )


def counted(n: int, thing: str) -> str:
    """`1 task`, `2 tasks`: a count and its noun, plural unless one."""
    return f"{n} {thing}" if n == 1 else f"{n} {thing}s"


def render_summary(view: PlanView, console: Console) -> None:
    """The compact form: one line per batch (tasks, worktrees, minutes), the strongest conflicts."""
    _header(view, console)
    for batch in view.plan.batches:
        worktrees = view.worktrees(batch)
        lanes = ", ".join(markup(view.lane(w)) for w, _ in worktrees)
        console.print(
            f"batch {batch.batch_id}: {counted(len(batch.task_ids), 'task')} "
            f"in {counted(len(worktrees), 'worktree')}, "
            f"{_minutes(batch.estimated_duration)} ({lanes})",
            highlight=False,
        )
    conflicts = view.conflicts()
    for c in conflicts[:SUMMARY_CONFLICTS]:
        console.print(
            f"conflict {markup(conflict_pair(view, c))}: {markup(c.conflict_type)} {c.strength:.2f} "
            f"in {_files(c, 2)}",
            highlight=False,
        )
    if len(conflicts) > SUMMARY_CONFLICTS:
        console.print(f"… and {len(conflicts) - SUMMARY_CONFLICTS} more conflicts", markup=False)
