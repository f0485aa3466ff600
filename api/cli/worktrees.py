"""`execplan worktrees create|list|remove`, `execplan check` and `execplan merge-order`: a plan's
worktrees made on disk, checked by real merges while agents work, and merged in the order with
fewest conflicts (the use cases are `planner.usecases.worktrees`, `merge_check`, `merge_order`).

`check` exits 1 when a pair of worktrees conflicts, or (`--file`) when another worktree changed
the file, so that a script or an agent's pre-edit hook can use it; `worktrees create|remove` exit
1 when a worktree was left as it was. Every name and path goes through `terminal.markup`.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from api.cli.render import counted
from api.cli.terminal import markup
from planner.core.errors import InvalidInputError
from planner.core.settings import load_settings
from planner.storage.database import Database
from planner.storage.projects import resolve_project
from planner.usecases.merge_check import BatchCheck, Predicted, check_batch, check_file
from planner.usecases.merge_order import EXHAUSTIVE_UP_TO, merge_order
from planner.usecases.worktrees import Layout, Outcome, create_worktrees, remove_worktrees, worktree_states

DIR_HELP = (
    "the folder of the worktrees (default: the worktrees_dir setting, else <repository>-worktrees "
    "beside the repository)"
)


def _batch(text: str) -> int:
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 2**31 - 1:
        raise argparse.ArgumentTypeError(f"expected a batch number (1, 2, …), not {text!r}")
    return int(text)


def add_commands(sub: argparse._SubParsersAction[Any]) -> None:
    """`worktrees`, `check` and `merge-order`, on the `execplan` parser."""
    worktrees = sub.add_parser(
        "worktrees", help="make, list or remove the git worktrees of a plan's batch",
        description="The git worktrees of a project's stored plan: one per worktree the plan names "
                    "in a batch, in a folder of its name inside the worktrees folder, on a branch of "
                    "the same name.",
    ).add_subparsers(dest="worktrees_command", required=True)  # fmt: skip
    create = worktrees.add_parser(
        "create", help="make a batch's worktrees and their branches (again: nothing more)",
        description="Make the batch's worktrees (git worktree add), each on a new branch named as "
                    "the worktree, from the base. Those there already are left as they are; one on "
                    "another branch, or whose branch is checked out elsewhere, is named and left.",
    )  # fmt: skip
    create.add_argument(
        "--base", metavar="REF", help="where new branches start (default: the repository's HEAD)"
    )
    listing = worktrees.add_parser(
        "list", help="the plan's worktrees: where, branch, tasks, there or not, changed files"
    )
    remove = worktrees.add_parser(
        "remove", help="remove a batch's worktrees (not one with uncommitted changes, unless --force)"
    )
    remove.add_argument("--force", action="store_true", help="remove worktrees with uncommitted changes too")
    remove.add_argument(
        "--delete-branches", action="store_true",
        help="delete their branches too (one not merged into HEAD only with --force)",
    )  # fmt: skip
    check = sub.add_parser(
        "check", help="merge a batch's live worktrees pairwise; or: is a file changed elsewhere",
        description="Compare the batch's existing worktrees pairwise by a real merge of what they "
                    "hold now (uncommitted and new files too), next to what the plan predicted; exit "
                    "1 when a pair conflicts. With --file and --worktree: exit 0 when no other "
                    "worktree of the project changed the file, 1 naming those that did.",
    )  # fmt: skip
    check.add_argument(
        "--file",
        metavar="PATH",
        help="a file about to be edited, with --worktree (default: none, the batch's pairs are checked)",
    )
    check.add_argument(
        "--worktree",
        metavar="NAME|DIR",
        help="the worktree asking, by name or folder, with --file (default: none)",
    )
    order = sub.add_parser(
        "merge-order", help="the order to merge a batch's branches with the fewest conflicts",
        description=f"Simulate merging the batch's branches into the base one after another (nothing "
                    f"written to any ref or working tree), every order for up to {EXHAUSTIVE_UP_TO} "
                    f"branches, a greedy one beyond; say which pairs will need a person.",
    )  # fmt: skip
    order.add_argument(
        "--base", metavar="REF", help="what they are merged into (default: the repository's HEAD)"
    )
    for each, batch_required in (
        (create, True),
        (listing, False),
        (remove, True),
        (check, False),
        (order, True),
    ):
        each.add_argument("project", help="project name or id")
        if batch_required:
            each.add_argument("--batch", type=_batch, required=True, help="the batch's number; required")
        else:
            default = "the lowest batch whose worktrees exist" if each is check else "every batch"
            each.add_argument("--batch", type=_batch, help=f"the batch's number (default: {default})")
        each.add_argument("--dir", "--worktrees-dir", dest="worktrees_dir", metavar="FOLDER", help=DIR_HELP)
    create.set_defaults(run=cmd_create)
    listing.set_defaults(run=cmd_list)
    remove.set_defaults(run=cmd_remove)
    check.set_defaults(run=cmd_check)
    order.set_defaults(run=cmd_merge_order)


async def _project_id(db: Database, args: argparse.Namespace) -> str:
    return str((await resolve_project(db, args.project))["id"])


def _report(layout: Layout, batch: int, outcomes: Sequence[Outcome], out: Console) -> int:
    out.print(
        f"batch {batch} of {markup(layout.project_name)}, worktrees in {markup(layout.folder)}:",
        highlight=False,
    )
    for o in outcomes:
        out.print(f"  {o.done:<8} {markup(o.name)}: {markup(o.detail)}", highlight=False)
    if not outcomes:
        out.print("  (the batch has no worktrees)", highlight=False)
    return 0 if all(o.ok for o in outcomes) else 1


async def cmd_create(db: Database, args: argparse.Namespace, out: Console) -> int:
    settings = load_settings(worktrees_dir=args.worktrees_dir)
    layout, outcomes = await create_worktrees(
        db, await _project_id(db, args), settings, args.batch, args.base
    )
    return _report(layout, args.batch, outcomes, out)


async def cmd_remove(db: Database, args: argparse.Namespace, out: Console) -> int:
    settings = load_settings(worktrees_dir=args.worktrees_dir)
    layout, outcomes = await remove_worktrees(
        db, await _project_id(db, args), settings, args.batch, args.force, args.delete_branches
    )
    return _report(layout, args.batch, outcomes, out)


async def cmd_list(db: Database, args: argparse.Namespace, out: Console) -> int:
    settings = load_settings(worktrees_dir=args.worktrees_dir)
    layout, found = await worktree_states(db, await _project_id(db, args), settings, args.batch)
    table = Table(title=f"worktrees of {markup(layout.project_name)} in {markup(layout.folder)}")
    for column in ("batch", "worktree", "path", "branch", "tasks", "exists", "changed"):
        table.add_column(
            column, justify="right" if column in ("batch", "changed") else "left", overflow="fold"
        )
    for state in found:
        w = state.planned
        table.add_row(
            str(w.batch),
            markup(w.name),
            markup(w.path),
            markup(state.branch or "-"),
            markup(", ".join(w.task_keys)),
            "yes" if state.exists else "no",
            "-" if state.changed is None else str(state.changed),
        )
    out.print(table)
    return 0


def _predicted(predicted: Sequence[Predicted]) -> str:
    if not predicted:
        return "none predicted"
    parts = [f"{', '.join(p.files) or '-'} ({p.conflict_type}, {p.strength:.2f})" for p in predicted[:3]]
    more = f" and {len(predicted) - 3} more" if len(predicted) > 3 else ""
    return "predicted: " + "; ".join(parts) + more


def render_check(check: BatchCheck, out: Console) -> None:
    """Each pair of the batch's worktrees: clean or the conflicting files, beside the prediction."""
    missing = f"; not there: {', '.join(check.missing)}" if check.missing else ""
    out.print(
        f"batch {check.batch} of {markup(check.project_name)}: {counted(len(check.worktrees), 'worktree')}, "
        f"{counted(len(check.pairs), 'pair')} merged{markup(missing)}",
        highlight=False,
    )
    for pair in check.pairs:
        verdict = "clean" if pair.clean else "conflict in " + ", ".join(pair.files)
        line = f"{' and '.join(pair.worktrees)}: {verdict}; {_predicted(pair.predicted)}"
        out.print(f"  {markup(line)}", highlight=False)


