"""The SQL dependency levels: equal to a graphlib reference, cycles named exactly, graph hashed once.

`execplan_task_levels_v1` levels a project's unfinished tasks by the longest chain of unfinished
hard dependencies before each; these tests compare it with Python on random graphs (hypothesis),
check the cycle it names really is one, and pin the plan shape the recursive CTE relies on.
"""

from __future__ import annotations

import graphlib
import itertools
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, LiteralString, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql as pgsql

from planner.core.errors import DependencyCycleError
from planner.storage.database import Connection, Database

# hypothesis runs many examples in one test database, each in a project of its own
ONE_DATABASE = [HealthCheck.function_scoped_fixture]
EXAMPLES = settings(max_examples=60, deadline=None, suppress_health_check=ONE_DATABASE)


@dataclass(frozen=True)
class Graph:
    """Tasks by key (in insertion order) with their done flag, and (task, depends on, type) rows."""

    done: dict[str, bool]
    dependencies: tuple[tuple[str, str, str], ...] = ()

    def hard_open_predecessors(self) -> dict[str, set[str]]:
        """For each unfinished task, the unfinished tasks it hard-depends on: what orders levels."""
        unfinished = {key for key, done in self.done.items() if not done}
        predecessors: dict[str, set[str]] = {key: set() for key in unfinished}
        for task, depends_on, kind in self.dependencies:
            if kind == "hard" and task in unfinished and depends_on in unfinished:
                predecessors[task].add(depends_on)
        return predecessors


def graph(*tasks: str, done: tuple[str, ...] = (), hard: str = "", soft: str = "") -> Graph:
    """A graph written compactly: `hard="B>A C>B"` means B depends on A and C on B."""
    rows = [
        (*pair.split(">"), kind) for kind, pairs in (("hard", hard), ("soft", soft)) for pair in pairs.split()
    ]
    return Graph({key: key in done for key in tasks}, tuple((task, dep, kind) for task, dep, kind in rows))


def reference_levels(g: Graph) -> dict[str, int]:
    """Longest chain of unfinished hard dependencies before each unfinished task (raises CycleError)."""
    predecessors = g.hard_open_predecessors()
    levels: dict[str, int] = {}
    for key in graphlib.TopologicalSorter(predecessors).static_order():
        levels[key] = max((levels[p] + 1 for p in predecessors[key]), default=0)
    return levels


def levelable(g: Graph) -> dict[str, int]:
    """The levels of the tasks on no cycle and behind none: Kahn's rounds until none is ready."""
    predecessors = g.hard_open_predecessors()
    levels: dict[str, int] = {}
    while ready := [k for k in predecessors if k not in levels and predecessors[k] <= levels.keys()]:
        for key in ready:
            levels[key] = max((levels[p] + 1 for p in predecessors[key]), default=0)
    return levels


async def store(db: Database, g: Graph) -> uuid.UUID:
    """Insert `g` as a new project; returns its id."""
    project_id = uuid.uuid4()
    tasks = [{"key": key, "done": done} for key, done in g.done.items()]
    async with db.transaction() as conn:
        await conn.raw.execute(
            "INSERT INTO projects (id, name) VALUES (%s, %s)", (project_id, f"levels-{project_id}")
        )
        cur = await conn.raw.execute(
            "INSERT INTO tasks (project_id, key, done)"
            " SELECT %s, t.key, t.done FROM jsonb_to_recordset(%s::jsonb) AS t(key text, done boolean)"
            " RETURNING id, key",
            (project_id, json.dumps(tasks)),
        )
        ids = {row["key"]: row["id"] for row in await cur.fetchall()}
        rows = [{"task": ids[t], "dep": ids[d], "kind": kind} for t, d, kind in g.dependencies]
        await conn.raw.execute(
            "INSERT INTO task_dependencies (task_id, depends_on_task_id, dependency_type)"
            " SELECT d.task, d.dep, d.kind"
            " FROM jsonb_to_recordset(%s::jsonb) AS d(task int, dep int, kind text)",
            (json.dumps(rows),),
        )
    return project_id


async def keys_by_id(db: Database, project_id: uuid.UUID) -> dict[int, str]:
    async with db.connection() as conn:
        cur = await conn.raw.execute("SELECT id, key FROM tasks WHERE project_id = %s", (project_id,))
        return {row["id"]: row["key"] for row in await cur.fetchall()}


@asynccontextmanager
async def bounded(db: Database) -> AsyncIterator[Connection]:
    """A connection in a transaction whose statements give up after a while: a CTE that went on
    forever on a cycle fails the test instead of hanging it."""
    async with db.transaction() as conn:
        await conn.raw.execute("SET LOCAL statement_timeout = '5s'")
        yield conn


