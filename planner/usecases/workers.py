"""Plan builds in worker processes, so that no prediction, indexing or packing runs where a
service answers requests.

A `BuildPool` runs `automation.build_and_announce` in a pool of spawned processes, at most
`processes` builds at once (more wait their turn). A worker opens its own connections for each
build and keeps, between builds, what it learnt of each repository (`index_store`'s warm indexes),
so a build of an unchanged repository reads no index back. Its events — building (with the stage
and the fraction done), ready, error — go out through the database as every build's do. A build's
outcome comes back as the plan's summary; its error as the ExecplanError it raised (announced by
the worker); a worker that dies as a RuntimeError, and the pool starts afresh. Workers run at a
lower CPU priority (`BUILD_NICENESS`) than the service, so that on a busy machine its requests
are answered first.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from planner.core.settings import Settings

log = logging.getLogger(__name__)

BUILD_NICENESS = 10
"""How much lower than the service's a build worker's CPU priority is (Unix `nice`)."""

_loop: asyncio.AbstractEventLoop | None = None  # a worker's own event loop, kept between builds


def _build_here(url: str, project_id: str, settings: Settings, build_id: str | None) -> dict[str, Any]:
    """In a worker: one build on the database at `url`; the plan's summary."""
    global _loop
    if _loop is None:
        _loop = asyncio.new_event_loop()
    return _loop.run_until_complete(_build(url, project_id, settings, build_id))


async def _build(url: str, project_id: str, settings: Settings, build_id: str | None) -> dict[str, Any]:
    from planner.storage.database import Database
    from planner.usecases.automation import build_and_announce, plan_summary

    async with Database(url, min_size=1, max_size=3) as db:
        plan = await build_and_announce(db, project_id, settings, build_id=build_id)
    return plan_summary(plan)


def _lower_priority() -> None:
    """A worker's initializer: yield the CPU to the service (where the system allows it)."""
    try:
        os.nice(BUILD_NICENESS)
    except (AttributeError, OSError) as error:  # no nice() here, or not allowed
        log.debug("build worker keeps its priority: %s", error)


def _ready() -> None:
    """A worker's first job: import what builds need, so the first build does not wait for it."""
    from planner.usecases import automation  # noqa: F401


class BuildPool:
    """Builds in `processes` spawned worker processes (see the module)."""

    def __init__(self, processes: int = 1) -> None:
        if processes < 1:
            raise ValueError(f"a build pool needs at least one process, not {processes}")
        self.processes = processes
        self._executor: ProcessPoolExecutor | None = None
        self.built = 0  # builds the workers finished

    def start(self) -> None:
        """Start the workers now (else on the first build)."""
        self._pool().submit(_ready)

    async def build(
        self, url: str, project_id: str, settings: Settings, build_id: str | None = None
    ) -> dict[str, Any]:
        """Build and store the plan of `project_id` in a worker; its summary."""
        loop = asyncio.get_running_loop()
        try:
            summary = await loop.run_in_executor(
                self._pool(), _build_here, url, project_id, settings, build_id
            )
        except BrokenProcessPool as error:  # a worker died (killed, out of memory): start afresh
            self._executor = None
            raise RuntimeError(f"the build worker died: {error}") from None
        self.built += 1
        return summary

    def close(self) -> None:
        """Stop the workers, abandoning the builds they run (their transactions roll back)."""
        executor, self._executor = self._executor, None
        if executor is None:
            return
        processes = list(getattr(executor, "_processes", {}).values())  # no public way to reach them
        executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_lower_priority,
            )
        return self._executor
