"""Real conflicts while agents work: a batch's live worktrees merged pairwise, and a file asked
about before an agent edits it.

`check_batch` takes each existing worktree of the batch as it is now (`analyzer.merges.snapshot`:
uncommitted and new files too) and merges every pair for real (`analyzer.merges.merge`, git
merge-tree: renames followed, nothing touched), next to what the plan predicted between their
tasks; each conflicting pair is announced as a `worktree_conflict` event on the plan events
channel. The service's watcher lays each planned project out once a round and checks its
`live_batches` with `check_layout`, which announces nothing: it announces only what is new.
`check_file` says whether another live worktree of the project, of any batch, changed a file
since it left the repository's HEAD (`worktrees.live_changes`). Git runs in a thread.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path, PurePosixPath
from typing import Any

from analyzer.merges import changed_files, commit_of, merge, snapshot
from planner.core.errors import InvalidInputError, NotFoundError
from planner.core.model import ExecutionPlan
from planner.core.settings import Settings
from planner.core.worktrees import WORKTREE_NAME
from planner.storage.database import Database
from planner.usecases.automation import announce
from planner.usecases.worktrees import (
    Layout,
    PlannedWorktree,
    git_work,
    known_worktrees,
    live_changes,
    load_layout,
)

NOTIFY_BYTES = 7000
"""A `worktree_conflict` event's payload is kept under this many bytes (PostgreSQL's NOTIFY takes
fewer than 8000): files past it are counted in `files_omitted`."""


@dataclass(frozen=True)
class Predicted:
    """A conflict the plan predicted between a task of one worktree and a task of the other."""

    task_ids: tuple[int, int]
    files: tuple[str, ...]
    conflict_type: str
    strength: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "task_ids": list(self.task_ids),
            "files": list(self.files),
            "conflict_type": self.conflict_type,
            "strength": self.strength,
        }


@dataclass(frozen=True)
class PairCheck:
    """Two worktrees merged as they are: clean, or the files that conflict; and the prediction."""

    worktrees: tuple[str, str]
    files: tuple[str, ...]
    predicted: tuple[Predicted, ...]

    @property
    def clean(self) -> bool:
        return not self.files

    def to_dict(self) -> dict[str, Any]:
        return {
            "worktrees": list(self.worktrees),
            "clean": self.clean,
            "files": list(self.files),
            "predicted": [p.to_dict() for p in self.predicted],
        }


@dataclass(frozen=True)
class BatchCheck:
    """Every pair of a batch's existing worktrees; `missing`: its worktrees not there."""

    project_id: str
    project_name: str
    batch: int
    folder: Path
    worktrees: tuple[str, ...]
    missing: tuple[str, ...]
    pairs: tuple[PairCheck, ...]

    @property
    def clean(self) -> bool:
        return all(pair.clean for pair in self.pairs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "project_id": self.project_id,
            "batch": self.batch,
            "worktrees": list(self.worktrees),
            "missing": list(self.missing),
            "clean": self.clean,
            "pairs": [pair.to_dict() for pair in self.pairs],
        }


@dataclass(frozen=True)
class FileCheck:
    """Who else changed a file: the other live worktrees that did, each with whether it committed
    that change (else it is uncommitted only)."""

    path: str
    worktree: str
    taken_by: tuple[tuple[str, bool], ...]

    @property
    def free(self) -> bool:
        return not self.taken_by


def predicted_between(plan: ExecutionPlan, a: PlannedWorktree, b: PlannedWorktree) -> tuple[Predicted, ...]:
    """The plan's predicted conflicts between a task of `a` and a task of `b`, strongest first."""
    found = [
        Predicted(c.task_ids, c.predicted_files, c.conflict_type, c.strength)
        for c in plan.predicted_conflicts
        if (c.task_ids[0] in a.task_ids and c.task_ids[1] in b.task_ids)
        or (c.task_ids[0] in b.task_ids and c.task_ids[1] in a.task_ids)
    ]
    return tuple(sorted(found, key=lambda p: (-p.strength, p.task_ids)))


def _pairs(layout: Layout, present: list[PlannedWorktree]) -> list[PairCheck]:
    states = {w.name: snapshot(w.path) for w in present}
    return [
        PairCheck((a.name, b.name), merge(layout.repo, states[a.name], states[b.name]).conflicted,
                  predicted_between(layout.plan, a, b))
        for a, b in combinations(present, 2)
    ]  # fmt: skip


def conflict_event(check: BatchCheck, pair: PairCheck) -> dict[str, Any]:
    """The fields of a pair's `worktree_conflict` event, its files cut to fit a notification."""
    fields: dict[str, Any] = {
        "batch": check.batch,
        "worktrees": list(pair.worktrees),
        "files": list(pair.files),
        "files_omitted": 0,
        "predicted": [p.to_dict() for p in pair.predicted[:5]],
    }
    while len(json.dumps(fields)) > NOTIFY_BYTES and (fields["files"] or fields["predicted"]):
        if fields["predicted"]:
            fields["predicted"].pop()
        else:
            fields["files"].pop()
            fields["files_omitted"] += 1
    return fields


