"""Builds that announce themselves: the plan after Session 0, for listeners and embedding orchestrators.

Events go out with `pg_notify` on EVENTS_CHANNEL, so every server process listening on the
database sees them: `execution_plan_building`, `execution_plan_ready`, `execution_plan_updated`,
`execution_plan_error`, each a small JSON object with `type` and `project_id`.
An orchestrator that embeds execplan awaits `on_session_completed(db, project_id)`.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from .builder import ExecutionPlanBuilder
from .database import Database
from .errors import ExecplanError
from .mentions import FilePredictor
from .model import ExecutionPlan
from .settings import Settings

log = logging.getLogger(__name__)

EVENTS_CHANNEL = "execplan_events"
SESSION_CHANNEL = "execplan_session_completed"


def plan_summary(plan: ExecutionPlan) -> dict[str, Any]:
    """What a log line or an event says about a plan."""
    return {
        "version": plan.version,
        "batches": len(plan.batches),
        "tasks": len(plan.tasks),
        "parallel_batches": sum(1 for b in plan.batches if b.can_parallel),
        "conflicts": len(plan.predicted_conflicts),
        "overrides_not_applied": len((plan.metadata.get("overrides") or {}).get("not_applied", [])),
        "why": [reason["text"] for reason in plan.metadata.get("why") or []],
    }


async def announce(db: Database, event_type: str, project_id: str, **fields: Any) -> None:
    """Notify every listening process of a plan event."""
    payload = json.dumps({"type": event_type, "project_id": project_id, **fields}, default=str)
    await db.execute("notify", {"channel": EVENTS_CHANNEL, "payload": payload})


async def build_and_announce(
    db: Database,
    project_id: str,
    settings: Settings | None = None,
    predictor: FilePredictor | None = None,
    build_id: str | None = None,
) -> ExecutionPlan:
    """Build and store the project's plan, announcing building / ready (or error)."""
    await announce(db, "execution_plan_building", project_id, build_id=build_id)
    try:
        plan = await ExecutionPlanBuilder(db, settings, predictor).build_plan(project_id)
    except ExecplanError as error:
        log.warning("plan build for project %s failed: %s", project_id, error)
        await announce(db, "execution_plan_error", project_id, build_id=build_id, error=str(error))
        raise
    summary = plan_summary(plan)
    log.info(
        "plan v%(version)s for project %(project)s: %(batches)s batches, %(tasks)s tasks, "
        "%(parallel_batches)s parallel batches, %(conflicts)s conflicts",
        {**summary, "project": project_id},
    )
    await announce(db, "execution_plan_ready", project_id, build_id=build_id, summary=summary)
    return plan


async def on_session_completed(
    db: Database, project_id: str, settings: Settings | None = None
) -> ExecutionPlan:
    """The in-process hook: Session 0 of `project_id` has completed; build and announce its plan."""
    return await build_and_announce(db, project_id, settings)
