"""The `execplan` command: db migrate | db url | db shell | import | schema | build | show | projects |
delete | done | backtest | demo | attach | detach | worktrees | check | merge-order | serve (the
commands on stored projects are in `manage.py`, attach and detach in `attaching.py`, worktrees,
check and merge-order in `worktrees.py`, serve in `serving.py`); SIGTERM stops it as Ctrl-C does, so that its
cleanups (the embedded server) run."""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import json
import logging
import signal
import sys
import threading
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

from rich.console import Console

from api.cli.attaching import add_commands as add_attach_commands
from api.cli.manage import build_and_report, cmd_delete, cmd_done, cmd_projects
from api.cli.plan_formats import plan_markdown, plan_mermaid
from api.cli.plan_view import load_view
from api.cli.render import CONFLICTS_SHOWN, render_plan, render_summary
from api.cli.serving import add_command as add_serve_command
from api.cli.terminal import VisibleFormatter, console, markup, visible
from api.cli.worktrees import add_commands as add_worktree_commands
from planner.core.errors import ExecplanError, InvalidInputError, NotFoundError, TaskFileError
from planner.core.settings import load_settings
from planner.formats import FORMATS, load_tasks
from planner.formats.schema import json_schema
from planner.storage.database import Database
from planner.storage.embedded import database_url, psql_program
from planner.storage.importer import import_task_file
from planner.storage.migrate import migrate
from planner.storage.plans import get_execution_plan
from planner.storage.projects import resolve_project


async def open_database() -> Database:
    """An open pool on the configured database, migrated to the current schema."""
    db = Database(database_url())
    await db.open()
    await migrate(db)
    return db


async def cmd_migrate(db: Database, args: argparse.Namespace, out: Console) -> None:
    applied = await migrate(db)
    out.print(f"applied migrations {applied}" if applied else "database is up to date")


async def cmd_import(db: Database, args: argparse.Namespace, out: Console) -> None:
    loaded = load_tasks(
        Path(args.file),
        getattr(args, "format", None),
        project=getattr(args, "project", None),
        repo=Path(args.repo) if getattr(args, "repo", None) else None,
        tag=getattr(args, "tag", None),
    )
    spec = loaded.spec
    project_id = await import_task_file(db, spec)
    done = sum(t.done for t in spec.tasks)
    out.print(
        f"imported {markup(spec.name)} ({project_id}): {len(spec.epics)} epics, {len(spec.tasks)} tasks"
        f" ({done} done), read as {loaded.format}",
        highlight=False,
    )


def cmd_schema(args: argparse.Namespace) -> int:
    sys.stdout.write(json.dumps(json_schema(), indent=2) + "\n")
    return 0


async def cmd_build(db: Database, args: argparse.Namespace, out: Console) -> None:
    settings = load_settings(max_worktrees=args.max_worktrees)
    project = await resolve_project(db, args.project)
    await build_and_report(db, project, settings, out)


async def cmd_show(db: Database, args: argparse.Namespace, out: Console) -> None:
    form = "json" if args.json else args.format
    if args.summary and form != "table":
        raise InvalidInputError(f"--summary is a form of the table; it does not go with --format {form}")
    project = await resolve_project(db, args.project)
    plan = await get_execution_plan(db, str(project["id"]))
    if plan is None:
        raise NotFoundError(
            f"project {project['name']!r} has no plan yet: run `execplan build {args.project}`"
        )
    if form == "json":
        sys.stdout.write(json.dumps(plan.to_dict(), indent=2) + "\n")
        return
    view = await load_view(db, project, plan)
    if form == "markdown":
        sys.stdout.write(plan_markdown(view, args.conflicts))
    elif form == "mermaid":
        sys.stdout.write(plan_mermaid(view))
    elif args.summary:
        render_summary(view, out)
    else:
        render_plan(view, out, args.conflicts)