async def announce_conflict(db: Database, check: BatchCheck, pair: PairCheck) -> None:
    """Send a conflicting pair to the project's WebSocket clients as a `worktree_conflict` event."""
    await announce(db, "worktree_conflict", check.project_id, **conflict_event(check, pair))


async def live_batches(layout: Layout) -> tuple[int, ...]:
    """The batches of a laid-out plan with at least two of their worktrees there (a pair to
    merge), lowest first."""
    known = await git_work(known_worktrees, layout.repo)
    there = [w.batch for w in layout.worktrees if w.path in known]
    return tuple(sorted(b for b in set(there) if there.count(b) >= 2))


async def check_batch(
    db: Database, project_id: str, settings: Settings, batch: int | None = None
) -> BatchCheck:
    """Merge every pair of the batch's existing worktrees as they are now (default batch: the
    lowest one with a worktree there); each conflicting pair is announced."""
    layout = await load_layout(db, project_id, settings, batch)
    check = await check_layout(layout, batch)
    for pair in check.pairs:
        if not pair.clean:
            await announce_conflict(db, check, pair)
    return check


async def check_layout(layout: Layout, batch: int | None = None) -> BatchCheck:
    """`check_batch` on a plan already laid out (one batch, or every batch), announcing nothing:
    its caller decides what to announce (api/http/worktree_watch.py)."""
    known = await git_work(known_worktrees, layout.repo)
    there = [w for w in layout.worktrees if w.path in known]
    if batch is None:
        if not there:
            raise NotFoundError(
                f"no worktree of project {layout.project_name!r} is in {layout.folder}: "
                f"`execplan worktrees create {layout.project_name} --batch N` makes them"
            )
        batch = min(w.batch for w in there)
    present = [w for w in there if w.batch == batch]
    if not present:
        raise NotFoundError(
            f"no worktree of batch {batch} of project {layout.project_name!r} is in {layout.folder}: "
            f"`execplan worktrees create {layout.project_name} --batch {batch}` makes them"
        )
    pairs = await git_work(_pairs, layout, present)
    return BatchCheck(
        project_id=layout.project_id,
        project_name=layout.project_name,
        batch=batch,
        folder=layout.folder,
        worktrees=tuple(w.name for w in present),
        missing=tuple(w.name for w in layout.in_batch(batch) if w not in present),
        pairs=tuple(pairs),
    )


def repo_relative(path: str, layout: Layout, own: Path) -> str:
    """A path as git names it in the repository: given relative to the top (`api/x.py`), or
    absolute inside the asking worktree or the repository; InvalidInputError when it is neither."""
    given = Path(path)
    if given.is_absolute():
        resolved = given.resolve()
        for top in (own, layout.repo):
            if resolved.is_relative_to(top):
                return resolved.relative_to(top).as_posix()
        raise InvalidInputError(
            f"--file {path}: not inside worktree {own.name} or the repository {layout.repo}"
        )
    parts = [p for p in PurePosixPath(path.replace("\\", "/")).parts if p != "."]
    if not parts or ".." in parts:
        raise InvalidInputError(f"--file {path!r}: give a path inside the repository, like api/orders.py")
    return "/".join(parts)


def _check_file(layout: Layout, path: str, worktree: str) -> FileCheck:
    known = known_worktrees(layout.repo)
    there = [w for w in layout.worktrees if w.path in known]
    asking = None if WORKTREE_NAME.fullmatch(worktree) else Path(worktree).expanduser().resolve()
    own = next((w for w in there if w.name == worktree or w.path == asking), None)
    if own is None:
        raise InvalidInputError(
            f"--worktree {worktree}: no worktree of project {layout.project_name!r} of that name or "
            f"folder is in {layout.folder}"
        )
    relative = repo_relative(path, layout, own.path)
    head = commit_of(layout.repo, "HEAD")
    taken: list[tuple[str, bool]] = []
    for w in there:
        if w is not own and relative in live_changes(layout.repo, head, w.path):
            committed = relative in changed_files(layout.repo, head, commit_of(w.path, "HEAD"))
            taken.append((w.name, committed))
    return FileCheck(relative, own.name, tuple(taken))


async def check_file(
    db: Database, project_id: str, settings: Settings, path: str, worktree: str
) -> FileCheck:
    """Whether another existing worktree of the project (any batch) changed `path` since it left
    the repository's HEAD, committed or not; `worktree` is the asking one, by name or folder."""
    layout = await load_layout(db, project_id, settings)
    return await git_work(_check_file, layout, path, worktree)
