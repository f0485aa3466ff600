"""Conflicts noticed while agents work, without anyone asking: the service's worktree watch.

The rule: every `worktree_check_seconds` (a planner setting; 0 turns the watch off) a round takes
each project with a stored plan, lays it out once (`worktrees.load_layout`: the plan read once a
round), finds its batches with at least two worktrees there (`merge_check.live_batches`) and
checks each one as `execplan check` does (`merge_check.check_layout`, git in threads), which
announces nothing itself. A conflicting pair is announced (`worktree_conflict`, the same event as
a check's) only when its conflicting files are new or changed since the last round: the watch
remembers, in memory, the files of each conflicting pair per project and batch. A pair that is
clean, or no longer there, is forgotten, so a later conflict is announced again.

An error (a repository gone, git failing, the database down) is logged — once while it stays the
same — and the round goes on with the next batch or project; what was remembered of what could
not be checked is kept, so a passing failure announces nothing twice. The rounds run one after
another, never on top of each other, until cancelled.
"""

from __future__ import annotations

import asyncio
import logging

from planner.core.errors import ExecplanError
from planner.core.settings import Settings
from planner.storage.database import Database
from planner.storage.projects import projects_with_plan
from planner.usecases.merge_check import announce_conflict, check_layout, live_batches
from planner.usecases.worktrees import Layout, load_layout

log = logging.getLogger(__name__)

Pair = tuple[int, tuple[str, str]]  # a batch and two of its worktrees
Known = dict[Pair, tuple[str, ...]]  # the files each conflicting pair had at the last round


class WorktreeWatch:
    """Rounds of merge checks over every planned project, announcing only what is new."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.interval = settings.worktree_check_seconds
        self.rounds = 0  # rounds finished
        self._known: dict[str, Known] = {}
        # the last error logged, per project and batch (None: the project's own; "": the listing)
        self._errors: dict[tuple[str, int | None], str] = {}
        self._finished = asyncio.Condition()

    @property
    def watching(self) -> bool:
        """Whether it runs at all (`worktree_check_seconds` 0: never)."""
        return self.interval > 0

    def conflicts(self, project_id: str) -> list[tuple[int, tuple[str, str], tuple[str, ...]]]:
        """A project's conflicting pairs as the rounds found them, (batch, worktrees, files), in order."""
        return sorted(
            (batch, pair, files) for (batch, pair), files in self._known.get(project_id, {}).items()
        )

    async def run(self) -> None:
        """A round every `interval` seconds until cancelled."""
        while True:
            await asyncio.sleep(self.interval)
            await self.round()
            self.rounds += 1
            async with self._finished:
                self._finished.notify_all()

    async def wait_rounds(self, count: int) -> None:
        """Until `count` more rounds have finished (so at least `count - 1` started after this call)."""
        target = self.rounds + count
        async with self._finished:
            await self._finished.wait_for(lambda: self.rounds >= target)

    async def round(self) -> None:
        """Check every planned project once; any error is logged, never raised."""
        try:
            projects = await projects_with_plan(self.db)
        except Exception as error:  # the database down, or a bug: the next round tries again
            self._failed(("", None), "listing the planned projects", error)
            return
        self._errors.pop(("", None), None)
        listed = set(projects)  # a project deleted, or without a plan now, is forgotten
        self._known = {p: known for p, known in self._known.items() if p in listed}
        self._errors = {key: text for key, text in self._errors.items() if key[0] in listed}
        for project_id in projects:
            await self._watch_project(project_id)

    async def _watch_project(self, project_id: str) -> None:
        before = self._known.get(project_id, {})
        try:
            layout = await load_layout(self.db, project_id, self.settings)
            batches = await live_batches(layout)
        except Exception as error:
            self._failed((project_id, None), f"project {project_id}", error)
            return  # what was known of it stays known
        self._errors.pop((project_id, None), None)
        now: Known = {}
        for batch in batches:
            try:
                await self._watch_batch(layout, batch, before, now)
            except Exception as error:
                self._failed((project_id, batch), f"project {project_id}, batch {batch}", error)
                for key, files in before.items():  # what could not be checked stays known
                    if key[0] == batch:
                        now.setdefault(key, files)
            else:
                self._errors.pop((project_id, batch), None)
        if now:
            self._known[project_id] = now
        else:
            self._known.pop(project_id, None)

    async def _watch_batch(self, layout: Layout, batch: int, before: Known, now: Known) -> None:
        check = await check_layout(layout, batch)
        for pair in check.pairs:
            if pair.clean:
                continue
            key = (batch, pair.worktrees)
            if before.get(key) != pair.files:
                await announce_conflict(self.db, check, pair)
            now[key] = pair.files  # recorded once announced: a failed announcement is tried again

    def _failed(self, key: tuple[str, int | None], what: str, error: Exception) -> None:
        """Log an error of the watch; the same one again, in the same place, only at debug."""
        text = f"{type(error).__name__}: {error}"
        again = self._errors.get(key) == text
        self._errors[key] = text
        if again:
            log.debug("worktree watch: %s: %s", what, error)
        elif isinstance(error, ExecplanError):
            log.warning("worktree watch: %s: %s", what, error)
        else:
            log.exception("worktree watch: %s failed", what)
