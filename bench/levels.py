"""Benchmark: the SQL dependency-levels function against a graphlib reference on the same connection.

For each size and shape a random layered graph is loaded into a throwaway database; then the best of
several runs of `execplan_task_levels_v1` is compared with the best of several runs of the Python
reference (fetch the same project's unfinished tasks and hard edges, level them with graphlib).
Run from the repository root: `python -m bench.levels` (DATABASE_URL, else the embedded server).
"""

from __future__ import annotations

import argparse
import graphlib
import random
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql as pgsql
from psycopg.conninfo import make_conninfo

import sql
from planner.storage.embedded import database_url

SIZES = (100, 1_000, 10_000, 100_000)
SHAPES = ("shallow", "deep")
# a shallow graph has this many levels whatever its size; a deep one about one level per this many tasks
SHALLOW_DEPTH = 6
TASKS_PER_DEEP_LEVEL = 30
# extra hard dependencies reach back at most this many levels; this share of tasks also gets a soft one
RECENT_LEVELS = 3
SOFT_SHARE = 0.1

SQL_LEVELS = "SELECT task_id, level FROM execplan_task_levels_v1(%(project_id)s)"
OPEN_TASKS = "SELECT id FROM tasks WHERE project_id = %(project_id)s AND NOT done"
HARD_EDGES = """
SELECT d.task_id, d.depends_on_task_id
FROM task_dependencies d
JOIN tasks t ON t.id = d.task_id
JOIN tasks p ON p.id = d.depends_on_task_id
WHERE t.project_id = %(project_id)s AND NOT t.done AND NOT p.done AND d.dependency_type = 'hard'
"""


@dataclass(frozen=True)
class Graph:
    """A layered task graph: task i (id i + 1) has level `levels[i]`; edges are (task, depends on, type)."""

    shape: str
    levels: list[int]
    edges: list[tuple[int, int, str]]

    @property
    def depth(self) -> int:
        return max(self.levels) + 1


def depth_of(shape: str, size: int) -> int:
    """How many levels a graph of this shape and size has."""
    if shape == "shallow":
        return min(SHALLOW_DEPTH, size)
    return max(1, round(size / TASKS_PER_DEEP_LEVEL))


