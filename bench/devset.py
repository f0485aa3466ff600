"""Scores execplan's plans on the taskbench development set, through the real pipeline.

For every window made by `shared/bench/taskbench.py make` (see shared/bench/README.md): import
its tasks.json, build the plan with the analyzer-backed predictor, export the plan document (as
`execplan show --json` prints it) and score it with taskbench's own `score`; optionally next to
taskbench's baselines on the same window. Prints per-repository and overall means. With `--grid`,
each window's tasks and predictions are also planned under every combination of the listed
`split_on` sets and `--grid-strengths` (planning only: the predictions are the build's own) and a
table of the means is printed (overall and per repository), with a leave-one-repository-out check
of choosing the setting from the grid: how the defaults of `planner.core.settings` were chosen.

    python -m bench.devset --tb /tmp/tb [--repos flask httpx gin express] [--split-on same_file,potential]
                           [--min-strength 0.2] [--baselines] [--out report.json]
                           [--grid "same_file;same_file,same_directory" --grid-strengths 0,0.1,0.2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from statistics import mean
from types import ModuleType
from typing import Any

from bench.taskbench import load_taskbench
from planner.core.planning import Planner
from planner.core.settings import Settings
from planner.predictors.analyzer import AnalyzerPredictor
from planner.storage.database import Database
from planner.storage.embedded import database_url
from planner.storage.importer import import_task_file, load_task_file
from planner.storage.migrate import migrate
from planner.storage.plans import get_tasks_for_planning
from planner.usecases.build import build_plan

METRICS = ("file_recall", "file_precision", "leak", "speedup")


async def score_window(
    db: Database, window: Path, settings: Settings, taskbench: ModuleType, grid: Sequence[Settings] = ()
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The build's score on one window, and the score of each of `grid` on the same predictions."""
    spec = load_task_file(window / "tasks.json")
    project_id = await import_task_file(db, spec)
    predictor = AnalyzerPredictor(db)
    plan = await build_plan(db, project_id, settings, predictor, save=False)
    truth = json.loads((window / "truth.json").read_text())
    result: dict[str, Any] = taskbench.score(truth, plan.to_dict())
    predicted = {t.id: t.predicted_files for t in plan.tasks}
    tasks = [
        replace(t, predicted_files=predicted[t.id]) for t in await get_tasks_for_planning(db, project_id)
    ]
    others = [
        taskbench.score(truth, Planner(other, predictor).plan(project_id, tasks).to_dict()) for other in grid
    ]
    return result, others


def grid_settings(args: argparse.Namespace) -> list[Settings]:
    """Every combination of `--grid` split_on sets and `--grid-strengths`."""
    if not args.grid:
        return []
    strengths = [float(x) for x in args.grid_strengths.split(",")]
    return [
        Settings(split_on=tuple(kinds.split(",")), min_conflict_strength=strength)
        for kinds in args.grid.split(";")
        for strength in strengths
    ]


def grid_table(
    grid: Sequence[Settings], scores: list[tuple[str, list[dict[str, Any]]]]
) -> list[dict[str, Any]]:
    """Mean leak and speedup of each grid setting, overall and per repository (`scores`: per
    window, its repository and its score under each setting)."""
    table = []
    for n, setting in enumerate(grid):
        row: dict[str, Any] = {
            "split_on": ",".join(setting.split_on),
            "min_conflict_strength": setting.min_conflict_strength,
        }
        for repo in (None, *dict.fromkeys(r for r, _ in scores)):
            rows = [window[n] for r, window in scores if repo is None or r == repo]
            row[repo or "overall"] = {m: round(mean(w[m] for w in rows), 3) for m in ("leak", "speedup")}
        table.append(row)
    return table


def leave_one_out(table: list[dict[str, Any]], repos: Sequence[str], target: float) -> dict[str, Any]:
    """For each repository: the grid setting with the best mean speedup on the *other* repositories
    whose mean leak there is at most `target`, and how that setting does on the one left out."""

    def on(row: dict[str, Any], others: Sequence[str], metric: str) -> float:
        return mean(float(row[r][metric]) for r in others)

    result: dict[str, Any] = {}
    for held in repos:
        others = [r for r in repos if r != held]
        allowed = [row for row in table if on(row, others, "leak") <= target]
        if not allowed:
            continue
        best = max(allowed, key=lambda row: on(row, others, "speedup"))
        result[held] = {
            "split_on": best["split_on"],
            "min_conflict_strength": best["min_conflict_strength"],
            "others": {m: round(on(best, others, m), 3) for m in ("leak", "speedup")},
            "held_out": best[held],
        }
    return result


async def run(args: argparse.Namespace) -> dict[str, Any]:
    taskbench = load_taskbench()
    settings = Settings(split_on=tuple(args.split_on.split(",")), min_conflict_strength=args.min_strength)
    report: dict[str, Any] = {
        "split_on": settings.split_on,
        "min_conflict_strength": settings.min_conflict_strength,
        "repos": {},
    }
    grid = grid_settings(args)
    grid_scores: list[tuple[str, list[dict[str, Any]]]] = []
    async with Database(database_url()) as db:
        await migrate(db)
        for repo in args.repos:
            windows = sorted((Path(args.tb) / repo).glob("window-*"), key=lambda p: int(p.name.split("-")[1]))
            rows, base_rows = [], []
            for window in windows:
                started = time.perf_counter()
                result, others = await score_window(db, window, settings, taskbench, grid)
                rows.append(result)
                grid_scores.append((repo, others))
                rows[-1]["seconds"] = round(time.perf_counter() - started, 1)
                if args.baselines:
                    truth = json.loads((window / "truth.json").read_text())
                    spec = json.loads((window / "tasks.json").read_text())
                    base_rows.append(taskbench.baselines(truth, spec, window))
                print(repo, window.name, {k: rows[-1][k] for k in (*METRICS, "seconds")}, flush=True)
            entry: dict[str, Any] = {"execplan": {m: round(mean(r[m] for r in rows), 3) for m in METRICS}}
            for name in ("dependency_only", "bm25_top3", "oracle") if base_rows else ():
                entry[name] = {m: round(mean(b[name][m] for b in base_rows), 3) for m in METRICS}
            report["repos"][repo] = entry
            report.setdefault("windows", []).extend(rows)
    everything = report.pop("windows")
    report["overall"] = {m: round(mean(r[m] for r in everything), 3) for m in METRICS}
    if grid:
        report["grid"] = grid_table(grid, grid_scores)
        report["leave_one_out"] = leave_one_out(report["grid"], args.repos, args.loro_leak)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--tb", default="/tmp/tb", help="folder of taskbench windows, one folder per repository"
    )
    parser.add_argument("--repos", nargs="+", default=["flask", "httpx", "gin", "express"])
    parser.add_argument("--split-on", default=",".join(Settings().split_on), help="conflict types that split")
    parser.add_argument(
        "--min-strength",
        type=float,
        default=Settings().min_conflict_strength,
        help="least strength of a conflict that splits",
    )
    parser.add_argument("--grid", help='split_on sets to compare, e.g. "same_file;same_file,potential"')
    parser.add_argument("--grid-strengths", default="0,0.1,0.2,0.3", help="min_conflict_strength values")
    parser.add_argument(
        "--loro-leak",
        type=float,
        default=0.06,
        help="leave-one-repository-out: the most mean leak a grid setting may have on the others",
    )
    parser.add_argument("--baselines", action="store_true", help="also compute taskbench's baselines")
    parser.add_argument("--out", help="write the report as JSON here")
    args = parser.parse_args()
    report = asyncio.run(run(args))
    text = json.dumps(report, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
