"""Tasks files: validated whole before anything is written; re-imports update by key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from planner.database import Database
from planner.errors import DependencyCycleError, InvalidInputError
from planner.importer import import_task_file, load_task_file, parse_task_file


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
        ({"tasks": [{"key": "T1", "epic": "E9"}]}, "task 'T1': unknown epic 'E9'"),
        ({"tasks": [{"key": "T1", "depends_on": ["T7"]}]}, "task 'T1': depends on unknown task 'T7'"),
        ({"tasks": [{"key": "T1"}, {"key": "T1"}]}, "task 'T1': duplicate key"),
        ({"epics": [{"key": "E1", "name": "a"}, {"key": "E1", "name": "b"}]}, "epic 'E1': duplicate key"),
        ({"tasks": [{"key": "T1", "depends_on": ["T1"]}]}, "task 'T1': depends on itself"),
        ({"tasks": [{"key": "T1", "colour": "red"}]}, "tasks[0]: unknown key 'colour'"),
        ({"tasks": [{"description": "no key"}]}, "tasks[0]: missing key 'key'"),
        ({"owner": "me"}, "tasks file: unknown key 'owner'"),
        ({"tasks": [{"key": "T1", "dependency_type": "weak"}]}, "must be 'hard' or 'soft'"),
        ({"tasks": [{"key": "T1", "estimated_minutes": -5}]}, "estimated_minutes: must be positive"),
        ({"tasks": [{"key": "T1", "priority": "high"}]}, "task 'T1'.priority: expected int"),
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
    with pytest.raises(DependencyCycleError) as caught:
        parse_task_file(spec(repo, tasks=tasks), repo)
    cycle = caught.value.cycle
    assert cycle[0] == cycle[-1] and set(cycle) == {"T3", "T7", "T9"}
    depends: dict[str, set[str]] = {str(t["key"]): set(t.get("depends_on", [])) for t in tasks}
    assert all(cycle[n + 1] in depends[cycle[n]] for n in range(len(cycle) - 1))  # each depends on the next
    assert str(caught.value).startswith("dependency cycle: ")


def test_soft_cycle_is_allowed(repo: Path) -> None:
    tasks = [{"key": "A", "depends_on": ["B"], "dependency_type": "soft"}, {"key": "B", "depends_on": ["A"]}]
    assert len(parse_task_file(spec(repo, tasks=tasks), repo).tasks) == 2


def test_repo_path_must_be_a_git_repository(tmp_path: Path, repo: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(InvalidInputError, match="is not a git repository"):
        parse_task_file(spec(plain), tmp_path)
    with pytest.raises(InvalidInputError, match="is not a directory"):
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


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="cannot read"):
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
