"""Fit the weights of `RankConfig` on taskbench windows by logistic regression, and check them.

Collects, for every task of every window under `--tb`, the features of each candidate file with
the label "the real change touched it", then fits the weights (L2-regularised Newton steps; a
feature whose weight comes out negative is dropped and the fit redone, so that more evidence never
lowers a confidence; context features, which are not evidence, may weigh negatively). The seeds
of the co-change/import round depend on the weights, so the fit
is repeated a few times. Prints the fitted weights as `RankConfig` fields, then, to show how well
they carry to repositories they were not fitted on, leave-one-repository-out recall and precision.

    .venv/bin/python -m bench.analyzer_tune [--tb /tmp/tb] [--rounds 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import math
import statistics
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from analyzer import RankConfig, RepoIndex, build_repo_index, predict
from analyzer.ranking import scored_features, sigmoid
from analyzer.signals import DIRECT_FEATURES, SPREAD_FEATURES
from bench.analyzer_recall import file_scores, parse_overrides
from bench.taskbench import TASKBENCH, load_taskbench

FEATURES = (*DIRECT_FEATURES, *SPREAD_FEATURES)
CONTEXT_FEATURES = ("text_length", "commit_size")
"""Features of the task or repository, not evidence about a file: their weights may be negative."""


@dataclass(frozen=True)
class Task:
    """One task of a window: where it is, its text and the files it really changed."""

    repo: str
    window: str
    text: str
    truth: frozenset[str]


Row = tuple[list[tuple[int, float]], int]


def load_tasks(root: Path) -> tuple[list[Task], dict[str, RepoIndex]]:
    tasks: list[Task] = []
    indexes: dict[str, RepoIndex] = {}
    for window in sorted(root.glob("*/window-*")):
        if not (window / "truth.json").exists():
            continue
        spec = json.loads((window / "tasks.json").read_text())
        truth = json.loads((window / "truth.json").read_text())
        indexes[str(window)] = build_repo_index(window / "repo", progress=False)
        for task in spec["tasks"]:
            files = frozenset(truth["tasks"][task["key"]]["files"])
            tasks.append(Task(window.parent.name, str(window), task["description"], files))
    return tasks, indexes


def rows_for(tasks: list[Task], indexes: dict[str, RepoIndex], config: RankConfig) -> list[Row]:
    """Sparse feature rows (feature index, value) and labels of every candidate of every task."""
    rows: list[Row] = []
    for task in tasks:
        features, _, _ = scored_features(indexes[task.window], task.text, config)
        for path, row in features.items():
            sparse = [(FEATURES.index(name), value) for name, (value, _) in row.items() if value]
            rows.append((sparse, int(path in task.truth)))
    return rows


def solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting."""
    size = len(vector)
    a = [[*row, vector[i]] for i, row in enumerate(matrix)]
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        for r in range(size):
            if r != col and a[col][col]:
                factor = a[r][col] / a[col][col]
                a[r] = [x - factor * y for x, y in zip(a[r], a[col], strict=True)]
    return [a[i][size] / a[i][i] if a[i][i] else 0.0 for i in range(size)]


def loss(rows: list[Row], weights: list[float], used: set[int], l2: float) -> float:
    """Mean log-loss plus the L2 penalty."""
    total = 0.0
    for sparse, label in rows:
        z = weights[-1] + sum(weights[i] * v for i, v in sparse if i in used)
        total += math.log1p(math.exp(-abs(z))) + max(z, 0.0) - label * z
    return total + 0.5 * l2 * sum(w * w for w in weights[:-1])


def fit(
    rows: list[Row], active: set[int], fixed: dict[int, float], l2: float = 0.1, steps: int = 25
) -> list[float]:
    """Logistic regression weights (bias last) over the `active` features; `fixed` ones keep their
    given weight, all others are zero. Newton steps, halved until the penalised log-loss goes down."""
    size = len(FEATURES) + 1
    weights = [fixed.get(i, 0.0) for i in range(size)]
    weights[-1] = -3.0
    used = active | set(fixed)
    current = loss(rows, weights, used, l2)
    for _ in range(steps):
        gradient = [0.0] * size
        hessian = [[0.0] * size for _ in range(size)]
        for sparse, label in rows:
            present = [(i, v) for i, v in sparse if i in used] + [(size - 1, 1.0)]
            p = sigmoid(sum(weights[i] * v for i, v in present))
            for i, v in present:
                gradient[i] += (p - label) * v
                for j, u in present:
                    hessian[i][j] += p * (1 - p) * v * u
        for i in range(size - 1):
            gradient[i] += l2 * weights[i]
            hessian[i][i] += l2
            if i not in active:
                hessian[i] = [0.0] * size
                hessian[i][i] = 1.0
                gradient[i] = 0.0
        step = solve(hessian, gradient)
        scale = 1.0
        while scale > 1e-4:
            trial = [w - scale * s for w, s in zip(weights, step, strict=True)]
            trial_loss = loss(rows, trial, used, l2)
            if trial_loss <= current:
                break
            scale /= 2
        if current - trial_loss < 1e-6:
            weights = trial if trial_loss <= current else weights
            break
        weights, current = trial, trial_loss
    return weights


