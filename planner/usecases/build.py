"""Building a project's plan: load its tasks, predict their files, plan, apply the manual
overrides, store the next version — in one transaction under the project's lock.

Levels come from PostgreSQL (`execplan_task_levels_v1`), predicted files from a FilePredictor
(prepared before the transaction: it may refresh the stored index on connections of its own),
the plan from `planner.core.planning.Planner`. Concurrent builds of one project run one after
the other, and each stores the next version.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from analyzer import repository_problem
from analyzer.gc_pause import no_cycle_collection
from planner.core.batches import SearchConfig
from planner.core.errors import InvalidInputError
from planner.core.model import ExecutionPlan
from planner.core.overrides import apply_overrides
from planner.core.planning import Planner
from planner.core.predictor import FilePredictor
from planner.core.progress import Progress
from planner.core.settings import Settings, load_settings
from planner.predictors.default import default_predictor
from planner.storage.database import Database
from planner.storage.plans import get_overrides, get_tasks_for_planning, lock_project, save_execution_plan
from planner.storage.projects import project_by_id, refresh_project, refresh_projects


async def build_plan(
    db: Database,
    project_id: str,
    settings: Settings | None = None,
    predictor: FilePredictor | None = None,
    progress: Progress | None = None,
    *,
    search: SearchConfig | None = None,
    save: bool = True,
) -> ExecutionPlan:
    """Plan the project's unfinished tasks; store the plan as its next version unless `save` is off.

    `settings` default to `load_settings()`, `predictor` to the analyzer's."""
    settings = settings or load_settings()
    predictor = predictor or default_predictor(db)
    progress = progress or Progress()
    planner = Planner(settings, predictor, progress, search)
    await refresh_projects(db)
    project = await project_by_id(db, project_id)
    await _check_repository(project)
    # before the transaction: preparing may need connections of its own
    with progress.stage("index"):
        await predictor.prepare(project["repo_path"], progress.advance)
    async with db.transaction() as conn:
        with progress.stage("load"):
            await lock_project(conn, project_id)
            await refresh_project(conn, project_id)
            project = await project_by_id(conn, project_id)
            tasks = await get_tasks_for_planning(conn, project_id)
        # a build makes many objects and frees them by reference counting: no cycle collection
        with no_cycle_collection():
            with progress.stage("predict"):
                predicted = await predictor.predict(project["repo_path"], tasks)
            tasks = [replace(t, predicted_files=predicted.get(t.id, ())) for t in tasks]
            # CPU work: in a thread, so that the loop goes on (sending the progress events)
            plan = await asyncio.to_thread(planner.plan, str(project["id"]), tasks)
        with progress.stage("save"):
            overrides = await get_overrides(conn, project_id)
            if overrides:
                outcome = apply_overrides(
                    plan, overrides, {t.id: t for t in tasks}, settings.default_task_minutes
                )
                plan = replace(
                    outcome.plan,
                    metadata={
                        **plan.metadata,
                        "overrides": {
                            "stored": overrides.to_dict(),
                            "not_applied": list(outcome.not_applied),
                        },
                    },
                )
            return await save_execution_plan(conn, plan) if save else plan


async def _check_repository(project: dict[str, Any]) -> None:
    """A project whose repository git cannot read now (deleted, moved, refused) is said so."""
    if not project["repo_path"]:
        return
    problem = await asyncio.to_thread(repository_problem, project["repo_path"])
    if problem is not None:
        raise InvalidInputError(
            f"project {project['name']!r}: its repository {problem}; import it again with its new path"
        )
