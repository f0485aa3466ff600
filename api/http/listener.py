"""Listening for the database's notifications, and the automatic builds after Session 0 completes.

`ChannelListener` owns one autocommit connection that LISTENs on a channel, checks it
periodically and reconnects with backoff when it drops. `SessionListener` uses one on
SESSION_CHANNEL: each notification asks the `BuildRunner` (api/builds.py) to build that
project's plan if it still needs one. Notifications are hints: on every (re)connect and then
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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import psycopg
from psycopg import sql

from api.http.builds import BuildRunner
from planner.core.errors import ExecplanError
from planner.storage.database import Database
from planner.usecases.automation import SESSION_CHANNEL

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backoff:
    """Waits between reconnection attempts: `initial`, doubled after each failure, at most `maximum`."""

    initial: float = 0.2
    maximum: float = 10.0


DEFAULT_BACKOFF = Backoff()


class ChannelListener:
    """One dedicated autocommit connection LISTENing on `channel`; reconnects when it drops.

    `handle` gets each notification's payload and must not block (schedule work instead);
    `on_connect` runs after every successful (re)connect, e.g. to catch up on missed work.
    """

    def __init__(
        self,
        url: str,
        channel: str,
        handle: Callable[[str], None],
        *,
        on_connect: Callable[[], Awaitable[object]] | None = None,
        health_interval: float = 5.0,
        backoff: Backoff = DEFAULT_BACKOFF,
    ) -> None:
        self.url = url
        self.channel = channel
        self.handle = handle
        self.on_connect = on_connect
        self.health_interval = health_interval
        self.backoff = backoff
        self.backend_pid: int | None = None  # the server process of the current connection
        self.connects = 0  # successful connections so far
        self.listening = asyncio.Event()

    async def run(self) -> None:
        """Listen until cancelled, reconnecting with backoff after any connection failure."""
        delay = self.backoff.initial
        while True:
            connects_before = self.connects
            try:
                await self._listen_once()
            except (psycopg.Error, OSError) as error:
                reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
                log.warning("LISTEN %s: connection lost (%s)", self.channel, reason)
            except Exception:  # a bug: say so, and keep the service listening
                log.exception("LISTEN %s: unexpected failure", self.channel)
            finally:
                self.listening.clear()
                self.backend_pid = None
            if self.connects > connects_before:
                delay = self.backoff.initial  # it had worked: start the backoff again
            log.info("LISTEN %s: reconnecting in %.1fs", self.channel, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.backoff.maximum)

    async def _listen_once(self) -> None:
        async with await psycopg.AsyncConnection.connect(self.url, autocommit=True) as conn:
            await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
            self.backend_pid = conn.info.backend_pid
            self.connects += 1
            self.listening.set()
            log.info("LISTEN %s on backend %s", self.channel, self.backend_pid)
            if self.on_connect is not None:
                await self.on_connect()
            while True:
                async for notification in conn.notifies(timeout=self.health_interval):
                    try:
                        self.handle(notification.payload)
                    except Exception:  # a handler bug must not take the listener down
                        log.exception("LISTEN %s: handling a notification failed", self.channel)
                await conn.execute("SELECT 1")  # the periodic check that the connection still works


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
            rows = await self.db.fetch_all("projects_needing_plan")
        except ExecplanError as error:
            log.warning("sweep for projects needing a plan failed: %s", error)
            return 0
        except Exception:  # a bug: say so, and sweep again next time
            log.exception("sweep for projects needing a plan failed")
            return 0
        for row in rows:
            self.builds.request_if_needed(str(row["id"]), "sweep")
        return len(rows)

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
