"""Plan builds in the background: one at a time per project across every server process, at
most `max_concurrent` at once in this one, each known to the others for exactly as long as it runs.

A build holds its project's build lock (`build_claim`, a session advisory lock) on a database
connection of its own for as long as it runs, with its id beside it in `running_builds`.
Another process asking for a build of that project reads that row (`build_running`), which
counts only while the lock's session lives: a server killed mid-build stops counting the moment
its connection goes, and no timer decides it. A requested build takes the lock before it is
answered (202), so two servers never both start one; an automatic build takes it when its turn
comes and does nothing if another process holds it.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Coroutine
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

from planner.core.errors import DatabaseUnavailableError, ExecplanError, ServiceBusyError
from planner.core.settings import Settings
from planner.storage.coordination import claim_build, release_build, running_build
from planner.storage.database import Connection, Database
from planner.storage.projects import needs_plan
from planner.usecases.automation import announce, build_and_announce
from planner.usecases.workers import BuildPool

log = logging.getLogger(__name__)


def new_build_id() -> str:
    return str(uuid.uuid4())


class BuildClaim:
    """A project's build lock, held on a connection of its own until `release` (or until this
    process dies, with the connection)."""

    def __init__(self, conn: Connection, stack: AsyncExitStack, project_id: str, build_id: str) -> None:
        self.conn, self.stack, self.project_id, self.build_id = conn, stack, project_id, build_id

    @classmethod
    async def take(cls, db: Database, project_id: str, build_id: str) -> BuildClaim | None:
        """The lock for `build_id`, or None when another process's build of the project holds it."""
        stack = AsyncExitStack()
        try:
            conn = await stack.enter_async_context(db.dedicated())
            if await claim_build(conn, project_id, build_id):
                return cls(conn, stack, project_id, build_id)
        except BaseException:
            await stack.aclose()
            raise
        await stack.aclose()
        return None

    async def release(self) -> None:
        """Forget the build and let the lock go (closing the connection releases it in any case)."""
        try:
            await release_build(self.conn, self.project_id, self.build_id)
        except Exception as error:  # the connection closes below: the lock goes with it
            log.warning("build %s: releasing its lock failed: %s", self.build_id, error)
        finally:
            await self.stack.aclose()


@dataclass
class RunningBuild:
    build_id: str


class BuildRunner:
    """Runs plan builds in the background (see the module)."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        max_concurrent: int = 3,
        max_waiting: int = 32,
        retry_failed_after: float = 300.0,
        pool: BuildPool | None = None,
    ) -> None:
        self.db = db
        self.pool = pool  # None: builds run in this process (their CPU work in threads)
        self.settings = settings
        self.max_waiting = max_waiting  # requested builds holding their lock, running or waiting
        self.retry_failed_after = retry_failed_after
        self._slots = asyncio.Semaphore(max_concurrent)
        self._running: dict[str, RunningBuild] = {}  # this process's builds, waiting or running
        self._tasks: set[asyncio.Task[None]] = set()
        self._failed_at: dict[str, float] = {}  # automatic builds that failed, not retried for a while
        self._recheck: set[str] = set()  # projects to look at again when their running build ends
        self._again: set[str] = set()  # projects changed during their running build: build once more
        self._closed = False

    def running_build_here(self, project_id: str) -> str | None:
        """The id of the build of `project_id` this process runs (or is about to), if any."""
        running = self._running.get(project_id)
        return None if running is None else running.build_id

    async def request(self, project_id: str, *, changed: bool = False) -> tuple[str, bool]:
        """Start a build unless one of the project runs; returns (build id, whether one was running).

        `changed`: the project's tasks have just changed, so a build running here (which may
        have read them before) is followed by one more once it ends."""
        if self._closed:
            raise ExecplanError("the service is shutting down: no new builds")
        for _ in range(3):  # another process's build may end between its lock and its row
            here = self.running_build_here(project_id)
            if here is not None:
                if changed:
                    self._again.add(project_id)
                return here, True
            if len(self._running) >= self.max_waiting:
                raise ServiceBusyError(
                    f"{len(self._running)} builds are already waiting here: ask again later"
                )
            build_id = new_build_id()
            self._running[project_id] = RunningBuild(build_id)  # before any await
            try:
                claim = await BuildClaim.take(self.db, project_id, build_id)
            except BaseException:
                del self._running[project_id]
                raise
            if claim is not None:
                self._spawn(self._requested(claim))
                return build_id, False
            del self._running[project_id]
            other = await running_build(self.db, project_id)
            if other is not None:
                return other, True
        raise ServiceBusyError(f"the builds of project {project_id} keep changing hands: ask again")

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

    async def _follow_up(self, project_id: str) -> None:
        """The build after one that may have missed a change of the project's tasks."""
        try:
            await self.request(project_id)
        except Exception as error:  # the database is down, or the service closing: say so
            log.warning("the follow-up build of project %s did not start: %s", project_id, error)

    async def _requested(self, claim: BuildClaim) -> None:
        try:
            async with self._slots:
                await self._build(claim.project_id, claim.build_id)
        finally:
            await claim.release()

    async def _if_needed(self, project_id: str, reason: str) -> None:
        try:
            await self._build_if_needed(project_id, reason)
        except DatabaseUnavailableError as error:  # the next sweep tries again
            log.warning("automatic build of project %s postponed: %s", project_id, error)
        except Exception:  # a bug: say so; the next sweep tries again
            log.exception("automatic build of project %s failed", project_id)

    async def _build_if_needed(self, project_id: str, reason: str) -> None:
        async with self._slots:
            if project_id in self._running:
                self._recheck.add(project_id)  # look again when that build ends
                return
            build_id = new_build_id()
            claim = await BuildClaim.take(self.db, project_id, build_id)
            if claim is None:
                return  # another process is building it right now
            try:
                if project_id in self._running:  # requested here meanwhile
                    self._recheck.add(project_id)
                    return
                if not await needs_plan(self.db, project_id):
                    return
                self._running[project_id] = RunningBuild(build_id)
                log.info("automatic build %s of project %s (%s)", build_id, project_id, reason)
                await self._build(project_id, build_id)
            finally:
                await claim.release()

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
        if project_id in self._again and not self._closed:
            self._again.discard(project_id)
            self._spawn(self._follow_up(project_id))
        if project_id in self._recheck:
            self._recheck.discard(project_id)
            self.request_if_needed(project_id, "a session completed during the previous build")


async def _announce_quietly(db: Database, project_id: str, build_id: str, error: str) -> None:
    try:
        await announce(db, "execution_plan_error", project_id, build_id=build_id, error=error)
    except Exception as failure:  # announcing is best effort
        log.warning("could not announce the failure of build %s: %s", build_id, failure)