async def cmd_check(db: Database, args: argparse.Namespace, out: Console) -> int:
    if (args.file is None) != (args.worktree is None):
        raise InvalidInputError("--file and --worktree go together: which file, asked by which worktree")
    if args.file is not None and args.batch is not None:
        raise InvalidInputError("--file looks at the worktrees of every batch: leave out --batch")
    settings = load_settings(worktrees_dir=args.worktrees_dir)
    project_id = await _project_id(db, args)
    if args.file is None:
        check = await check_batch(db, project_id, settings, args.batch)
        render_check(check, out)
        return 0 if check.clean else 1
    found = await check_file(db, project_id, settings, args.file, args.worktree)
    if found.free:
        out.print(f"free: no other worktree changed {markup(found.path)}", highlight=False)
        return 0
    names = ", ".join(
        f"{name} ({'committed' if committed else 'uncommitted'})" for name, committed in found.taken_by
    )
    out.print(f"taken: {markup(found.path)} is changed in {markup(names)}", highlight=False)
    return 1


async def cmd_merge_order(db: Database, args: argparse.Namespace, out: Console) -> int:
    settings = load_settings(worktrees_dir=args.worktrees_dir)
    found = await merge_order(db, await _project_id(db, args), settings, args.batch, args.base)
    how = (
        f"every order compared ({found.orders_tried} in full)"
        if found.exhaustive
        else "greedy"
        if len(found.steps) > EXHAUSTIVE_UP_TO
        else f"the best of {found.orders_tried} orders (search cut short)"
    )
    out.print(
        f"merge order of batch {found.batch} of {markup(found.project_name)} onto {found.base[:12]} "
        f"({len(found.steps)} branches; {how}):",
        highlight=False,
    )
    for n, step in enumerate(found.steps, 1):
        verdict = "clean" if not step.files else "conflict in " + ", ".join(step.files)
        out.print(f"  {n}. {markup(step.branch)}: {markup(verdict)}", highlight=False)
    for (a, b), files in found.needs_person:
        out.print(
            f"needs a person: {markup(a)} and {markup(b)} ({markup(', '.join(files))})", highlight=False
        )
    if not found.needs_person:
        out.print("no pair of branches conflicts by itself", highlight=False)
    if found.missing:
        out.print(f"no branch yet: {markup(', '.join(found.missing))}", highlight=False)
    return 0
