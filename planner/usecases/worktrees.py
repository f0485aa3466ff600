"""A plan's worktrees on disk: where each one goes, and making, listing and removing them.

The rule of where: a batch's worktrees are the names of the stored plan's `worktree_assignments`
for the batch's tasks (made by `planner.core.worktrees.worktree_name`; a name `WORKTREE_NAME`
does not read is refused), each a folder of that name in the worktrees folder — the setting
`worktrees_dir` (`--dir`, `EXECPLAN_WORKTREES_DIR`), else `<repository>-worktrees` beside the
repository — and on a branch of the same name. A path that does not resolve to a folder directly
inside the worktrees folder (a symlink out of it) is refused before anything is done.

What a worktree changed is what its live state (uncommitted and new files too:
`analyzer.merges.snapshot`) changed since it left the repository's HEAD (their merge base): work
already merged there no longer counts. Git runs in a thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from analyzer.git_cli import git_toplevel, repository_problem
from analyzer.git_worktrees import (
    GitWorktree,
    WorktreeError,
    add_worktree,
    branch_commit,
    delete_branch,
    list_worktrees,
    remove_worktree,
    uncommitted,
)
from analyzer.merges import MergeError, changed_files, commit_of, snapshot
from planner.core.errors import ExecplanError, InvalidInputError, NotFoundError
from planner.core.model import ExecutionBatch, ExecutionPlan
from planner.core.settings import Settings
from planner.core.worktrees import WORKTREE_NAME
from planner.storage.database import Database
from planner.storage.plans import get_execution_plan
from planner.storage.projects import project_by_id

T = TypeVar("T")


async def git_work(work: Callable[..., T], *args: object) -> T:
    """`work(*args)` in a thread (git never runs on the event loop); git's own failure becomes
    an ExecplanError of one line."""
    try:
        return await asyncio.to_thread(work, *args)
    except (MergeError, WorktreeError) as error:
        raise ExecplanError(str(error)) from None


@dataclass(frozen=True)
class PlannedWorktree:
    """A worktree the plan names: its batch, name (also its branch's), folder and tasks."""

    batch: int
    name: str
    path: Path
    task_ids: tuple[int, ...]
    task_keys: tuple[str, ...]


@dataclass(frozen=True)
class Layout:
    """A project's plan laid out on disk: its repository, the worktrees folder and the worktrees
    of the batches asked for (in batch order), with what git knows of each folder now."""

    project_id: str
    project_name: str
    repo: Path
    folder: Path
    plan: ExecutionPlan
    worktrees: tuple[PlannedWorktree, ...]

    def in_batch(self, batch: int) -> tuple[PlannedWorktree, ...]:
        return tuple(w for w in self.worktrees if w.batch == batch)


@dataclass(frozen=True)
class Outcome:
    """What was done with one worktree: `created`, `exists`, `removed`, `absent` or `refused`
    (left as it was), and the detail in words."""

    name: str
    path: Path
    done: str
    detail: str

    @property
    def ok(self) -> bool:
        return self.done != "refused"


@dataclass(frozen=True)
class WorktreeState:
    """A planned worktree as it is: whether it exists, its branch, how many files it changed."""

    planned: PlannedWorktree
    exists: bool
    branch: str | None
    changed: int | None


def worktrees_folder(repo: Path, configured: str | None) -> Path:
    """The folder a repository's worktrees go in (resolved): `configured`, else `<repo>-worktrees`
    beside it."""
    if configured:
        return Path(configured).expanduser().resolve()
    return repo.parent.resolve() / f"{repo.name}-worktrees"


def worktree_path(folder: Path, name: str) -> Path:
    """Where the worktree `name` goes: a folder directly inside `folder`; InvalidInputError for a
    name execplan does not make or a path that resolves elsewhere."""
    if not WORKTREE_NAME.fullmatch(name):
        raise InvalidInputError(f"worktree name {name!r} of the plan is not one execplan makes: refused")
    path = (folder / name).resolve()
    if path.parent != folder or path.name != name:
        raise InvalidInputError(
            f"worktree {name}: {folder / name} resolves to {path}, outside {folder}: refused"
        )
    return path


def repository_of(project: dict[str, Any]) -> Path:
    """The top of the project's repository; InvalidInputError naming it when git cannot read it."""
    where = project.get("repo_path")
    if not where:
        raise InvalidInputError(f"project {project['name']!r} has no repository")
    problem = repository_problem(str(where))
    top = None if problem else git_toplevel(str(where))
    if top is None:
        raise InvalidInputError(
            f"project {project['name']!r}: its repository {problem or f'{where} is unreadable'}"
        )
    return top


async def load_layout(db: Database, project_id: str, settings: Settings, batch: int | None = None) -> Layout:
    """The project's stored plan laid out in its worktrees folder: every batch, or batch `batch`
    (NotFoundError when the plan has none such, or there is no plan)."""
    project = await project_by_id(db, project_id)
    plan = await get_execution_plan(db, project_id)
    if plan is None:
        raise NotFoundError(
            f"project {project['name']!r} has no plan yet: run `execplan build {project['name']}`"
        )
    batches = [b for b in plan.batches if batch is None or b.batch_id == batch]
    if not batches:
        known = ", ".join(str(b.batch_id) for b in plan.batches) or "none"
        raise NotFoundError(
            f"plan v{plan.version} of {project['name']!r} has no batch {batch} (batches: {known})"
        )
    return await git_work(_lay_out, project, plan, batches, settings.worktrees_dir)


def _lay_out(
    project: dict[str, Any], plan: ExecutionPlan, batches: list[ExecutionBatch], configured: str | None
) -> Layout:
    repo = repository_of(project)
    folder = worktrees_folder(repo, configured)
    keys = {t.id: t.key for t in plan.tasks}
    planned: list[PlannedWorktree] = []
    for each in batches:
        names: dict[str, list[int]] = {}
        for task_id in each.task_ids:
            name = plan.worktree_assignments.get(task_id)
            if name is not None:
                names.setdefault(name, []).append(task_id)
        for name, ids in names.items():
            planned.append(
                PlannedWorktree(
                    batch=each.batch_id,
                    name=name,
                    path=worktree_path(folder, name),
                    task_ids=tuple(ids),
                    task_keys=tuple(keys.get(i, str(i)) for i in ids),
                )
            )
    return Layout(str(project["id"]), str(project["name"]), repo, folder, plan, tuple(planned))


def known_worktrees(repo: Path) -> dict[Path, GitWorktree]:
    """The repository's worktrees whose folders are there, by resolved path."""
    return {w.path: w for w in list_worktrees(repo) if not w.prunable}


def base_commit(repo: Path, ref: str | None) -> str:
    """The commit `ref` (default HEAD) names; InvalidInputError naming it otherwise."""
    try:
        return commit_of(repo, ref or "HEAD")
    except MergeError:
        raise InvalidInputError(f"--base {ref or 'HEAD'!r}: not a commit in {repo}") from None


def live_changes(repo: Path, base: str, worktree: Path) -> list[str]:
    """The files a worktree changed since it left `base`, as it is now: committed, uncommitted
    and new files alike."""
    return changed_files(repo, base, snapshot(worktree))


def _create(layout: Layout, worktrees: Iterable[PlannedWorktree], base: str) -> list[Outcome]:
    if layout.folder.exists() and not layout.folder.is_dir():
        raise InvalidInputError(f"worktrees folder {layout.folder} is not a folder")
    layout.folder.mkdir(parents=True, exist_ok=True)
    every = list_worktrees(layout.repo)
    known = {g.path: g for g in every if not g.prunable}
    outcomes: list[Outcome] = []
    for w in worktrees:
        there = known.get(w.path)
        elsewhere = next((g.path for g in every if g.branch == w.name), None)
        if there is not None and there.branch == w.name:
            outcomes.append(Outcome(w.name, w.path, "exists", f"exists on branch {w.name}"))
        elif there is not None:
            branch = there.branch or "a detached HEAD"
            outcomes.append(
                Outcome(w.name, w.path, "refused", f"exists on {branch}, not {w.name}: left as it is")
            )
        elif w.path.exists() and (not w.path.is_dir() or any(w.path.iterdir())):
            outcomes.append(
                Outcome(
                    w.name, w.path, "refused", "is there and is no worktree of the repository: left as it is"
                )
            )
        elif elsewhere is not None:
            outcomes.append(
                Outcome(
                    w.name, w.path, "refused", f"branch {w.name} is checked out at {elsewhere}: not created"
                )
            )
        else:
            try:
                made = add_worktree(layout.repo, w.path, w.name, base)
            except WorktreeError as error:
                outcomes.append(Outcome(w.name, w.path, "refused", str(error)))
                continue
            start = commit_of(w.path, "HEAD")[:12]
            how = (
                f"on new branch {w.name} from {base[:12]}"
                if made
                else f"on existing branch {w.name} at {start}, as it was"
            )
            outcomes.append(Outcome(w.name, w.path, "created", how))
    return outcomes


async def create_worktrees(
    db: Database, project_id: str, settings: Settings, batch: int, base: str | None = None
) -> tuple[Layout, list[Outcome]]:
    """Make the batch's worktrees, each on its branch from `base` (default the repository's HEAD);
    those there already are said to exist, and nothing there is ever replaced."""
    layout = await load_layout(db, project_id, settings, batch)
    start = await git_work(base_commit, layout.repo, base)
    return layout, await git_work(_create, layout, layout.in_batch(batch), start)


def states(layout: Layout, worktrees: Iterable[PlannedWorktree]) -> list[WorktreeState]:
    """Each planned worktree as it is now (files changed counted against the repository's HEAD)."""
    known = known_worktrees(layout.repo)
    head = commit_of(layout.repo, "HEAD")
    found: list[WorktreeState] = []
    for w in worktrees:
        there = known.get(w.path)
        if there is None:
            found.append(WorktreeState(w, False, None, None))
            continue
        found.append(WorktreeState(w, True, there.branch, len(live_changes(layout.repo, head, w.path))))
    return found


async def worktree_states(
    db: Database, project_id: str, settings: Settings, batch: int | None = None
) -> tuple[Layout, list[WorktreeState]]:
    """The plan's worktrees (of one batch, or all) as they are on disk."""
    layout = await load_layout(db, project_id, settings, batch)
    return layout, await git_work(states, layout, layout.worktrees)


def _remove(layout: Layout, force: bool, delete_branches: bool) -> list[Outcome]:
    known = known_worktrees(layout.repo)
    outcomes: list[Outcome] = []
    for w in layout.worktrees:
        there = known.get(w.path)
        if there is None:
            # its branch outlives it (removed by hand, or by a run without --delete-branches),
            # unless another worktree has it checked out
            if (
                delete_branches
                and all(k.branch != w.name for k in known.values())
                and branch_commit(layout.repo, w.name) is not None
            ):
                outcomes.append(
                    Outcome(w.name, w.path, "absent", f"not there; {_drop_branch(layout, w.name, force)}")
                )
            else:
                outcomes.append(Outcome(w.name, w.path, "absent", "not there"))
            continue
        dirty = uncommitted(w.path)
        if dirty and not force:
            shown = ", ".join(dirty[:3]) + (f" and {len(dirty) - 3} more" if len(dirty) > 3 else "")
            outcomes.append(
                Outcome(
                    w.name,
                    w.path,
                    "refused",
                    f"has uncommitted changes ({shown}): not removed (--force removes it)",
                )
            )
            continue
        try:
            remove_worktree(layout.repo, w.path, force=force)
        except WorktreeError as error:
            outcomes.append(Outcome(w.name, w.path, "refused", str(error)))
            continue
        detail = f"removed; branch {there.branch or '-'} kept"
        if delete_branches and there.branch == w.name:
            detail = f"removed; {_drop_branch(layout, w.name, force)}"
        outcomes.append(Outcome(w.name, w.path, "removed", detail))
    return outcomes


def _drop_branch(layout: Layout, branch: str, force: bool) -> str:
    """Delete a worktree's branch (an unmerged one only when `force`); what became of it."""
    try:
        delete_branch(layout.repo, branch, force=force)
    except WorktreeError as error:
        why = error if force else "it is not merged into HEAD (--force deletes it)"
        return f"branch {branch} kept: {why}"
    return f"branch {branch} deleted"


async def remove_worktrees(
    db: Database,
    project_id: str,
    settings: Settings,
    batch: int,
    force: bool = False,
    delete_branches: bool = False,
) -> tuple[Layout, list[Outcome]]:
    """Remove the batch's worktrees: one with uncommitted changes only when `force`; their
    branches only when `delete_branches` (an unmerged one only when `force` too)."""
    layout = await load_layout(db, project_id, settings, batch)
    return layout, await git_work(_remove, layout, force, delete_branches)
