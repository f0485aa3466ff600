"""The commands on stored projects besides import and show: `projects` (the table of every
project), `delete` and `done` (tasks marked done, then the plan rebuilt), and the one report of
a build that `build` and `done` print. Every name and path goes through `terminal.markup`."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console
from rich.progress import Progress as RichProgress
from rich.table import Table

from api.cli.render import counted, render_why
from api.cli.terminal import markup
from planner.core.done_files import Recorded
from planner.core.errors import InvalidInputError
from planner.core.progress import Progress
from planner.core.settings import Settings, load_settings
from planner.storage.attached.install import attachment
from planner.storage.database import Database
from planner.storage.lifecycle import delete_project, projects_overview
from planner.storage.projects import resolve_project
from planner.usecases.build import build_plan
from planner.usecases.done import mark_done

SHOWN_FILES = 5
"""Files of a task named after `done` (then how many more)."""


async def build_and_report(db: Database, project: dict[str, Any], settings: Settings, out: Console) -> None:
    """Build and store the project's plan (a progress bar on a terminal), and say what it is."""
    with RichProgress(console=out, transient=True, disable=not out.is_terminal) as bar:
        shown = bar.add_task("index", total=1.0)

        def report(stage: str, fraction: float) -> None:
            bar.update(shown, description=markup(stage), completed=fraction)

        plan = await build_plan(db, str(project["id"]), settings, progress=Progress(report))
    meta = plan.metadata
    out.print(
        f"built plan v{plan.version} of {markup(project['name'])}: {meta['task_count']} tasks, "
        f"{len(plan.batches)} batches ({meta['parallel_batches']} parallel), "
        f"{len(plan.predicted_conflicts)} predicted conflicts"
    )
    render_why(plan, out, most=2)
    out.print(f"see it: {markup(page_url(str(project['id'])))} (while `execplan serve` runs)")


def page_url(project_id: str | None = None, host: str = "127.0.0.1", port: int = 8000) -> str:
    """The address of the projects page, or of one project's plan page, on `execplan serve`."""
    where = f"[{host}]" if ":" in host else host
    base = f"http://{where}:{port}/"
    return base if project_id is None else f"{base}projects/{project_id}/plan"


async def cmd_projects(db: Database, args: argparse.Namespace, out: Console) -> None:
    rows = await projects_overview(db)
    if not rows:
        attached = await attachment(db)
        said = (
            f"no projects yet in the orchestrator's tables (profile {attached['profile']!r})"
            if attached is not None
            else "no projects yet: `execplan import PATH` makes one"
        )
        out.print(said, markup=False, highlight=False)
        return
    table = Table()
    for column, justify in (("name", "left"), ("id", "left"), ("repository", "left"),
                            ("plan", "right"), ("tasks", "right"), ("batches", "right")):  # fmt: skip
        table.add_column(column, justify=justify, no_wrap=column == "id")  # type: ignore[arg-type]
    for row in rows:
        table.add_row(
            markup(row["name"]),
            str(row["id"]),
            markup(row["repo_path"] or "-"),
            "-" if row["plan_version"] is None else f"v{row['plan_version']}",
            f"{row['tasks']} ({row['tasks_done']} done)",
            "-" if row["batches"] is None else str(row["batches"]),
        )
    out.print(table)


async def cmd_delete(db: Database, args: argparse.Namespace, out: Console) -> None:
    project = await resolve_project(db, args.project)
    await delete_project(db, str(project["id"]))
    out.print(f"deleted project {markup(project['name'])} ({project['id']})", highlight=False)


async def cmd_done(db: Database, args: argparse.Namespace, out: Console) -> None:
    settings = load_settings(max_worktrees=args.max_worktrees)  # bad settings: nothing marked
    if args.files is not None and len(set(args.tasks)) != 1:
        raise InvalidInputError("--files: name exactly one task with it (the files that task changed)")
    project = await resolve_project(db, args.project)
    given = {args.tasks[0]: args.files} if args.files is not None else None
    marked = await mark_done(db, str(project["id"]), args.tasks, given, where="--files")
    keys = ", ".join(markup(task.key) for task in marked)
    out.print(f"marked done in {markup(project['name'])}: {keys}", highlight=False)
    for task in marked:
        out.print(recorded_line(task), highlight=False, soft_wrap=True)
    await build_and_report(db, project, settings, out)


def recorded_line(task: Recorded) -> str:
    """What was recorded of a task marked done, in one line (markup-safe)."""
    if task.actual is None:
        return f"  {markup(task.key)}: nothing recorded: {markup(task.note)}"
    files = task.actual.files
    named = ", ".join(markup(f) for f in files[:SHOWN_FILES])
    more = f" and {len(files) - SHOWN_FILES} more" if len(files) > SHOWN_FILES else ""
    source = {
        "explicit": "as given",
        "commits": f"from the commits naming it on branch {markup(task.actual.branch or '')}",
        "worktree": f"from branch {markup(task.actual.branch or '')}, the only task of its worktree left",
    }[task.actual.source]
    return f"  {markup(task.key)}: {counted(len(files), 'file')} recorded {source}: {named}{more}"