def _conflict_count(text: str) -> int | None:
    """`--conflicts`: a count of 0 or more, or `all`."""
    if text == "all":
        return None
    if not text.isascii() or not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a count of 0 or more, or `all`, not {text!r}")
    return int(text)


async def cmd_demo(db: Database, args: argparse.Namespace, out: Console) -> None:
    from api.cli.demo import write_demo

    spec_path = write_demo(Path(args.folder) if args.folder else None)
    out.print(f"sample repository and tasks file in {markup(spec_path.parent)}")
    await cmd_import(db, argparse.Namespace(file=str(spec_path)), out)
    await cmd_build(db, argparse.Namespace(project="demo", max_worktrees=args.max_worktrees), out)
    shown = argparse.Namespace(project="demo", json=False, format="table", summary=False, conflicts=10)
    await cmd_show(db, shown, out)


def cmd_backtest(args: argparse.Namespace) -> int:
    from api.cli.backtest_report import run_backtest

    if args.project is not None:
        from api.cli.backtest_project import cmd_backtest_project

        asyncio.run(_run(cmd_backtest_project, args))
        return 0

    return run_backtest(
        Path(args.repo), size=args.size, windows=args.windows, seed=args.seed, rev=args.rev,
        settings=load_settings(max_worktrees=args.max_worktrees), merge=args.merge,
    )  # fmt: skip


def cmd_url(args: argparse.Namespace) -> int:
    print(visible(database_url()))
    return 0


def cmd_shell(args: argparse.Namespace) -> int:
    psql = psql_program()
    url = database_url()
    asyncio.run(_migrated())
    import subprocess

    return subprocess.call([str(psql), url, *args.psql_args])


async def _migrated() -> None:
    db = await open_database()
    await db.close()


IMPORT_HELP = """Import a task list as a project: validated whole first (every problem is listed,
one per line, and nothing is written), then written in one transaction. Re-importing a project
updates its epics and tasks by key and removes those no longer in the list.

Formats (--format), detected when not named:
  native      execplan's tasks file, JSON or YAML (.yaml/.yml; `execplan schema` prints its schema)
  taskmaster  claude-task-master's tasks.json (a .json file with task ids and no project)
  speckit     spec-kit's tasks.md (a .md file)
  ccpm        a ccpm epics folder (any folder: a repository root, .claude/epics, or one epic)
  beads       beads' issues.jsonl (a .jsonl file)

The project's name is --project, else the file's own (native project.name, spec-kit's
"# Tasks: <feature>"), else the repository's folder name (spec-kit: the feature's folder; ccpm
given one epic: the epic's name; a task-master tag other than master: <name>-<tag>). Its
repository is --repo, else the file's repo_path, else the git top of PATH's folder, if any."""


class _DefaultsShown(argparse.HelpFormatter):
    """Every option's help ends with its default: the value argparse holds, unless the help already
    says `(default: …)` itself (a default computed later: detected, from the settings)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if "(default" in text or not action.option_strings or action.default is argparse.SUPPRESS:
            return text
        if action.nargs == 0 and action.default is False:  # a switch
            return f"{text} (default: off)"
        if action.default is None:
            return text
        return f"{text} (default: %(default)s)"


class _RawDescriptionDefaultsShown(argparse.RawDescriptionHelpFormatter, _DefaultsShown):
    """The defaults shown, and the description printed as written (its lists)."""


class _Parser(argparse.ArgumentParser):
    """argparse, whose errors quote the command line (`unrecognized arguments: …`) visibly, and
    whose help shows every option's default (every subcommand's parser is one too)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _DefaultsShown)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {visible(message)}\n")


MAX_WORKTREES_HELP = "worktrees per batch (default: the settings' max_worktrees, 4 unless set)"


def _version() -> str:
    """The installed package's version."""
    try:
        return importlib.metadata.version("execplan")
    except importlib.metadata.PackageNotFoundError:  # run from a checkout that is not installed
        return "unknown (not installed)"