def make_graph(shape: str, size: int, rng: random.Random) -> Graph:
    """Tasks spread evenly over the levels; each task past level 0 depends on 1-3 tasks of the
    `RECENT_LEVELS` levels before it, at least one of them on the level right before."""
    depth = depth_of(shape, size)
    levels = [i * depth // size for i in range(size)]
    members: list[list[int]] = [[] for _ in range(depth)]
    for task, level in enumerate(levels):
        members[level].append(task)
    edges: list[tuple[int, int, str]] = []
    for task, level in enumerate(levels):
        if level == 0:
            continue
        deps = {rng.choice(members[level - 1])}
        recent = [t for lvl in range(max(0, level - RECENT_LEVELS), level) for t in members[lvl]]
        for _ in range(rng.randint(0, 2)):
            deps.add(rng.choice(recent))
        edges.extend((task + 1, dep + 1, "hard") for dep in sorted(deps))
        if rng.random() < SOFT_SHARE:
            # soft dependencies order nothing, so they may point anywhere, even forwards
            other = rng.randrange(size)
            if other != task and other not in deps:
                edges.append((task + 1, other + 1, "soft"))
    return Graph(shape, levels, edges)


def load(conn: psycopg.Connection[Any], graph: Graph) -> uuid.UUID:
    """Insert the graph as one project of a freshly created schema; returns the project id."""
    project_id = uuid.uuid4()
    conn.execute("INSERT INTO projects (id, name) VALUES (%s, %s)", (project_id, f"bench-{project_id}"))
    with conn.cursor().copy("COPY tasks (id, project_id, key) FROM STDIN") as copy:
        for index in range(len(graph.levels)):
            copy.write_row((index + 1, project_id, f"T{index + 1}"))
    conn.execute("SELECT setval(pg_get_serial_sequence('tasks', 'id'), %s)", (len(graph.levels),))
    with conn.cursor().copy(
        "COPY task_dependencies (task_id, depends_on_task_id, dependency_type) FROM STDIN"
    ) as copy:
        for edge in graph.edges:
            copy.write_row(edge)
    conn.execute("ANALYZE")
    return project_id


def sql_levels(conn: psycopg.Connection[Any], project_id: uuid.UUID) -> dict[int, int]:
    """The levels as the database function computes them."""
    rows = conn.execute(SQL_LEVELS, {"project_id": project_id}).fetchall()
    return {task: level for task, level in rows}


def python_levels(conn: psycopg.Connection[Any], project_id: uuid.UUID) -> dict[int, int]:
    """The reference: fetch unfinished tasks and hard edges between them, level them in Kahn rounds."""
    params = {"project_id": project_id}
    tasks = [row[0] for row in conn.execute(OPEN_TASKS, params).fetchall()]
    edges = conn.execute(HARD_EDGES, params).fetchall()
    return levels_of(tasks, edges)


def levels_of(tasks: Iterable[int], edges: Iterable[tuple[int, int]]) -> dict[int, int]:
    """Longest-chain levels of `tasks` given (task, depends on) edges, computed with graphlib."""
    sorter: graphlib.TopologicalSorter[int] = graphlib.TopologicalSorter()
    for task in tasks:
        sorter.add(task)
    for task, dependency in edges:
        sorter.add(task, dependency)
    sorter.prepare()
    levels: dict[int, int] = {}
    level = 0
    while sorter.is_active():
        ready = sorter.get_ready()
        for task in ready:
            levels[task] = level
        sorter.done(*ready)
        level += 1
    return levels


def best_of(repeats: int, run: Callable[[], object]) -> float:
    """The shortest of `repeats` wall-clock timings of `run`, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


@dataclass(frozen=True)
class Result:
    """One measurement: the graph's size and shape, and the best time of each way."""

    size: int
    shape: str
    depth: int
    hard_edges: int
    sql_seconds: float
    python_seconds: float

    @property
    def ratio(self) -> float:
        return self.sql_seconds / self.python_seconds


def measure(url: str, graph: Graph, repeats: int) -> Result:
    """Load `graph` into a throwaway database on the server at `url` and time both ways."""
    name = f"execplan_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
    try:
        with psycopg.connect(make_conninfo(url, dbname=name), autocommit=True) as conn:
            conn.execute(sql.schema().encode())
            project_id = load(conn, graph)
            expected = {index + 1: level for index, level in enumerate(graph.levels)}
            for way in (sql_levels, python_levels):
                got = way(conn, project_id)
                if got != expected:
                    raise SystemExit(f"{way.__name__} disagrees with the generated levels ({graph.shape})")
            sql_seconds = best_of(repeats, lambda: sql_levels(conn, project_id))
            python_seconds = best_of(repeats, lambda: python_levels(conn, project_id))
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(name)))
    hard = sum(1 for edge in graph.edges if edge[2] == "hard")
    return Result(len(graph.levels), graph.shape, graph.depth, hard, sql_seconds, python_seconds)


def server_version(url: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


HEADER = (
    f"{'tasks':>7} {'shape':<8} {'levels':>6} {'hard edges':>10} {'SQL ms':>9} {'Python ms':>9} {'SQL/Py':>6}"
)


def row(r: Result) -> str:
    """One line of the table."""
    return (
        f"{r.size:>7} {r.shape:<8} {r.depth:>6} {r.hard_edges:>10} "
        f"{r.sql_seconds * 1000:>9.1f} {r.python_seconds * 1000:>9.1f} {r.ratio:>6.2f}"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.levels", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="numbers of tasks")
    parser.add_argument("--shapes", nargs="+", choices=SHAPES, default=list(SHAPES))
    parser.add_argument("--repeats", type=int, default=5, help="timings per measurement; the best counts")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--url", help="server to use (default: DATABASE_URL, else the embedded server)")
    args = parser.parse_args(argv)
    if min(args.sizes) < 1 or args.repeats < 1:
        parser.error("sizes and repeats must be at least 1")
    url: str = args.url or database_url()
    print(f"PostgreSQL {server_version(url)}, best of {args.repeats}, seed {args.seed}")
    print(HEADER, flush=True)
    for size in args.sizes:
        for shape in args.shapes:
            # one generator per graph: a size's graph is the same whichever other sizes are run
            rng = random.Random(f"{args.seed}-{shape}-{size}")
            print(row(measure(url, make_graph(shape, size, rng), args.repeats)), flush=True)


if __name__ == "__main__":
    main()