async def sql_levels(db: Database, project_id: uuid.UUID) -> dict[str, int]:
    """Levels by key, through the named query the planner uses (raises DependencyCycleError)."""
    keys = await keys_by_id(db, project_id)
    async with bounded(db) as conn:
        rows = await conn.fetch_all("task_levels", {"project_id": project_id})
    return {keys[row["task_id"]]: row["level"] for row in rows}


async def unchecked_levels(db: Database, project_id: uuid.UUID) -> dict[str, int]:
    """Levels by key from the CTE itself, which levels what it can and never raises."""
    keys = await keys_by_id(db, project_id)
    async with bounded(db) as conn:
        cur = await conn.raw.execute(
            "SELECT task_id, level FROM execplan_task_levels_unchecked_v1(%s)", (project_id,)
        )
        rows = await cur.fetchall()
    return {keys[row["task_id"]]: row["level"] for row in rows}


def assert_names_a_cycle(cycle: list[str], g: Graph) -> None:
    """`cycle` is T1 -> T2 -> … -> T1 in the hard graph of unfinished tasks, each depending on the next."""
    predecessors = g.hard_open_predecessors()
    assert len(cycle) >= 3 and cycle[0] == cycle[-1]
    assert len(set(cycle[:-1])) == len(cycle) - 1, "a key named twice before the end"
    assert all(key in predecessors for key in cycle), "not an unfinished task of the project"
    assert all(after in predecessors[key] for key, after in itertools.pairwise(cycle))


# -- random graphs ------------------------------------------------------------------------------

KINDS = st.sampled_from((None, None, None, "hard", "soft"))


@st.composite
def dags(draw: st.DrawFn, min_tasks: int = 0, max_tasks: int = 10) -> Graph:
    """Random tasks (some done) and dependencies of both kinds, whose unfinished hard graph is acyclic.

    Hard dependencies follow a random order unrelated to the insertion order (so to the ids); one
    against it is allowed only when a done task is on it, so cycles through done tasks occur and
    must be ignored. Soft dependencies go anywhere.
    """
    count = draw(st.integers(min_tasks, max_tasks))
    keys = [f"T{n}" for n in range(count)]
    position = {key: n for n, key in enumerate(draw(st.permutations(keys)))}
    done = {key: draw(st.sampled_from((False, False, True))) for key in keys}
    dependencies = []
    for task in keys:
        for depends_on in keys:
            kind = draw(KINDS) if task != depends_on else None
            backwards = position[depends_on] > position[task] and not (done[task] or done[depends_on])
            if kind == "hard" and backwards:
                kind = "soft"
            if kind:
                dependencies.append((task, depends_on, kind))
    return Graph(done, tuple(dependencies))


@st.composite
def cyclic_graphs(draw: st.DrawFn) -> Graph:
    """A random DAG into which a hard cycle of two or more unfinished tasks is woven."""
    base = draw(dags(min_tasks=2))
    keys = list(base.done)
    cycle = draw(st.lists(st.sampled_from(keys), min_size=2, max_size=len(keys), unique=True))
    closing = {(task, after) for task, after in zip(cycle, [*cycle[1:], cycle[0]], strict=True)}
    kept = tuple(row for row in base.dependencies if (row[0], row[1]) not in closing)
    done = {key: flag and key not in cycle for key, flag in base.done.items()}
    return Graph(done, kept + tuple((task, after, "hard") for task, after in sorted(closing)))


@EXAMPLES
@given(g=dags())
async def test_levels_equal_graphlib_reference(db: Database, g: Graph) -> None:
    project_id = await store(db, g)
    assert await sql_levels(db, project_id) == reference_levels(g)


@EXAMPLES
@given(g=cyclic_graphs())
async def test_any_cycle_is_reported_and_named(db: Database, g: Graph) -> None:
    with pytest.raises(graphlib.CycleError):
        reference_levels(g)
    project_id = await store(db, g)
    with pytest.raises(DependencyCycleError) as caught:
        await sql_levels(db, project_id)
    assert_names_a_cycle(caught.value.cycle, g)


@EXAMPLES
@given(g=cyclic_graphs())
async def test_unchecked_levels_what_no_cycle_holds_back(db: Database, g: Graph) -> None:
    # the CTE ends even on a cycle, levelling exactly the tasks on no cycle and behind none
    project_id = await store(db, g)
    assert await unchecked_levels(db, project_id) == levelable(g)


# -- chosen graphs ------------------------------------------------------------------------------


async def test_empty_project_has_no_levels(db: Database) -> None:
    assert await sql_levels(db, await store(db, Graph({}))) == {}


async def test_done_tasks_and_soft_dependencies_order_nothing(db: Database) -> None:
    g = graph(
        "A", "B", "C", "D", "E", "F", "X", "Y",
        done=("A", "Y"),
        hard="B>A D>B X>Y Y>X",  # B waits on a done task; X and Y form a cycle through a done task
        soft="C>B E>F F>E",  # soft dependencies, even in a circle, order nothing
    )  # fmt: skip
    assert await sql_levels(db, await store(db, g)) == {"B": 0, "C": 0, "D": 1, "E": 0, "F": 0, "X": 0}