def parser() -> argparse.ArgumentParser:
    top = _Parser(prog="execplan", description="Conflict-aware execution plans for parallel agents.")
    top.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    top.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = top.add_subparsers(dest="command", required=True)
    db = sub.add_parser("db", help="the database").add_subparsers(dest="db_command", required=True)
    db.add_parser("migrate", help="apply pending migrations").set_defaults(run=cmd_migrate)
    db.add_parser("url", help="print the database URL (starts the embedded server)").set_defaults(
        sync=cmd_url
    )
    shell = db.add_parser(
        "shell", help="psql on the database; extra arguments go to psql",
        description="psql on the database. Every argument after `db shell` goes to psql "
                    "(`execplan db shell -c \"SELECT 1\"`), except -h or --help alone.",
    )  # fmt: skip
    shell.add_argument("psql_args", nargs=argparse.REMAINDER, metavar="PSQL_ARG", help="a psql argument")
    shell.set_defaults(sync=cmd_shell)
    imp = sub.add_parser(
        "import",
        help="import a task list: execplan's tasks file, task-master, spec-kit, ccpm or beads",
        description=IMPORT_HELP,
        formatter_class=_RawDescriptionDefaultsShown,
    )
    imp.add_argument("file", metavar="PATH", help="a tasks file, or a ccpm epics folder")
    imp.add_argument("--format", choices=FORMATS, help="the format of PATH (default: detected, see above)")
    imp.add_argument("--project", metavar="NAME", help="the project's name (default: see above)")
    imp.add_argument("--repo", metavar="PATH", help="the project's git repository (default: see above)")
    imp.add_argument("--tag", help="task-master: the tag to import (default: master, or the only one)")
    imp.set_defaults(run=cmd_import)
    sub.add_parser("schema", help="print the JSON Schema of the tasks file").set_defaults(sync=cmd_schema)
    build = sub.add_parser("build", help="build and store a project's plan")
    build.add_argument("project", help="project name or id")
    build.add_argument("--max-worktrees", type=int, help=MAX_WORKTREES_HELP)
    build.set_defaults(run=cmd_build)
    show = sub.add_parser("show", help="show a project's stored plan")
    show.add_argument("project", help="project name or id")
    show.add_argument(
        "--format", choices=("table", "json", "markdown", "mermaid"), default="table",
        help="table (default); json: the plan document; markdown: tables to paste in a pull "
             "request; mermaid: a gantt chart, a section per worktree lane",
    )  # fmt: skip
    show.add_argument("--json", action="store_true", help="the same as --format json")
    show.add_argument(
        "--summary", action="store_true",
        help="the compact table form for big plans: a line per batch, the strongest conflicts",
    )  # fmt: skip
    show.add_argument(
        "--conflicts", type=_conflict_count, default=CONFLICTS_SHOWN, metavar="N|all",
        help=f"conflicts to list, strongest first (default {CONFLICTS_SHOWN}; `all` for every one)",
    )  # fmt: skip
    show.set_defaults(run=cmd_show)
    sub.add_parser("projects", help="list the stored projects").set_defaults(run=cmd_projects)
    delete = sub.add_parser(
        "delete", help="delete a project and all it holds (asks nothing)",
        description="Delete a project with its epics, tasks, sessions, plans and adjustments, in one "
                    "transaction. It asks nothing: there is no undo.",
    )  # fmt: skip
    delete.add_argument("project", help="project name or id")
    delete.set_defaults(run=cmd_delete)
    done = sub.add_parser(
        "done", help="mark tasks done and rebuild the plan",
        description="Mark the project's tasks of these keys done, then build its plan again. An "
                    "unknown key is named and nothing is marked. The files each task really changed "
                    "are recorded, for later builds to learn from: --files, else the commits on its "
                    "branch (named as its worktree) that name its key, else its branch's changes when "
                    "it is the only task of its worktree left.",
    )  # fmt: skip
    done.add_argument("project", help="project name or id")
    done.add_argument("tasks", nargs="+", metavar="TASK", help="the key of a task")
    done.add_argument("--max-worktrees", type=int, help=MAX_WORKTREES_HELP)
    done.add_argument(
        "--files", nargs="+", metavar="PATH",
        help="the files the one task named really changed (default: read from its branch)",
    )  # fmt: skip
    done.set_defaults(run=cmd_done)
    backtest = sub.add_parser(
        "backtest", help="replay a repository's history as task sets and score the plans"
    )
    source = backtest.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--repo", help="a git repository (or bare git directory) (default: none; this or --project)"
    )
    source.add_argument(
        "--project",
        help="a project (name or id): the predictor on its done tasks, uncalibrated and calibrated on "
        "the others (default: none; this or --repo)",
    )
    backtest.add_argument("--size", type=int, default=16, help="tasks per window")
    backtest.add_argument("--windows", type=int, default=8, help="number of windows")
    backtest.add_argument("--seed", type=int, default=7, help="where the windows start (random seed)")
    backtest.add_argument("--rev", default="HEAD", help="replay the history that ends here")
    backtest.add_argument("--max-worktrees", type=int, help=MAX_WORKTREES_HELP)
    backtest.add_argument(
        "--merge", action="store_true", help="also merge the pairs for real (git merge-tree): the merge leak"
    )
    backtest.set_defaults(sync=cmd_backtest)
    demo = sub.add_parser("demo", help="plan a sample repository and task set, and show it")
    demo.add_argument("--folder", help="where to write the sample (default: the data directory)")
    demo.add_argument("--max-worktrees", type=int, help=MAX_WORKTREES_HELP)
    demo.set_defaults(run=cmd_demo)
    add_attach_commands(sub)
    add_worktree_commands(sub)
    add_serve_command(sub)
    return top


