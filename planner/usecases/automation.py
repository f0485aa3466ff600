"""Builds that announce themselves: the plan after Session 0, for listeners and embedding orchestrators.

Events go out with `pg_notify` on EVENTS_CHANNEL, so every server process listening on the
database sees them: `execution_plan_building`, `execution_plan_ready`, `execution_plan_updated`,
`execution_plan_error`, each a small JSON object with `type` and `project_id`.
An orchestrator that embeds execplan awaits `on_session_completed(db, project_id)`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from planner.core.errors import ExecplanError
from planner.core.model import ExecutionPlan
from planner.core.predictor import FilePredictor
from planner.core.progress import Progress
from planner.core.settings import Settings
from planner.storage.coordination import notify
from planner.storage.database import Database
from planner.usecases.build import build_plan

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
    await notify(db, EVENTS_CHANNEL, payload)


class ProgressEvents:
    """A build's progress as `execution_plan_building` events with its stage and fraction: called
    from any thread of the build, sent in order, one at a time, from the event loop it was made on."""

    def __init__(self, db: Database, project_id: str, build_id: str | None) -> None:
        self.db, self.project_id, self.build_id = db, project_id, build_id
        self.loop = asyncio.get_running_loop()
        self.queue: list[tuple[str, float]] = []
        self.sender: asyncio.Task[None] | None = None

    def __call__(self, stage: str, fraction: float) -> None:
        self.loop.call_soon_threadsafe(self._queue, stage, round(fraction, 3))

    def _queue(self, stage: str, fraction: float) -> None:
        self.queue.append((stage, fraction))
        if self.sender is None or self.sender.done():
            self.sender = self.loop.create_task(self._send())

    async def _send(self) -> None:
        while self.queue:
            stage, fraction = self.queue.pop(0)
            try:
                await announce(
                    self.db,
                    "execution_plan_building",
                    self.project_id,
                    build_id=self.build_id,
                    stage=stage,
                    fraction=fraction,
                )
            except Exception as error:  # progress is best effort: the build goes on
                log.warning("could not announce the progress of build %s: %s", self.build_id, error)

    async def flush(self) -> None:
        """Wait until every progress event so far is sent (so none arrives after the outcome)."""
        await asyncio.sleep(0)  # those scheduled from other threads
        while self.sender is not None and not self.sender.done():
            await self.sender


async def build_and_announce(
    db: Database,
    project_id: str,
    settings: Settings | None = None,
    predictor: FilePredictor | None = None,
    build_id: str | None = None,
) -> ExecutionPlan:
    """Build and store the project's plan, announcing building (with its progress) and ready (or error)."""
    await announce(db, "execution_plan_building", project_id, build_id=build_id)
    events = ProgressEvents(db, project_id, build_id)
    try:
        try:
            plan = await build_plan(db, project_id, settings, predictor, Progress(events))
        finally:
            await events.flush()
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
