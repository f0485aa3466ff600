"""Marking tasks done, with the files each one's branch really changed (the rule of
`planner.core.done_files`): git is read first, then the tasks are marked and their files recorded
in one transaction under the project's lock (`planner.storage.lifecycle.mark_tasks_done`).

A task's branch is named as a worktree a stored plan assigned it (the newest plan's first that
exists as a branch); its base is where it left the repository's HEAD (`analyzer.branch_changes`).
A task without a branch, a project without a repository, or git failing: nothing recorded for
that task, said in its note, and the task still marked done.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from analyzer.branch_changes import BranchChanges, branch_changes
from analyzer.merges import MergeError
from planner.core.done_files import ActualFiles, Recorded, check_files, files_of_commits, remaining
from planner.storage.actual_files import task_worktrees, worktree_members
from planner.storage.attached.install import refuse_when_attached
from planner.storage.database import Database
from planner.storage.lifecycle import mark_tasks_done
from planner.storage.projects import project_by_id


@dataclass(frozen=True)
class _Read:
    """What git says of one task's branch: its changes, or why there are none to read."""

    branch: str | None
    changes: BranchChanges | None
    problem: str = ""


async def mark_done(
    db: Database,
    project_id: str,
    keys: Sequence[str],
    files: Mapping[str, Sequence[object]] | None = None,
    *,
    where: str = "files",
) -> list[Recorded]:
    """Mark the tasks of `keys` done and record what each really changed (`files`: given
    explicitly, by key; checked, `where` naming them in an error); one Recorded per task, in the
    order of `keys`. Nothing is written when a key or a file list is wrong."""
    wanted = list(dict.fromkeys(keys))
    project = await project_by_id(db, project_id)
    await refuse_when_attached(db, "mark tasks done")
    explicit = check_files(files or {}, wanted, where)
    rows = await db.fetch_all("tasks_of_project", {"project_id": project_id})
    tasks = {row["key"]: row for row in rows}
    key_of = {row["id"]: row["key"] for row in rows}
    ids = [tasks[k]["id"] for k in wanted if k in tasks]
    assigned = await task_worktrees(db, project_id, ids)
    names = sorted({name for found in assigned.values() for name in found})
    members = await worktree_members(db, project_id, names) if names else {}
    repo = project["repo_path"]
    reads = await asyncio.to_thread(
        _read_branches, repo, [i for i in ids if key_of[i] not in explicit], assigned
    )

    chosen: dict[str, ActualFiles] = {k: ActualFiles(v, "explicit") for k, v in explicit.items()}
    notes: dict[str, str] = {}
    for task_id, read in reads.items():  # commits naming the key
        key = key_of[task_id]
        if read.changes is None:
            notes[key] = read.problem
            continue
        commits = ((c.message, c.files) for c in read.changes.commits)
        named = files_of_commits(key, commits)
        if named:
            chosen[key] = ActualFiles(named, "commits", read.branch)

    def recorded_files(task_id: int) -> tuple[str, ...] | None:
        key = key_of.get(task_id)
        if key in chosen:
            return chosen[key].files
        stored = (tasks[key]["metadata"] or {}).get("actual_files") if key in tasks else None
        return tuple(stored) if isinstance(stored, list) else None

    for task_id, read in reads.items():  # the only task of its worktree without recorded files
        key = key_of[task_id]
        if key in chosen or read.changes is None or read.branch is None:
            continue
        others = members.get(read.branch, set()) - {task_id}
        unrecorded = sorted(key_of.get(o, str(o)) for o in others if recorded_files(o) is None)
        if unrecorded:
            notes[key] = (
                f"no commit on branch {read.branch} names {key}, and {', '.join(unrecorded)} of its "
                "worktree have no recorded files either"
            )
            continue
        left = remaining(read.changes.files, (recorded_files(o) or () for o in others))
        if left:
            chosen[key] = ActualFiles(left, "worktree", read.branch)
        else:
            notes[key] = f"branch {read.branch} changed no files since its base but those of other tasks"

    marked = await mark_tasks_done(db, project_id, wanted, chosen)
    return [
        Recorded(row["id"], row["key"], chosen.get(row["key"]), notes.get(row["key"], "")) for row in marked
    ]


def _read_branches(
    repo: str | None, task_ids: Sequence[int], assigned: Mapping[int, Sequence[str]]
) -> dict[int, _Read]:
    """For each task, its branch (the newest assigned worktree that is a branch) and its changes."""
    found: dict[int, _Read] = {}
    for task_id in task_ids:
        names = assigned.get(task_id, [])
        if not repo:
            found[task_id] = _Read(None, None, "the project has no repository")
        elif not names:
            found[task_id] = _Read(None, None, "no plan assigned it a worktree")
        else:
            found[task_id] = _Read(None, None, f"no branch {names[0]} in {repo}")
            try:
                for name in names:  # the newest plan's first that is a branch
                    changes = branch_changes(repo, name)
                    if changes is not None:
                        found[task_id] = _Read(name, changes)
                        break
            except MergeError as error:
                found[task_id] = _Read(None, None, f"git cannot read its branch: {error}")
    return found