async def _run(
    command: Callable[[Database, argparse.Namespace, Console], Awaitable[int | None]],
    args: argparse.Namespace,
) -> int:
    """Run a command on the open database; its exit status (0 unless it returns another)."""
    db = await open_database()
    try:
        return await command(db, args, console(width=None if sys.stdout.isatty() else 160)) or 0
    finally:
        await db.close()


def _split_shell(argv: list[str]) -> tuple[list[str], list[str] | None]:
    """`db shell` hands every word after it to psql, its options too (argparse would take `-c` for
    one of its own): the words for argparse, and psql's (None for another command)."""
    at = 0
    while at < len(argv) and argv[at].startswith("-") and argv[at] != "--":
        at += 1  # execplan's own options before the command
    rest = argv[at + 2 :]
    if argv[at : at + 2] != ["db", "shell"] or rest in (["-h"], ["--help"]):
        return argv, None
    return argv[: at + 2], rest[1:] if rest[:1] == ["--"] else rest


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, as Ctrl-C's KeyboardInterrupt is: `finally` blocks and
    exit handlers run (the embedded server is stopped)."""


def _terminate(signum: int, frame: FrameType | None) -> NoReturn:
    raise Terminated


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    words, psql_args = _split_shell(words)
    args = parser().parse_args(words)
    if psql_args is not None:
        args.psql_args = psql_args
    handler = logging.StreamHandler()
    handler.setFormatter(VisibleFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, handlers=[handler])
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main_thread else None
    try:
        if hasattr(args, "sync"):
            return int(args.sync(args))
        return asyncio.run(_run(args.run, args))
    except TaskFileError as error:  # every problem, one line each
        for problem in error.problems:
            print(f"execplan: error: {visible(problem)}", file=sys.stderr)
        return 1
    except ExecplanError as error:
        print(f"execplan: error: {visible(error)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as stopped:
        return 128 + (signal.SIGTERM if isinstance(stopped, Terminated) else signal.SIGINT)
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)
    return 0


if __name__ == "__main__":
    sys.exit(main())
