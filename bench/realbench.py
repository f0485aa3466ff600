"""Scores execplan's plans on the realbench windows (real task lists), through the real pipeline.

Each window of `shared/bench/realbench` (see its README; `rebuild.sh` makes them) is imported
from its `tasks.json`, built with the default predictor and settings, exported as `execplan show
--json` prints it, and scored by taskbench's own `score` with the window's hard dependencies
(`dependencies_broken` must be 0). Beside it, on the same window and in the same run, taskbench's
reference plans: `dependency_only`, `seed_regex` (paths written in the text) and `oracle` (the
real changed files, dependencies kept). Prints one row per window and the means per repository
and over all windows; with `--tb` it scores a taskbench development set the same way.

    python -m bench.realbench [--windows /tmp/realbench] [--repos wallet-ai ...] [--out report.json]
    python -m bench.realbench --windows /tmp/tb --repos flask httpx gin express   # taskbench set
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Sequence
from pathlib import Path
from statistics import mean
from types import ModuleType
from typing import Any

from bench.taskbench import load_taskbench
from planner.core.settings import Settings, load_settings
from planner.storage.database import Database
from planner.storage.embedded import database_url
from planner.storage.importer import import_task_file, load_task_file
from planner.storage.migrate import migrate
from planner.usecases.build import build_plan

METRICS = ("leak", "leak_code", "speedup", "file_recall", "file_precision", "dependencies_broken")
REFERENCES = ("dependency_only", "seed_regex", "oracle")
REALBENCH_REPOS = ("CideryManagementWebApp", "MediMate_Malaysia", "dm20-protocol", "fo-core", "wallet-ai")


def windows_of(root: Path, repos: Sequence[str]) -> list[tuple[str, Path]]:
    """(repository, window folder) of every window under `root`, in order."""
    found = []
    for repo in repos:
        folders = (root / repo).glob("window-*")
        for window in sorted(folders, key=lambda p: int(p.name.split("-")[1])):
            found.append((repo, window))
    return found


async def score_window(
    db: Database, window: Path, settings: Settings, taskbench: ModuleType, references: bool
) -> dict[str, Any]:
    """execplan's score on one window (and the reference plans' when asked)."""
    spec_json = json.loads((window / "tasks.json").read_text())
    truth = json.loads((window / "truth.json").read_text())
    deps = taskbench.hard_deps(spec_json)
    started = time.perf_counter()
    project_id = await import_task_file(db, load_task_file(window / "tasks.json"))
    plan = await build_plan(db, project_id, settings, save=False)
    row: dict[str, Any] = {"execplan": taskbench.score(truth, plan.to_dict(), deps)}
    row["seconds"] = round(time.perf_counter() - started, 1)
    row["why"] = plan.metadata.get("why", [])
    if references:
        base = taskbench.baselines(truth, spec_json, None)
        for name in REFERENCES:
            row[name] = base[name]
    return row


def means(rows: Sequence[dict[str, Any]], plan: str) -> dict[str, float]:
    return {m: round(mean(float(r[plan][m]) for r in rows), 3) for m in METRICS if m in rows[0][plan]}


def table(report: dict[str, Any]) -> str:
    """The per-repository means as a Markdown table."""
    plans = ["execplan", *(p for p in REFERENCES if p in report["overall"])]
    head = "| repository | windows | " + " | ".join(plans) + " |"
    lines = [
        "leak / leak_code / speedup / recall / precision (mean over the windows)",
        "",
        head,
        "|" + "---|" * (len(plans) + 2),
    ]
    for name, entry in [*report["repos"].items(), ("all", report["overall"])]:
        cells = []
        for plan in plans:
            m = entry[plan]
            cells.append(
                f"{m['leak']:.3f} / {m['leak_code']:.3f} / {m['speedup']:.2f} / "
                f"{m['file_recall']:.2f} / {m['file_precision']:.2f}"
            )
        lines.append(f"| {name} | {entry['windows']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    taskbench = load_taskbench()
    settings = load_settings()
    rows: list[tuple[str, dict[str, Any]]] = []
    failed: list[str] = []
    async with Database(database_url()) as db:
        await migrate(db)
        for repo, window in windows_of(Path(args.windows), args.repos):
            try:
                row = await score_window(db, window, settings, taskbench, not args.no_references)
            except Exception as error:  # a window that does not build is reported, not fatal
                print(repo, window.name, f"FAILED: {type(error).__name__}: {error}", flush=True)
                failed.append(f"{repo}/{window.name}")
                continue
            row["window"] = f"{repo}/{window.name}"
            rows.append((repo, row))
            shown = {m: row["execplan"][m] for m in METRICS}
            print(repo, window.name, shown, f"{row['seconds']}s", flush=True)
    plans = ["execplan", *(() if args.no_references else REFERENCES)]
    report: dict[str, Any] = {"repos": {}, "windows": {}}
    for repo in dict.fromkeys(r for r, _ in rows):
        mine = [row for r, row in rows if r == repo]
        report["repos"][repo] = {"windows": len(mine), **{p: means(mine, p) for p in plans}}
    everything = [row for _, row in rows]
    report["overall"] = {"windows": len(everything), **{p: means(everything, p) for p in plans}}
    report["dependencies_broken_anywhere"] = sum(r["execplan"]["dependencies_broken"] for r in everything)
    report["windows"] = {row.pop("window"): row for row in everything}
    report["failed"] = failed
    return report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--windows", default="/tmp/realbench", help="folder of windows, one per repository")
    parser.add_argument("--repos", nargs="+", default=list(REALBENCH_REPOS), help="repositories to score")
    parser.add_argument("--no-references", action="store_true", help="skip taskbench's reference plans")
    parser.add_argument("--out", help="write the whole report as JSON here")
    args = parser.parse_args()
    report = asyncio.run(run(args))
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1))
    print(table(report))
    print(f"dependencies broken, all windows: {report['dependencies_broken_anywhere']}")
    if report["failed"]:
        print(f"windows that did not build: {', '.join(report['failed'])}")


if __name__ == "__main__":
    main()
