"""`execplan backtest --project P`: the predictor on the project's own done tasks, uncalibrated
and calibrated on the others (`planner.usecases.calibration_report`), as a table and a verdict."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from api.cli.terminal import markup
from planner.core.calibration import Scores
from planner.storage.database import Database
from planner.storage.projects import resolve_project
from planner.usecases.calibration_report import backtest_project


def _row(name: str, scores: Scores) -> list[str]:
    return [name, f"{scores.recall:.2f}", f"{scores.precision:.2f}", f"{scores.f1:.2f}"]


async def cmd_backtest_project(db: Database, args: argparse.Namespace, out: Console) -> None:
    project = await resolve_project(db, args.project)
    result = await backtest_project(db, str(project["id"]))
    table = Table(title=f"backtest of {markup(project['name'])} on its {result.tasks} done tasks")
    for column in ("predictor", "recall", "precision", "F1"):
        table.add_column(column, justify="left" if column == "predictor" else "right")
    table.add_row(*_row("uncalibrated", result.uncalibrated))
    table.add_row(*_row("calibrated on the other done tasks", result.calibrated))
    out.print(table)
    out.print(result.verdict(), markup=False, highlight=False, soft_wrap=True)
