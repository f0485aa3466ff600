"""REST routes of a plan's live worktrees: the pairwise merge check and the merge order.

Both read the project's stored plan and its worktrees on disk (the service's `worktrees_dir`
setting, else beside the repository) through the same use cases as `execplan check` and
`execplan merge-order`; git runs in a thread. A check that finds a conflicting pair announces
`worktree_conflict` on the plan events channel (every WebSocket client of the project hears it).
What the service's worktree watch last found (its rounds announce only what is new) is read back
without checking anything, for a client that was not listening then (the plan page, as it opens).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.http.deps import NOT_FOUND, REFUSED, DatabaseDep, ProjectId, SettingsDep, WatchDep
from api.http.guards import StrictJsonRoute
from api.http.schemas import MergeOrderDoc, WatchedConflictsDoc, WorktreeCheckDoc
from planner.storage.projects import project_by_id
from planner.usecases.merge_check import check_batch
from planner.usecases.merge_order import merge_order

router = APIRouter(tags=["worktrees"], route_class=StrictJsonRoute)

PLAN = "/api/projects/{project_id}/execution-plan"
Batch = Annotated[int, Query(ge=1, le=2**31 - 1, description="the batch's number")]
SomeBatch = Annotated[
    int | None,
    Query(ge=1, le=2**31 - 1, description="the batch's number (default: the lowest whose worktrees exist)"),
]
NONE_THERE: dict[int | str, dict[str, Any]] = {
    404: {
        "model": NOT_FOUND[404]["model"],
        "description": "no such project, plan, batch, or none of its worktrees",
    }
}


@router.get(PLAN + "/check", response_model=WorktreeCheckDoc, responses={**NONE_THERE, **REFUSED})
async def check_worktrees(
    project_id: ProjectId, db: DatabaseDep, settings: SettingsDep, batch: SomeBatch = None
) -> Any:
    """Merge every pair of the batch's existing worktrees as they are now (default batch: the lowest
    with a worktree there), each pair clean or with its conflicting files, beside what the plan
    predicted; each conflicting pair is also sent as a `worktree_conflict` event."""
    return (await check_batch(db, str(project_id), settings, batch)).to_dict()


@router.get(PLAN + "/merge-order", response_model=MergeOrderDoc, responses={**NONE_THERE, **REFUSED})
async def propose_merge_order(
    project_id: ProjectId, db: DatabaseDep, settings: SettingsDep, batch: Batch
) -> Any:
    """The order to merge the batch's branches into the repository's HEAD with the fewest
    conflicts, by simulated merges (no ref or working tree written), and the pairs that will need
    a person."""
    return (await merge_order(db, str(project_id), settings, batch)).to_dict()


@router.get(PLAN + "/worktree-conflicts", response_model=WatchedConflictsDoc, responses=NOT_FOUND)
async def watched_conflicts(
    project_id: ProjectId, db: DatabaseDep, settings: SettingsDep, watch: WatchDep
) -> Any:
    """The conflicting pairs of the project's live worktrees as this service's worktree watch last
    found them, without checking anything now (`…/check` merges them again); none when the
    service does not watch."""
    await project_by_id(db, str(project_id))
    found = watch.conflicts(str(project_id)) if watch is not None else []
    return {
        "project_id": project_id,
        "watching": watch is not None,
        "every_seconds": settings.worktree_check_seconds,
        "conflicts": [{"batch": b, "worktrees": list(w), "files": list(f)} for b, w, f in found],
    }
