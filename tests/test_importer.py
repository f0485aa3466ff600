"""Native tasks files and the one validator: every problem at once, each with its key; nothing written
until the whole file is right; re-imports update by key; the hints a file declares reach the planner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema_rs  # schemathesis's JSON Schema validator
import pytest
from psycopg.types.json import Jsonb

from planner.core.errors import InvalidInputError, TaskFileError
from planner.formats.schema import json_schema
from planner.storage.database import Database
from planner.storage.importer import import_task_file, load_task_file, parse_task_file
from planner.storage.plans import get_tasks_for_planning


def spec(repo: Path | None = None, **changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "project": {"name": "shop", **({"repo_path": str(repo)} if repo else {})},
        "epics": [{"key": "E1", "name": "API"}, {"key": "E2", "name": "Web", "priority": 2}],
        "tasks": [
            {"key": "T1", "epic": "E1", "description": "Add POST /orders in api/orders.py"},
            {"key": "T2", "epic": "E1", "description": "Tests", "depends_on": ["T1"]},
            {"key": "T3", "epic": "E2", "description": "Page", "depends_on": ["T1"],
             "dependency_type": "soft", "estimated_minutes": 45},
        ],
    }  # fmt: skip
    doc.update(changes)
    return doc


async def counts(db: Database) -> tuple[int, int, int, int]:
    async with db.connection() as conn:
        cur = await conn.raw.execute(
            "SELECT (SELECT count(*) FROM projects) AS p, (SELECT count(*) FROM epics) AS e,"
            " (SELECT count(*) FROM tasks) AS t, (SELECT count(*) FROM task_dependencies) AS d"
        )
        row = await cur.fetchone()
    assert row is not None
    return row["p"], row["e"], row["t"], row["d"]


async def test_import_writes_project_epics_tasks_dependencies(db: Database, repo: Path) -> None:
    project_id = await import_task_file(db, parse_task_file(spec(repo), repo))
    assert await counts(db) == (1, 2, 3, 2)
    tasks = {row["key"]: row for row in await db.fetch_all("tasks_of_project", {"project_id": project_id})}
    assert tasks["T3"]["metadata"] == {"estimated_minutes": 45}
    levels = {
        row["task_id"]: row["level"] for row in await db.fetch_all("task_levels", {"project_id": project_id})
    }
    # soft dependencies do not order: T3 is level 0 beside T1, T2 is level 1
    assert levels == {tasks["T1"]["id"]: 0, tasks["T2"]["id"]: 1, tasks["T3"]["id"]: 0}


async def test_reimport_updates_by_key_and_removes_what_is_gone(db: Database, repo: Path) -> None:
    project_id = await import_task_file(db, parse_task_file(spec(repo), repo))
    before = {
        row["key"]: row["id"] for row in await db.fetch_all("tasks_of_project", {"project_id": project_id})
    }
    changed = spec(repo)
    changed["tasks"] = [
        {"key": "T1", "epic": "E2", "description": "Changed"},
        {"key": "T4", "epic": "E2", "description": "New", "depends_on": ["T1"]},
    ]
    changed["epics"] = [{"key": "E2", "name": "Web"}]
    again = await import_task_file(db, parse_task_file(changed, repo))
    assert again == project_id
    after = {row["key"]: row for row in await db.fetch_all("tasks_of_project", {"project_id": project_id})}
    assert set(after) == {"T1", "T4"}
    assert after["T1"]["id"] == before["T1"]  # ids are kept
    assert after["T1"]["description"] == "Changed"
    assert await counts(db) == (1, 1, 2, 1)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tasks": [{"key": "T1", "epic": "E9"}]}, "task 'T1'.epic: unknown epic 'E9'"),
        ({"tasks": [{"key": "T1", "depends_on": ["T7"]}]}, "task 'T1'.depends_on: unknown task 'T7'"),
        ({"tasks": [{"key": "T1"}, {"key": "T1"}]}, "task 'T1': duplicate key"),
        ({"epics": [{"key": "E1", "name": "a"}, {"key": "E1", "name": "b"}]}, "epic 'E1': duplicate key"),
        ({"tasks": [{"key": "T1", "depends_on": ["T1"]}]}, "task 'T1'.depends_on: depends on itself"),
        ({"tasks": [{"key": "T1", "colour": "red"}]}, "task 'T1': unknown key 'colour'"),
        ({"tasks": [{"description": "no key"}]}, "tasks[0]: missing key 'key'"),
        ({"owner": "me"}, "tasks file: unknown key 'owner'"),
        ({"tasks": [{"key": "T1", "dependency_type": "weak"}]}, "dependency_type: must be 'hard' or 'soft'"),
        (
            {"tasks": [{"key": "T1", "estimated_minutes": -5}]},
            "task 'T1'.estimated_minutes: must be positive",
        ),
        ({"tasks": [{"key": "T1", "priority": "high"}]}, "task 'T1'.priority: expected int"),
        ({"tasks": [{"key": "T1", "conflicts_with": ["T9"]}]}, "task 'T1'.conflicts_with: unknown task 'T9'"),
        ({"tasks": [{"key": "T1", "parallel": "yes"}]}, "task 'T1'.parallel: expected bool, got str"),
        ({"tasks": [{"key": " "}]}, "tasks[0].key: a key must be a non-empty string or a whole number"),
        ({"tasks": [{"key": "T1", "depends_on": "T2"}]}, "task 'T1'.depends_on: expected list, got str"),
        ({"tasks": [7]}, "tasks[0]: expected an object, got int"),
    ],
)
async def test_bad_input_names_the_key_and_writes_nothing(
    db: Database, repo: Path, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_task_file(spec(repo, **change), repo)
    assert message in str(caught.value)
    assert await counts(db) == (0, 0, 0, 0)


def test_cycle_names_the_tasks_on_it(repo: Path) -> None:
    tasks: list[dict[str, Any]] = [
        {"key": "T1"},
        {"key": "T3", "depends_on": ["T7"]},
        {"key": "T7", "depends_on": ["T9"]},
        {"key": "T9", "depends_on": ["T3", "T1"]},
    ]
    with pytest.raises(TaskFileError) as caught:
        parse_task_file(spec(repo, tasks=tasks), repo)
    [problem] = caught.value.problems
    assert problem.message.startswith("dependency cycle: ")
    cycle = problem.message.removeprefix("dependency cycle: ").split(" -> ")
    assert cycle[0] == cycle[-1] and set(cycle) == {"T3", "T7", "T9"}
    depends: dict[str, set[str]] = {str(t["key"]): set(t.get("depends_on", [])) for t in tasks}
    assert all(cycle[n + 1] in depends[cycle[n]] for n in range(len(cycle) - 1))  # each depends on the next


def test_every_problem_is_reported_at_once_in_file_order(repo: Path) -> None:
    tasks: list[dict[str, Any]] = [
        {"key": "T1", "depends_on": ["T5"]},
        {"key": "T2", "depends_on": ["T9"], "epic": "E7"},
        {"key": "T3", "depends_on": ["T1"]},
        {"key": "T4", "estimated_minutes": -5, "colour": "red"},
        {"key": "T5", "depends_on": ["T3"]},
        {"key": "T6", "depends_on": ["T7"]},
        {"key": "T7", "depends_on": ["T6"], "conflicts_with": ["T7", "T8"]},
        {"key": "T2"},
    ]
    with pytest.raises(TaskFileError) as caught:
        parse_task_file(spec(repo, tasks=tasks, epics=[{"key": "E1", "name": 3}]), repo)
    messages = [p.message for p in caught.value.problems]
    assert messages[:-2] == [
        "epic 'E1'.name: expected str, got int",
        "task 'T2'.epic: unknown epic 'E7'",
        "task 'T2'.depends_on: unknown task 'T9'",
        "task 'T4'.estimated_minutes: must be positive, not -5",
        "task 'T4': unknown key 'colour'",
        "task 'T7'.conflicts_with: conflicts with itself",
        "task 'T7'.conflicts_with: unknown task 'T8'",
        "task 'T2': duplicate key",
    ]
    # one cycle per group of tasks that depend on each other, each naming the tasks on it
    cycles = sorted(m for m in messages[-2:])
    assert cycles == ["dependency cycle: T1 -> T5 -> T3 -> T1", "dependency cycle: T6 -> T7 -> T6"]
    assert caught.value.problems[4].loc == ("tasks", 3, "colour")
    assert str(caught.value).count("; ") == len(messages) - 1  # one line for a log, problems apart


def test_problems_of_a_file_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "tasks.yaml"
    path.write_text(
        "project: {name: shop}\ntasks:\n  - {key: T1, depends_on: [T2]}\n  - {key: T3, priority: x}\n"
    )
    with pytest.raises(TaskFileError) as caught:
        load_task_file(path)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}: task 'T1'.depends_on: unknown task 'T2'",
        f"{path}: task 'T3'.priority: expected int, got str",
    ]


def test_soft_cycle_is_allowed(repo: Path) -> None:
    tasks = [{"key": "A", "depends_on": ["B"], "dependency_type": "soft"}, {"key": "B", "depends_on": ["A"]}]
    assert len(parse_task_file(spec(repo, tasks=tasks), repo).tasks) == 2


def test_repo_path_must_be_a_git_repository(tmp_path: Path, repo: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(InvalidInputError, match="is not a git repository"):
        parse_task_file(spec(plain), tmp_path)
    with pytest.raises(InvalidInputError, match="missing does not exist"):
        parse_task_file(spec(tmp_path / "missing"), tmp_path)
    with pytest.raises(InvalidInputError, match="inside the git repository"):
        parse_task_file(spec(repo / "api"), tmp_path)


def test_relative_repo_path_is_resolved_from_the_file(tmp_path: Path, repo: Path) -> None:
    path = repo.parent / "tasks.yaml"
    doc = spec()
    doc["project"]["repo_path"] = repo.name
    import yaml

    path.write_text(yaml.safe_dump(doc))
    assert load_task_file(path).repo_path == str(repo.resolve())


def test_metadata_must_be_json(tmp_path: Path) -> None:
    path = tmp_path / "tasks.yaml"
    path.write_text("project: {name: shop}\ntasks:\n  - {key: T1, metadata: {when: 2026-01-01}}\n")
    with pytest.raises(TaskFileError, match=r"task 'T1'\.metadata\.when: "):
        load_task_file(path)


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match=r"nope\.json: cannot read"):
        load_task_file(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"project": ')
    with pytest.raises(InvalidInputError, match="not valid JSON"):
        load_task_file(bad)
    worse = tmp_path / "bad.yaml"
    worse.write_text("project: [unclosed")
    with pytest.raises(InvalidInputError, match="not valid YAML"):
        load_task_file(worse)
    json_list = tmp_path / "list.json"
    json_list.write_text(json.dumps([1, 2]))
    with pytest.raises(InvalidInputError, match="tasks file: expected an object"):
        load_task_file(json_list)


async def test_title_and_hints_are_stored_and_read_for_planning(db: Database, repo: Path) -> None:
    doc = spec(repo)
    doc["tasks"][0].update(title="Orders endpoint", conflicts_with=["T2", "T2"], parallel=False)
    doc["tasks"][1].update(parallel=True, metadata={"team": "a"})
    project_id = await import_task_file(db, parse_task_file(doc, repo))
    rows = {r["key"]: r for r in await db.fetch_all("tasks_of_project", {"project_id": project_id})}
    assert rows["T1"]["metadata"] == {"title": "Orders endpoint", "conflicts_with": ["T2"], "parallel": False}
    assert rows["T2"]["metadata"] == {"team": "a", "parallel": True}
    planning = {t.key: t for t in await get_tasks_for_planning(db, project_id)}
    assert (planning["T1"].title, planning["T1"].conflicts_with, planning["T1"].parallel) == (
        "Orders endpoint", ("T2",), False,
    )  # fmt: skip
    assert planning["T1"].text.startswith("Orders endpoint\nAdd POST /orders")
    assert (planning["T2"].conflicts_with, planning["T2"].parallel) == ((), True)
    assert planning["T3"].parallel is None

    # a re-import without the hints removes them; what the planner stored is kept
    await db.execute(
        "tasks_store_predicted_files",
        {"project_id": project_id, "tasks": Jsonb([{"id": rows["T1"]["id"], "predicted_files": []}])},
    )
    await import_task_file(db, parse_task_file(spec(repo), repo))
    after = {r["key"]: r for r in await db.fetch_all("tasks_of_project", {"project_id": project_id})}
    assert after["T1"]["metadata"] == {"predicted_files": []}
    assert after["T2"]["metadata"] == {"team": "a"}  # the file's own metadata is merged, as before


def test_json_schema_describes_the_file() -> None:
    schema = json_schema()
    assert schema["$schema"].endswith("2020-12/schema") and schema["title"] == "execplan tasks file"
    assert schema["required"] == ["project", "tasks"] and schema["additionalProperties"] is False
    task = schema["$defs"]["TaskSpec"]
    assert {"key", "title", "conflicts_with", "parallel", "depends_on"} <= set(task["properties"])
    assert task["required"] == ["key"] and task["additionalProperties"] is False
    validator = jsonschema_rs.validator_for(schema)
    assert validator.is_valid(spec())
    assert not validator.is_valid({"project": {"name": "x"}, "tasks": [{"key": "T1", "size": 3}]})
    assert not validator.is_valid({"project": {"name": "x"}, "tasks": [{"key": " "}]})
