"""Builds in the background: requested ones, and automatic ones after Session 0 completes.

`ChannelListener` owns one autocommit connection that LISTENs on a channel, checks it
periodically and reconnects with backoff when it drops. `SessionListener` uses one on
SESSION_CHANNEL: each notification asks `BuildRunner` to build that project's plan if it still
needs one. Notifications are hints: on every (re)connect and then every `sweep_interval` a sweep
(`projects_needing_plan`) schedules whatever a lost notification missed. Every server process
hears every notification, so an automatic build first takes the project's build lock, which
only one process can hold, and re-checks that a plan is still needed; the loser does nothing.
`BuildRunner` also runs requested builds, one per project at a time: a request while one runs
(in this process, or in another live one: the lock's holder, read from `running_builds`) is
answered with the running build's id.

Every loop here survives any error: it logs it and goes on. A database that is down postpones an
automatic build to the next sweep (it is not counted as the project's failure).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from planner.automation import SESSION_CHANNEL, announce, build_and_announce
from planner.database import Connection, Database
from planner.errors import DatabaseUnavailableError, ExecplanError
from planner.settings import Settings
from planner.workers import BuildPool

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


@dataclass
class RunningBuild:
    build_id: str
    since: float  # time.monotonic()


def new_build_id() -> str:
    return str(uuid.uuid4())


class BuildRunner:
    """Runs plan builds in the background, one at a time per project, at most `max_concurrent` at once.

    A build holds the project's build lock (`build_claim`) on a connection of this process for as
    long as it runs, with its id beside it in `running_builds`; another process asking for a
    build of that project reads it there (`build_running`), and stops seeing it the moment this
    process dies, with its connection: no timer decides that a build is gone.
    """

    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        max_concurrent: int = 3,
        retry_failed_after: float = 300.0,
        pool: BuildPool | None = None,
    ) -> None:
        self.db = db
        self.pool = pool  # None: builds run in this process (their CPU work in threads)
        self.settings = settings
        self.retry_failed_after = retry_failed_after
        self._slots = asyncio.Semaphore(max_concurrent)
        self._running: dict[str, RunningBuild] = {}  # this process's builds, waiting or running
        self._tasks: set[asyncio.Task[None]] = set()
        self._failed_at: dict[str, float] = {}  # automatic builds that failed, not retried for a while
        self._recheck: set[str] = set()  # projects to look at again when their running build ends
        self._closed = False

    async def running_build(self, project_id: str) -> str | None:
        """The id of the build of `project_id` running now (here, or in a live process elsewhere)."""
        here = self.running_build_here(project_id)
        if here is not None:
            return here
        found = await self.db.fetch_value("build_running", {"project_id": project_id})
        return None if found is None else str(found)

    async def request(self, project_id: str) -> tuple[str, bool]:
        """Start a build unless one of the project runs; returns (build id, whether one was running)."""
        if self._closed:
            raise ExecplanError("the service is shutting down: no new builds")
        current = await self.running_build(project_id)
        if current is None:
            current = self.running_build_here(project_id)  # one requested here meanwhile
        if current is not None:
            return current, True
        build_id = new_build_id()
        self._running[project_id] = RunningBuild(build_id, time.monotonic())
        self._spawn(self._requested(project_id, build_id))
        return build_id, False

    def running_build_here(self, project_id: str) -> str | None:
        """The id of the build of `project_id` this process runs (or is about to), if any."""
        running = self._running.get(project_id)
        return None if running is None else running.build_id

    def request_if_needed(self, project_id: str, reason: str) -> None:
        """Build `project_id` if its Session 0 completed after its latest plan (automatic builds)."""
        if self._closed:
            return
        failed = self._failed_at.get(project_id)
        if failed is not None and time.monotonic() - failed < self.retry_failed_after:
            return
        if project_id in self._running:
            self._recheck.add(project_id)  # it may have started before the session completed
            return
        self._spawn(self._if_needed(project_id, reason))

    async def wait_idle(self) -> None:
        """Wait until every build started so far has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Cancel the builds still running; start no more."""
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- internals ---------------------------------------------------------------------------

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _requested(self, project_id: str, build_id: str) -> None:
        try:
            async with self._slots, self._claimed(project_id, build_id, wait=True):
                await self._build(project_id, build_id)
        except Exception as error:  # it could not even start (the database is down): say so
            log.warning("plan build %s of project %s did not start: %s", build_id, project_id, error)
            self._finished(project_id, build_id)
            await _announce_quietly(self.db, project_id, build_id, str(error))

    async def _if_needed(self, project_id: str, reason: str) -> None:
        try:
            await self._build_if_needed(project_id, reason)
        except DatabaseUnavailableError as error:  # the next sweep tries again
            log.warning("automatic build of project %s postponed: %s", project_id, error)
        except Exception:  # a bug: say so; the next sweep tries again
            log.exception("automatic build of project %s failed", project_id)

    async def _build_if_needed(self, project_id: str, reason: str) -> None:
        build_id = new_build_id()
        async with self._slots, self._claimed(project_id, build_id, wait=False) as claimed:
            if not claimed:
                return  # another process is building it right now
            if project_id in self._running:
                self._recheck.add(project_id)  # look again when that build ends
                return
            if not await self.db.fetch_value("project_needs_plan", {"project_id": project_id}):
                return
            self._running[project_id] = RunningBuild(build_id, time.monotonic())
            log.info("automatic build %s of project %s (%s)", build_id, project_id, reason)
            await self._build(project_id, build_id)

    @asynccontextmanager
    async def _claimed(self, project_id: str, build_id: str, *, wait: bool) -> AsyncIterator[bool]:
        """Hold the project's build lock (waiting for it, or not) for the length of the block:
        whether it is held. The lock lives with this connection, so with this process."""
        async with self.db.connection() as conn:
            query = "build_claim_wait" if wait else "build_claim"
            claimed = bool(await conn.fetch_value(query, {"project_id": project_id, "build_id": build_id}))
            try:
                yield claimed
            finally:
                if claimed:
                    await _release(conn, project_id, build_id)

    async def _build(self, project_id: str, build_id: str) -> None:
        try:
            if self.pool is not None:
                await self.pool.build(self.db.url, project_id, self.settings, build_id)
            else:
                await build_and_announce(self.db, project_id, self.settings, build_id=build_id)
            self._failed_at.pop(project_id, None)
        except DatabaseUnavailableError as error:  # not the project's fault: the next sweep retries
            log.warning("plan build %s of project %s stopped: %s", build_id, project_id, error)
        except ExecplanError:  # logged and announced by build_and_announce
            self._failed_at[project_id] = time.monotonic()
        except Exception as error:
            log.exception("plan build %s of project %s failed", build_id, project_id)
            self._failed_at[project_id] = time.monotonic()
            await _announce_quietly(self.db, project_id, build_id, f"internal error: {type(error).__name__}")
        finally:
            self._finished(project_id, build_id)

    def _finished(self, project_id: str, build_id: str) -> None:
        running = self._running.get(project_id)
        if running is not None and running.build_id == build_id:
            del self._running[project_id]
        if project_id in self._recheck:
            self._recheck.discard(project_id)
            self.request_if_needed(project_id, "a session completed during the previous build")


async def _release(conn: Connection, project_id: str, build_id: str) -> None:
    """Release a build's lock; a connection that cannot is closed (the lock goes with it), so
    that the pool never hands out a connection still holding it."""
    try:
        await conn.execute("build_release", {"project_id": project_id, "build_id": build_id})
    except Exception as error:
        log.warning("build %s: releasing the build lock failed (%s); closing its connection", build_id, error)
        await conn.raw.close()


async def _announce_quietly(db: Database, project_id: str, build_id: str, error: str) -> None:
    try:
        await announce(db, "execution_plan_error", project_id, build_id=build_id, error=error)
    except Exception as failure:  # announcing is best effort
        log.warning("could not announce the failure of build %s: %s", build_id, failure)


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