async def test_task_depending_only_on_done_tasks_is_level_0(db: Database) -> None:
    g = graph("A", "B", "C", done=("A", "B"), hard="C>A C>B")
    assert await sql_levels(db, await store(db, g)) == {"C": 0}


async def test_diamond_takes_the_longest_chain(db: Database) -> None:
    # D waits on B and C, which wait on A; the direct D>A changes nothing, E>C>A makes E level 2
    g = graph("D", "C", "B", "A", "E", hard="B>A C>A D>B D>C D>A E>C")
    assert await sql_levels(db, await store(db, g)) == {"A": 0, "B": 1, "C": 1, "D": 2, "E": 2}


async def test_long_chain(db: Database) -> None:
    keys = [f"T{n}" for n in range(400)]
    g = Graph(
        {key: False for key in reversed(keys)}, tuple((b, a, "hard") for a, b in itertools.pairwise(keys))
    )
    assert await sql_levels(db, await store(db, g)) == {key: n for n, key in enumerate(keys)}


async def test_task_waits_untouched_over_many_rounds(db: Database) -> None:
    # Z waits on the chain's first and last task: reached in the first round, it is carried along
    # until the last; Y waits on Z and on the chain's start as well
    keys = [f"T{n}" for n in range(60)]
    chain = tuple((b, a, "hard") for a, b in itertools.pairwise(keys))
    waiting = (("Z", "T0", "hard"), ("Z", "T59", "hard"), ("Y", "Z", "hard"), ("Y", "T1", "hard"))
    g = Graph({key: False for key in ["Y", "Z", *keys]}, chain + waiting)
    expected = {key: n for n, key in enumerate(keys)} | {"Z": 60, "Y": 61}
    assert await sql_levels(db, await store(db, g)) == expected


async def test_tasks_still_waiting_when_the_rounds_end_are_not_levelled(db: Database) -> None:
    # W waits on A (levelled) and on C, which is on the cycle C -> D -> C: the rounds end with W
    # still waiting, and only the cycle is named
    g = graph("A", "B", "C", "D", "W", hard="B>A W>A W>C C>D D>C")
    project_id = await store(db, g)
    assert await unchecked_levels(db, project_id) == {"A": 0, "B": 1}
    with pytest.raises(DependencyCycleError) as caught:
        await sql_levels(db, project_id)
    assert caught.value.cycle in (["C", "D", "C"], ["D", "C", "D"])


async def test_two_projects_do_not_mix(db: Database) -> None:
    first = await store(db, graph("T1", "T2", "T3", hard="T2>T1 T3>T2"))
    second = await store(db, graph("T1", "T2", "T3", hard="T3>T1"))
    third = await store(db, graph("T1", "T2", done=("T1",), hard="T2>T1"))
    async with db.connection() as conn:
        # a dependency across projects is not one of either project's: it orders nothing
        await conn.raw.execute(
            "INSERT INTO task_dependencies (task_id, depends_on_task_id)"
            " SELECT s.id, f.id FROM tasks s, tasks f"
            " WHERE s.project_id = %s AND s.key = 'T2' AND f.project_id = %s AND f.key = 'T3'",
            (second, first),
        )
    assert await sql_levels(db, first) == {"T1": 0, "T2": 1, "T3": 2}
    assert await sql_levels(db, second) == {"T1": 0, "T2": 0, "T3": 1}
    assert await sql_levels(db, third) == {"T2": 0}


async def test_cycle_behind_which_tasks_wait_names_only_the_cycle(db: Database) -> None:
    # C -> D -> E -> C is the cycle; F and G wait behind it, B before it is fine, H is independent
    g = graph("G", "F", "E", "D", "C", "B", "A", "H", hard="B>A C>B C>D D>E E>C F>E G>F G>A")
    project_id = await store(db, g)
    with pytest.raises(DependencyCycleError) as caught:
        await sql_levels(db, project_id)
    assert_names_a_cycle(caught.value.cycle, g)
    assert set(caught.value.cycle) == {"C", "D", "E"}
    assert str(caught.value).startswith("dependency cycle: ")
    assert await unchecked_levels(db, project_id) == {"A": 0, "B": 1, "H": 0}


async def test_two_task_cycle(db: Database) -> None:
    project_id = await store(db, graph("A", "B", hard="A>B B>A"))
    with pytest.raises(DependencyCycleError) as caught:
        await sql_levels(db, project_id)
    assert caught.value.cycle in (["A", "B", "A"], ["B", "A", "B"])


# -- the plan the recursive CTE relies on -------------------------------------------------------

