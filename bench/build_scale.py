"""Plan builds at scale: warm builds of 100 to 10,000 tasks on a large real repository.

Tasks are the real commit messages of the repository (the newest `n` commits before the pinned
revision, subject and body), in 8 epics, about one in ten depending on an earlier task of its
epic. Besides the sizes, two adversarial shapes: every task names the same file (`same-file`), and
every task depends on the one before (`chain`). Each case runs in its own process on a throwaway
database (on the server of DATABASE_URL, else the embedded one): import, one build to warm the
stored repository index (not timed), then the timed build, as `execplan build` runs it (the index
read back from the database, the plan saved). Printed per case: seconds (wall and CPU), peak
memory, the share of each build stage (index, predict, conflicts, pack, save; from the build's own
progress reports), and the growth exponent between consecutive sizes (log t2/t1 over log n2/n1).
The reference, measured in the same run: the same build of 100 tasks, as a ratio.

    python -m bench.build_scale --repo /path/to/sqlalchemy [--rev f35da7e2b9] [--sizes 100 300 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

SIZES = (100, 300, 1_000, 3_000, 10_000)
EPICS = 8
DEPENDENCY_SHARE = 0.1
SAME_FILE = "lib/sqlalchemy/orm/session.py"
PINNED = "f35da7e2b9349a08b8de1f6bd3b07c8bf8616790"


def messages(repo: Path, rev: str, count: int) -> list[str]:
    """The newest `count` non-merge commit messages before `rev` (subject and body, trimmed)."""
    out = subprocess.run(
        ["git", "-C", str(repo), "log", "--no-merges", f"-{count}", "--format=%B%x00", rev],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    found = [" ".join(m.split())[:2000] for m in out.split("\x00")]
    return [m for m in found if m]


def task_file(repo: Path, texts: list[str], shape: str, seed: int = 7) -> dict[str, Any]:
    """A native tasks file of `texts` in the given shape (`real`, `same-file` or `chain`)."""
    rng = random.Random(seed)
    epics = [{"key": f"E{n}", "name": f"Epic {n}"} for n in range(1, EPICS + 1)]
    tasks: list[dict[str, Any]] = []
    by_epic: dict[str, list[str]] = {}
    for n, text in enumerate(texts, 1):
        key, epic = f"T{n}", f"E{rng.randint(1, EPICS)}"
        if shape == "same-file":
            text = f"Change {SAME_FILE}: {text}"
        task: dict[str, Any] = {"key": key, "epic": epic, "description": text}
        if shape == "chain" and n > 1:
            task["depends_on"] = [f"T{n - 1}"]
        elif shape != "chain" and by_epic.get(epic) and rng.random() < DEPENDENCY_SHARE:
            task["depends_on"] = [rng.choice(by_epic[epic][-50:])]
        by_epic.setdefault(epic, []).append(key)
        tasks.append(task)
    return {
        "project": {"name": f"scale-{uuid.uuid4().hex[:8]}", "repo_path": str(repo)},
        "epics": epics,
        "tasks": tasks,
    }


async def _one(spec_path: Path) -> dict[str, Any]:
    """Import, warm, then time one build (runs in the case's own process)."""
    from planner.core.progress import Progress
    from planner.storage.database import Database
    from planner.storage.embedded import database_url
    from planner.storage.importer import import_task_file, load_task_file
    from planner.storage.migrate import migrate
    from planner.usecases.build import build_plan

    async with Database(database_url()) as db:
        await migrate(db)
        project_id = await import_task_file(db, load_task_file(spec_path))
        await build_plan(db, project_id, save=False)  # warms the stored index
        clock = Progress()
        cpu, wall = time.process_time(), time.perf_counter()
        plan = await build_plan(db, project_id, progress=clock)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "wall": wall,
        "cpu": cpu,
        "stages": clock.seconds(),
        "batches": len(plan.batches),
        "conflicts": len(plan.predicted_conflicts),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_case(repo: Path, texts: list[str], shape: str, database_url: str) -> dict[str, Any]:
    """One case in a fresh process, on the database at `database_url`."""
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "tasks.json"
        spec.write_text(json.dumps(task_file(repo, texts, shape)))
        env = {**os.environ, "DATABASE_URL": database_url}
        done = subprocess.run(
            [sys.executable, "-m", "bench.build_scale", "--one", str(spec)],
            check=True, capture_output=True, text=True, env=env,
        )  # fmt: skip
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return result


def growth(rows: list[tuple[int, dict[str, Any]]]) -> list[str]:
    """The growth exponent of wall time between consecutive sizes."""
    out = []
    for (n1, a), (n2, b) in itertools.pairwise(rows):
        exponent = math.log(b["wall"] / a["wall"]) / math.log(n2 / n1)
        out.append(f"{n1}->{n2}: n^{exponent:.2f}")
    if len(rows) > 2:
        (n1, a), (n2, b) = rows[1], rows[-1]
        out.append(f"{n1}->{n2}: n^{math.log(b['wall'] / a['wall']) / math.log(n2 / n1):.2f}")
    return out


def show(name: str, result: dict[str, Any], reference: float) -> str:
    total = sum(result["stages"].values()) or 1.0
    shares = " ".join(f"{s} {100 * t / total:.0f}%" for s, t in result["stages"].items())
    return (
        f"{name:>16}  {result['wall']:7.2f} s wall  {result['cpu']:7.2f} s CPU  "
        f"{result['peak_mb']:6.0f} MB  x{result['wall'] / reference:6.1f}  "
        f"{result['batches']:4d} batches  {result['conflicts']:6d} conflicts  [{shares}]"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repo", type=Path, help="a checkout of the repository (sqlalchemy)")
    parser.add_argument("--rev", default=PINNED, help="the pinned revision: tasks are commits before it")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--shapes", nargs="*", default=["same-file", "chain"], help="adversarial shapes")
    parser.add_argument("--shape-size", type=int, default=1_000, help="tasks in each adversarial shape")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(asyncio.run(_one(args.one))))
        return
    if args.repo is None:
        parser.error("--repo is required")
    run(args)


def run(args: argparse.Namespace) -> None:
    from bench.scratch import scratch_database
    from planner.storage.embedded import database_url

    repo = args.repo.resolve()
    head = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    if not head.startswith(args.rev) and not args.rev.startswith(head):
        sys.exit(f"build_scale: {repo} is at {head[:10]}, not the pinned {args.rev[:10]} (git checkout it)")
    texts = messages(repo, args.rev, max([*args.sizes, args.shape_size]))
    results: dict[str, Any] = {}
    with scratch_database(os.environ.get("DATABASE_URL") or database_url()) as url:
        reference = run_case(repo, texts[:100], "real", url)
        print(show("reference 100", reference, reference["wall"]), flush=True)
        rows = []
        for n in args.sizes:
            result = run_case(repo, texts[:n], "real", url)
            rows.append((n, result))
            results[f"real-{n}"] = result
            print(show(f"{n} tasks", result, reference["wall"]), flush=True)
        for shape in args.shapes:
            result = run_case(repo, texts[: args.shape_size], shape, url)
            results[f"{shape}-{args.shape_size}"] = result
            print(show(f"{shape} {args.shape_size}", result, reference["wall"]), flush=True)
    print("growth:", ", ".join(growth(rows)))
    if args.out:
        args.out.write_text(json.dumps({"reference": reference, **results}, indent=1))


if __name__ == "__main__":
    main()
