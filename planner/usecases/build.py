"""Building a project's plan: load its tasks, predict their files, plan, apply the manual
overrides, store the next version — in one transaction under the project's lock.

Levels come from PostgreSQL (`execplan_task_levels_v1`), predicted files from a FilePredictor
(prepared before the transaction: it may refresh the stored index on connections of its own),
the plan from `planner.core.planning.Planner`. Concurrent builds of one project run one after
the other, and each stores the next version.

A predictor that learns (`LearningPredictor`, the default) is given the project's done tasks with
recorded actual files (`planner.usecases.done`) as history for tasks like them; with at least
`calibration.MIN_TASKS` of them that also have stored predictions, the threshold and the conflict
strengths are calibrated on them (`planner.core.calibration`), and the plan's
`metadata.calibration` says so. A project without such tasks is planned exactly as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from analyzer import repository_problem
from analyzer.gc_pause import no_cycle_collection
from planner.core.batches import SearchConfig
from planner.core.calibration import MIN_TASKS, Calibration, Example, calibrate
from planner.core.errors import InvalidInputError
from planner.core.model import ExecutionPlan
from planner.core.overrides import apply_overrides
from planner.core.planning import Planner
from planner.core.predictor import FilePredictor, LearningPredictor
from planner.core.progress import Progress
from planner.core.settings import Settings, load_settings
from planner.predictors.default import default_predictor
from planner.storage.actual_files import DoneTask, done_tasks
from planner.storage.database import Database, Queries
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
    await refresh_projects(db)
    project = await project_by_id(db, project_id)
    await _check_repository(project)
    # before the transaction: preparing may need connections of its own
    with progress.stage("index"):
        await predictor.prepare(project["repo_path"], progress.advance)
    # a build makes many objects and frees them by reference counting: no cycle collection until
    # the plan is saved and what made it is dropped (else the first collection after the pause
    # walks every object made in it: 0.7 s of a 1,000-task build that saves 84,000 conflicts)
    with no_cycle_collection():
        async with db.transaction() as conn:
            with progress.stage("load"):
                await lock_project(conn, project_id)
                await refresh_project(conn, project_id)
                project = await project_by_id(conn, project_id)
                tasks = await get_tasks_for_planning(conn, project_id)
                learned, calibration = await learn_from_done(conn, project_id, predictor)
            with progress.stage("predict"):
                predicted = await predictor.predict(project["repo_path"], tasks)
            if calibration is not None:
                predicted = {task_id: calibration.keep(files) for task_id, files in predicted.items()}
            tasks = [replace(t, predicted_files=predicted.get(t.id, ())) for t in tasks]
            planner = Planner(settings, predictor, progress, search, calibration)
            # CPU work: in a thread, so that the loop goes on (sending the progress events)
            plan = await asyncio.to_thread(planner.plan, str(project["id"]), tasks)
            if learned:
                plan = replace(
                    plan, metadata={**plan.metadata, "calibration": learning_summary(learned, calibration)}
                )
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


async def learn_from_done(
    conn: Queries, project_id: str, predictor: FilePredictor
) -> tuple[list[DoneTask], Calibration | None]:
    """The project's done tasks with recorded actual files, given to a learning predictor as
    history, and the calibration they allow (None with too few); none for another predictor."""
    if not isinstance(predictor, LearningPredictor):
        return [], None
    done = await done_tasks(conn, project_id)
    predictor.learn(history_of(done))
    return done, calibrate(examples_of(done), predictor.threshold)


def history_of(done: Sequence[DoneTask]) -> list[tuple[str, str, tuple[str, ...]]]:
    """Done tasks as a learning predictor takes them: (key, text, files really changed)."""
    return [(t.key, t.text, t.actual) for t in done]


def examples_of(done: Sequence[DoneTask]) -> list[Example]:
    """The done tasks that calibration can judge: those with stored predictions."""
    return [Example(t.key, t.predicted, frozenset(t.actual)) for t in done if t.predicted is not None]


def learning_summary(done: Sequence[DoneTask], calibration: Calibration | None) -> dict[str, Any]:
    """`metadata.calibration`: whether it was used, on how many tasks, what it chose."""
    history = {"history_tasks": len(done)}
    if calibration is None:
        judged = sum(1 for t in done if t.predicted is not None)
        return {"used": False, "tasks": judged, "min_tasks": MIN_TASKS, **history}
    return {"used": True, **calibration.to_dict(), **history}


async def _check_repository(project: dict[str, Any]) -> None:
    """A project whose repository git cannot read now (deleted, moved, refused) is said so."""
    if not project["repo_path"]:
        return
    problem = await asyncio.to_thread(repository_problem, project["repo_path"])
    if problem is not None:
        raise InvalidInputError(
            f"project {project['name']!r}: its repository {problem}; import it again with its new path"
        )