SHAPES = {
    # name: (tasks, dependencies per task): each task depends on the `per` tasks before it
    "chain": (300, 1),
    "dense": (2000, 16),
    "wide": (3000, 2),
}


async def load_shape(db: Database, tasks: int, per: int) -> uuid.UUID:
    project_id = uuid.uuid4()
    async with db.connection() as conn:
        await conn.raw.execute(
            "INSERT INTO projects (id, name) VALUES (%s, %s)", (project_id, str(project_id))
        )
        await conn.raw.execute(
            "INSERT INTO tasks (project_id, key) SELECT %s, 'T' || n FROM generate_series(1, %s) n",
            (project_id, tasks),
        )
        await conn.raw.execute(
            "INSERT INTO task_dependencies (task_id, depends_on_task_id)"
            " SELECT t.id, p.id FROM tasks t JOIN tasks p ON p.project_id = t.project_id"
            " AND p.id BETWEEN t.id - %s AND t.id - 1 WHERE t.project_id = %s",
            (per, project_id),
        )
        await conn.raw.execute("ANALYZE")
    return project_id


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def child(plan: dict[str, Any], relationship: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [c for c in plan["Plans"] if c["Parent Relationship"] == relationship]
    assert len(found) == 1
    return found[0]


async def plan_of_levels_cte(
    db: Database, project_id: uuid.UUID, *, mode: str, analyze: bool
) -> dict[str, Any]:
    """The plan of the CTE in execplan_task_levels_unchecked_v1, planned under the function's own
    settings with the project id as a parameter, as PostgreSQL plans the function's statement."""
    async with db.connection() as conn:
        cur = await conn.raw.execute(
            "SELECT prosrc, proconfig FROM pg_proc WHERE proname = 'execplan_task_levels_unchecked_v1'"
        )
        function = await cur.fetchone()
        assert function is not None
        # the body is the migration's own text, read back from the catalog
        body = cast(LiteralString, function["prosrc"].strip().rstrip(";").replace("p_project_id", "$1"))
        options = pgsql.SQL("FORMAT JSON, ANALYZE, TIMING OFF" if analyze else "FORMAT JSON")
        async with conn.raw.transaction():
            for setting in [*function["proconfig"], f"plan_cache_mode={mode}"]:
                name, value = setting.split("=", 1)
                await conn.raw.execute("SELECT set_config(%s, %s, true)", (name, value))
            await conn.raw.execute(pgsql.SQL("PREPARE levels_cte(uuid) AS {}").format(pgsql.SQL(body)))
            try:
                cur = await conn.raw.execute(
                    pgsql.SQL("EXPLAIN ({}) EXECUTE levels_cte({})").format(
                        options, pgsql.Literal(project_id)
                    )
                )
                row = await cur.fetchone()
            finally:
                await conn.raw.execute("DEALLOCATE levels_cte")
    assert row is not None
    plan: dict[str, Any] = row["QUERY PLAN"][0]["Plan"]
    return plan


@pytest.mark.parametrize("mode", ["force_generic_plan", "force_custom_plan"])
@pytest.mark.parametrize("shape", sorted(SHAPES))
async def test_each_round_probes_one_hash_table_of_the_graph(db: Database, shape: str, mode: str) -> None:
    project_id = await load_shape(db, *SHAPES[shape])
    plan = await plan_of_levels_cte(db, project_id, mode=mode, analyze=True)
    (union,) = [node for node in nodes(plan) if node["Node Type"] == "Recursive Union"]
    each_round = child(union, "Inner")
    joins = [n for n in nodes(each_round) if "Join" in n["Node Type"] or n["Node Type"] == "Nested Loop"]
    kinds = [(j["Node Type"], j["Join Type"]) for j in joins]
    assert kinds == [("Nested Loop", "Inner"), ("Hash Join", "Inner")]
    (round_row, join) = joins
    # a round is one row (its frontier and waiting tasks as arrays), taken with what it computes ...
    assert child(round_row, "Outer")["Node Type"] == "WorkTable Scan"
    # ... and merged without sorting or windows
    assert not {n["Node Type"] for n in nodes(each_round)} & {"Sort", "Incremental Sort", "WindowAgg"}
    # the frontier's tasks, unnested from the round's row, probe ...
    assert child(join, "Outer")["Node Type"] == "ProjectSet"
    # ... a hash table of the graph, built once: not rebuilt (nor the graph re-read) per round
    hashed = child(join, "Inner")
    assert hashed["Node Type"] == "Hash"
    hashed_input = [(n["Node Type"], n.get("CTE Name")) for n in nodes(child(hashed, "Outer"))]
    assert hashed_input == [("CTE Scan", "graph")]
    assert hashed["Actual Loops"] == 1
    assert join["Actual Loops"] > 1  # the rounds did run
