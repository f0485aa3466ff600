"""File recall and precision of `analyzer.predict` on taskbench windows, next to taskbench's baselines.

For every window under `--tb` (default /tmp/tb: `<repo>/window-<n>/{tasks.json,truth.json,repo/}`,
made by ../shared/bench/taskbench.py), index `repo/` as it was before the window, predict each
task's files from its description alone, and score them as taskbench does (per task, averaged).
Also shows recall on the files that conflict (changed by two or more tasks of the window), and
leak and speedup of taskbench's first-fit plan over the predictions, in the tasks' order and
(`_packed`) in the best of `--orders` shuffled orders by predicted makespan, as a planner could
pack them (the planner's own batching is measured with `taskbench.py score`). The bm25_top3 rows
are taskbench's own baseline code, scored the same way.

    .venv/bin/python -m bench.analyzer_recall [--tb /tmp/tb] [--repos flask,httpx] [--set threshold=0.4]
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import logging
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

from analyzer import RankConfig, build_repo_index, predict
from bench.taskbench import TASKBENCH, load_taskbench


def file_scores(real: dict[str, set[str]], predicted: dict[str, set[str]]) -> dict[str, float]:
    """Mean recall and precision per task (taskbench's formula), and recall on conflicting files."""
    recalls, precisions, hot_hits, hot_total = [], [], 0, 0
    shared = {f for a, b in itertools.combinations(real, 2) for f in real[a] & real[b]}
    for key, files in real.items():
        got = predicted.get(key, set())
        recalls.append(len(got & files) / len(files))
        precisions.append(len(got & files) / len(got) if got else 0.0)
        hot = files & shared
        hot_hits += len(got & hot)
        hot_total += len(hot)
    return {
        "recall": statistics.mean(recalls),
        "precision": statistics.mean(precisions),
        "conflict_recall": hot_hits / hot_total if hot_total else 1.0,
        "files_per_task": statistics.mean(len(v) for v in predicted.values()) if predicted else 0.0,
    }


def predicted_makespan(plan: dict[str, Any]) -> int:
    """Makespan of a plan as the plan itself sees it: each batch lasts as long as its busiest worktree."""
    total = 0
    for batch in plan["batches"]:
        load = Counter(plan["worktree_assignments"][key] for key in batch["task_ids"])
        total += max(load.values())
    return total


def best_order_plan(
    truth: dict[str, Any], predicted: dict[str, set[str]], taskbench: ModuleType, tries: int
) -> dict[str, Any]:
    """taskbench's first-fit plan over the task order with the shortest *predicted* makespan among
    `tries` shuffles: what a planner can do with the same predictions and no knowledge of the truth."""
    rng = random.Random(0)
    order = list(truth["tasks"])
    best = taskbench.greedy_plan(truth, predicted)
    best_makespan = predicted_makespan(best)
    for _ in range(tries):
        rng.shuffle(order)
        plan = taskbench.greedy_plan(truth, predicted, list(order))
        makespan = predicted_makespan(plan)
        if makespan < best_makespan:
            best, best_makespan = plan, makespan
    return dict(best)


def run_window(
    window: Path, config: RankConfig, taskbench: ModuleType, orders: int
) -> dict[str, dict[str, float]]:
    spec = json.loads((window / "tasks.json").read_text())
    truth = json.loads((window / "truth.json").read_text())
    real = {key: set(task["files"]) for key, task in truth["tasks"].items()}
    descriptions = {task["key"]: task["description"] for task in spec["tasks"]}
    index = build_repo_index(window / "repo", progress=False)
    ours = {key: {p.path for p in predict(index, text, config)} for key, text in descriptions.items()}
    bm25 = taskbench.bm25_predict(window, descriptions, 3)
    result = {}
    for name, predicted in (("analyzer", ours), ("bm25_top3", bm25)):
        plan = taskbench.score(truth, taskbench.greedy_plan(truth, predicted))
        packed = taskbench.score(truth, best_order_plan(truth, predicted, taskbench, orders))
        result[name] = {
            **file_scores(real, predicted),
            "leak": plan["leak"],
            "speedup": plan["speedup"],
            "leak_packed": packed["leak"],
            "speedup_packed": packed["speedup"],
        }
    return result


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    fields = {f.name: f.type for f in dataclasses.fields(RankConfig)}
    overrides: dict[str, Any] = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if name not in fields:
            raise SystemExit(f"RankConfig has no field {name!r}")
        overrides[name] = int(value) if fields[name] in ("int", int) else float(value)
    return overrides


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tb", default="/tmp/tb", help="folder of taskbench windows")
    parser.add_argument("--repos", default="", help="comma-separated repository names (default: all)")
    parser.add_argument("--taskbench", default=str(TASKBENCH))
    parser.add_argument(
        "--set", action="append", default=[], metavar="FIELD=VALUE", help="override RankConfig"
    )
    parser.add_argument("--json", action="store_true", help="print per-window results as JSON too")
    parser.add_argument("--orders", type=int, default=200, help="task orders tried for the packed plan")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    taskbench = load_taskbench(Path(args.taskbench))
    config = dataclasses.replace(RankConfig(), **parse_overrides(args.set))
    root = Path(args.tb)
    repos = args.repos.split(",") if args.repos else sorted(p.name for p in root.iterdir() if p.is_dir())
    metrics = (
        "recall",
        "precision",
        "conflict_recall",
        "files_per_task",
        "leak",
        "speedup",
        "leak_packed",
        "speedup_packed",
    )
    print(f"{'repo':8} {'method':10} " + " ".join(f"{m[:9]:>9}" for m in metrics))
    overall: dict[str, list[dict[str, float]]] = {"analyzer": [], "bm25_top3": []}
    started = time.perf_counter()
    for repo in repos:
        windows = sorted((root / repo).glob("window-*"), key=lambda p: int(p.name.split("-")[1]))
        results = [
            run_window(window, config, taskbench, args.orders)
            for window in windows
            if (window / "truth.json").exists()
        ]
        if args.json:
            print(json.dumps({repo: results}))
        for method in ("analyzer", "bm25_top3"):
            rows = [r[method] for r in results]
            overall[method] += rows
            print(
                f"{repo:8} {method:10} "
                + " ".join(f"{statistics.mean(r[m] for r in rows):9.3f}" for m in metrics)
            )
    for method, rows in overall.items():
        if rows:
            print(
                f"{'all':8} {method:10} "
                + " ".join(f"{statistics.mean(r[m] for r in rows):9.3f}" for m in metrics)
            )
    print(f"{time.perf_counter() - started:.1f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
