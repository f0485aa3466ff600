"""REST routes of a plan's live worktrees: the pairwise merge check and the merge order.

Both read the project's stored plan and its worktrees on disk (the service's `worktrees_dir`
setting, else beside the repository) through the same use cases as `execplan check` and
`execplan merge-order`; git runs in a thread. A check that finds a conflicting pair announces
`worktree_conflict` on the plan events channel (every WebSocket client of the project hears it).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.http.deps import NOT_FOUND, REFUSED, DatabaseDep, ProjectId, SettingsDep
from api.http.guards import StrictJsonRoute
from api.http.schemas import MergeOrderDoc, WorktreeCheckDoc
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
