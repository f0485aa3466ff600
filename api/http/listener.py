"""Listening for the database's notifications, and the automatic builds after Session 0 completes.

`SessionListener` listens (`planner.storage.listening.ChannelListener`) on SESSION_CHANNEL:
each notification asks the `BuildRunner` (api/http/builds.py) to build that project's plan if it
still needs one. Notifications are hints: on every (re)connect and then
every `sweep_interval` a sweep (`projects_needing_plan`) schedules whatever a lost notification
missed. Every server process hears every notification; the build lock lets one of them build.

Every loop here survives any error: it logs it and goes on. A database that is down postpones an
automatic build to the next sweep (it is not counted as the project's failure).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid

from api.http.builds import BuildRunner
from planner.core.errors import ExecplanError
from planner.storage.database import Database
from planner.storage.listening import DEFAULT_BACKOFF, Backoff, ChannelListener
from planner.storage.projects import needing_plan
from planner.usecases.automation import SESSION_CHANNEL

log = logging.getLogger(__name__)


class SessionListener:
    """Automatic builds: Session-0 notifications, plus a sweep on connect and every `sweep_interval`."""

    def __init__(
        self,
        url: str,
        db: Database,
        builds: BuildRunner,
        *,
        sweep_interval: float = 60.0,
        health_interval: float = 5.0,
        backoff: Backoff = DEFAULT_BACKOFF,
    ) -> None:
        self.db = db
        self.builds = builds
        self.sweep_interval = sweep_interval
        self.channel = ChannelListener(
            url,
            SESSION_CHANNEL,
            self._on_notification,
            on_connect=self.sweep,
            health_interval=health_interval,
            backoff=backoff,
        )

    @property
    def backend_pid(self) -> int | None:
        return self.channel.backend_pid

    async def run(self) -> None:
        """Listen and sweep until cancelled."""
        async with asyncio.TaskGroup() as group:
            group.create_task(self.channel.run())
            group.create_task(self._sweep_periodically())

    async def sweep(self) -> int:
        """Schedule a build of every project that needs one; returns how many were scheduled."""
        try:
            projects = await needing_plan(self.db)
        except ExecplanError as error:
            log.warning("sweep for projects needing a plan failed: %s", error)
            return 0
        except Exception:  # a bug: say so, and sweep again next time
            log.exception("sweep for projects needing a plan failed")
            return 0
        for project_id in projects:
            self.builds.request_if_needed(project_id, "sweep")
        return len(projects)

    async def _sweep_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_interval)
            await self.sweep()

    def _on_notification(self, payload: str) -> None:
        try:
            project_id = str(uuid.UUID(str(json.loads(payload)["project_id"])))
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed %s notification", SESSION_CHANNEL)
            return
        self.builds.request_if_needed(project_id, "Session 0 completed")