def fit_config(
    tasks: list[Task], indexes: dict[str, RepoIndex], base: RankConfig, rounds: int, fixed: set[str]
) -> RankConfig:
    """Weights fitted to `tasks` (those named in `fixed` kept as in `base`), refitting as the seeds
    of the spread round move."""
    config = base
    held = {
        i: getattr(base, f"weight_{name}") for i, name in enumerate(FEATURES) if f"weight_{name}" in fixed
    }
    for _ in range(rounds):
        rows = rows_for(tasks, indexes, config)
        active = set(range(len(FEATURES))) - set(held)
        while True:
            weights = fit(rows, active, held)
            negative = {i for i in active if weights[i] < 0 and FEATURES[i] not in CONTEXT_FEATURES}
            if not negative:
                break
            active -= negative
        values: dict[str, Any] = {f"weight_{name}": round(weights[i], 3) for i, name in enumerate(FEATURES)}
        config = dataclasses.replace(config, bias=round(weights[-1], 3), **values)
    return config


def evaluate(
    tasks: list[Task], indexes: dict[str, RepoIndex], config: RankConfig, taskbench: ModuleType
) -> dict[str, float]:
    """Mean over windows of file scores, and of leak and speedup of taskbench's first-fit plan."""
    by_window: dict[str, list[Task]] = defaultdict(list)
    for task in tasks:
        by_window[task.window].append(task)
    results = []
    for window, members in by_window.items():
        truth = json.loads((Path(window) / "truth.json").read_text())
        keys = list(truth["tasks"])
        real = {key: set(task.truth) for key, task in zip(keys, members, strict=True)}
        predicted = {
            key: {p.path for p in predict(indexes[window], task.text, config)}
            for key, task in zip(keys, members, strict=True)
        }
        plan = taskbench.score(truth, taskbench.greedy_plan(truth, predicted))
        results.append({**file_scores(real, predicted), "leak": plan["leak"], "speedup": plan["speedup"]})
    return {name: statistics.mean(r[name] for r in results) for name in results[0]}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tb", default="/tmp/tb")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--taskbench", default=str(TASKBENCH))
    parser.add_argument("--no-cv", action="store_true", help="skip leave-one-repository-out")
    parser.add_argument(
        "--set", action="append", default=[], metavar="FIELD=VALUE", help="fix a RankConfig field"
    )
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    taskbench = load_taskbench(Path(args.taskbench))
    tasks, indexes = load_tasks(Path(args.tb))
    overrides = parse_overrides(args.set)
    base = dataclasses.replace(RankConfig(), **overrides)
    config = fit_config(tasks, indexes, base, args.rounds, set(overrides))
    print("fitted on all windows:")
    for field in dataclasses.fields(RankConfig):
        if field.name == "bias" or field.name.startswith("weight_"):
            print(f"    {field.name}: float = {getattr(config, field.name)}")
    for threshold in (0.1, 0.15, 0.2, 0.3, 0.4):
        scores = evaluate(tasks, indexes, dataclasses.replace(config, threshold=threshold), taskbench)
        print(f"threshold {threshold}: " + " ".join(f"{k} {v:.3f}" for k, v in scores.items()))
    if args.no_cv:
        return
    for held_out in sorted({task.repo for task in tasks}):
        train = [task for task in tasks if task.repo != held_out]
        test = [task for task in tasks if task.repo == held_out]
        fold = fit_config(train, indexes, base, args.rounds, set(overrides))
        scores = evaluate(test, indexes, dataclasses.replace(fold, threshold=config.threshold), taskbench)
        print(f"held out {held_out:8}: " + " ".join(f"{k} {v:.3f}" for k, v in scores.items()))


if __name__ == "__main__":
    main()
