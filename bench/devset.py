"""Scores execplan's plans on the taskbench development set, through the real pipeline.

For every window made by `shared/bench/taskbench.py make` (see shared/bench/README.md): import
its tasks.json, build the plan with the analyzer-backed predictor, export the plan document (as
`execplan show --json` prints it) and score it with taskbench's own `score`; optionally next to
taskbench's baselines on the same window. Prints per-repository and overall means.

    python -m bench.devset --tb /tmp/tb [--repos flask httpx gin express] [--split-on same_file,potential]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import time
from pathlib import Path
from statistics import mean
from types import ModuleType
from typing import Any

from planner.analyzer_predictor import AnalyzerPredictor
from planner.builder import ExecutionPlanBuilder
from planner.database import Database
from planner.embedded import database_url
from planner.importer import import_task_file, load_task_file
from planner.migrate import migrate
from planner.settings import Settings

TASKBENCH = Path(__file__).resolve().parent.parent.parent / "shared" / "bench" / "taskbench.py"
METRICS = ("file_recall", "file_precision", "leak", "speedup")


def load_taskbench(path: Path = TASKBENCH) -> ModuleType:
    spec = importlib.util.spec_from_file_location("taskbench", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"taskbench not found at {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def score_window(
    db: Database, window: Path, settings: Settings, taskbench: ModuleType
) -> dict[str, Any]:
    spec = load_task_file(window / "tasks.json")
    project_id = await import_task_file(db, spec)
    plan = await ExecutionPlanBuilder(db, settings, AnalyzerPredictor(db)).build_plan(project_id, save=False)
    truth = json.loads((window / "truth.json").read_text())
    result: dict[str, Any] = taskbench.score(truth, plan.to_dict())
    return result


async def run(args: argparse.Namespace) -> dict[str, Any]:
    taskbench = load_taskbench()
    settings = Settings(split_on=tuple(args.split_on.split(",")))
    report: dict[str, Any] = {"split_on": settings.split_on, "repos": {}}
    async with Database(database_url()) as db:
        await migrate(db)
        for repo in args.repos:
            windows = sorted((Path(args.tb) / repo).glob("window-*"), key=lambda p: int(p.name.split("-")[1]))
            rows, base_rows = [], []
            for window in windows:
                started = time.perf_counter()
                rows.append(await score_window(db, window, settings, taskbench))
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
