"""Backtest on a project's own done tasks: does learning from them help here?

For each done task with recorded actual files (`planner.usecases.done`), the default predictor
predicts its files from its text twice: uncalibrated (no done tasks known), and calibrated on the
*other* done tasks (leave-one-out: they are its history for similar tasks, and, with at least
`calibration.MIN_TASKS` of them with stored predictions, they choose the threshold — as a build
would, `planner.usecases.build`). Both are scored against the actual files: recall, precision and
F1 over all tasks at once (hits, predicted and actual files summed; directory entries left out).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from planner.core.calibration import MIN_TASKS, Scores, calibrate
from planner.core.errors import InvalidInputError
from planner.core.model import PredictedFile
from planner.core.predictor import FilePredictor, LearningPredictor
from planner.core.tasks import PlanningTask
from planner.predictors.default import default_predictor
from planner.storage.actual_files import done_tasks
from planner.storage.database import Database
from planner.storage.projects import project_by_id
from planner.usecases.build import examples_of, history_of

MARGIN = 0.01
"""An F1 difference smaller than this is no difference."""


@dataclass(frozen=True)
class ProjectBacktest:
    """Both rows, on how many done tasks, and how many of them were predicted with a threshold
    calibrated on the others."""

    tasks: int
    uncalibrated: Scores
    calibrated: Scores
    calibrated_tasks: int

    def verdict(self) -> str:
        """The backtest in one line."""
        before, after = self.uncalibrated.f1, self.calibrated.f1
        scores = f"F1 {after:.2f} against {before:.2f} uncalibrated, on {self.tasks} done tasks"
        if self.calibrated_tasks == 0:
            how = (
                f"too few done tasks to calibrate a threshold ({MIN_TASKS} others with predictions "
                "needed), so only as history for similar tasks"
            )
        else:
            how = f"threshold calibrated for {self.calibrated_tasks} of them"
        if after > before + MARGIN:
            return f"learning from this project's done tasks helps: {scores} ({how})"
        if after < before - MARGIN:
            return f"learning from this project's done tasks does not help yet: {scores} ({how})"
        return f"learning from this project's done tasks makes no difference yet: {scores} ({how})"


def score(predicted: Sequence[PredictedFile], actual: Sequence[str]) -> Scores:
    files = {p.path for p in predicted if not p.path.endswith("/")}
    return Scores(len(files & set(actual)), len(files), len(set(actual)))


def total(scores: Sequence[Scores]) -> Scores:
    return Scores(
        sum(s.hits for s in scores), sum(s.predicted for s in scores), sum(s.actual for s in scores)
    )


async def backtest_project(
    db: Database, project_id: str, predictor: FilePredictor | None = None
) -> ProjectBacktest:
    """Score the predictor, uncalibrated and calibrated leave-one-out, on the project's done
    tasks (see the module). InvalidInputError when it has none with recorded actual files."""
    project = await project_by_id(db, project_id)
    done = await done_tasks(db, project_id)
    if not done:
        raise InvalidInputError(
            f"project {project['name']!r} has no done tasks with recorded actual files: mark tasks done "
            "(`execplan done`) once their branches hold their commits"
        )
    predictor = predictor or default_predictor(db)
    if not isinstance(predictor, LearningPredictor):
        raise InvalidInputError(f"the predictor {type(predictor).__name__} does not learn from done tasks")
    repo = project["repo_path"]
    await predictor.prepare(repo)
    plain: list[Scores] = []
    learned: list[Scores] = []
    calibrated = 0
    for task in done:
        planning = PlanningTask(task.id, task.key, None, 0, task.text)
        predictor.learn([])
        alone = (await predictor.predict(repo, [planning])).get(task.id, ())
        plain.append(score(alone, task.actual))
        others = [t for t in done if t.id != task.id]
        predictor.learn(history_of(others))
        found = (await predictor.predict(repo, [planning])).get(task.id, ())
        calibration = calibrate(examples_of(others), predictor.threshold)
        if calibration is not None:
            calibrated += 1
            found = calibration.keep(found)
        learned.append(score(found, task.actual))
    predictor.learn([])
    return ProjectBacktest(len(done), total(plain), total(learned), calibrated)
