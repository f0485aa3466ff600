"""Each format read as its documentation says: tasks, epics, dependencies, done tasks and hints.

The task lists are files written by the tests (tests/format_fixtures.py) in temporary folders,
read through `planner.formats.load_tasks`, the CLI's loader, and checked by the one validator.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from planner.core.errors import InvalidInputError, TaskFileError
from planner.formats import detect, load_tasks
from planner.formats.validate import TaskEntry, TaskFile
from tests.format_fixtures import (
    BEADS,
    SPECKIT,
    TASKMASTER,
    shop_repo,
    write,
    write_beads,
    write_ccpm,
    write_taskmaster,
)


def by_key(spec: TaskFile) -> dict[str, TaskEntry]:
    return {t.key: t for t in spec.tasks}


def problems(error: pytest.ExceptionInfo[TaskFileError]) -> list[str]:
    return [str(p) for p in error.value.problems]


# -- claude-task-master -----------------------------------------------------------------------------


def test_taskmaster_top_level_tasks_with_their_subtasks_text(tmp_path: Path) -> None:
    repo = shop_repo(tmp_path / "shop")
    loaded = load_tasks(write_taskmaster(repo))
    spec, tasks = loaded.spec, by_key(loaded.spec)
    assert loaded.format == "taskmaster" and (spec.name, spec.repo_path) == ("shop", str(repo.resolve()))
    assert list(tasks) == ["1", "2", "3", "4", "5"] and spec.epics == ()
    # a dependency on a subtask ("1.2") or from a subtask to another task's ("3.1") is one on the task
    assert {k: t.depends_on for k, t in tasks.items()} == {"1": (), "2": ("1", "3"), "3": ("1",), "4": ("2",),
                                                           "5": ()}  # fmt: skip
    assert {k for k, t in tasks.items() if t.done} == {"1", "4"}  # done and cancelled; review is not
    assert {k: t.priority for k, t in tasks.items()} == {"1": 1, "2": 2, "3": 3, "4": 0, "5": 2}
    orders = tasks["2"]
    assert orders.metadata["title"] == "Orders endpoint"
    assert "api/routes.py" in orders.description and "api/schemas.py" in orders.description
    assert "models/order.py" not in orders.description  # a done subtask's files are changed already
    assert "Test strategy: Call /health in tests/test_app.py" in tasks["1"].description
    assert orders.metadata["origin"] == {
        "format": "taskmaster",
        "tag": "master",
        "id": 2,
        "status": "pending",
    }


def test_taskmaster_tags_legacy_file_and_its_problems(tmp_path: Path) -> None:
    repo = shop_repo(tmp_path / "shop")
    tagged = load_tasks(write_taskmaster(repo), tag="feature-x").spec
    assert tagged.name == "shop-feature-x" and [t.key for t in tagged.tasks] == ["1"]
    first_and_third = [TASKMASTER["master"]["tasks"][n] for n in (0, 2)]
    legacy = write(tmp_path / "legacy.json", json.dumps({"tasks": first_and_third}))
    assert detect(legacy) == "taskmaster"
    assert [t.key for t in load_tasks(legacy, project="old").spec.tasks] == ["1", "3"]
    with pytest.raises(InvalidInputError, match="no tag 'nope' \\(tags: feature-x, master\\)"):
        load_tasks(write_taskmaster(repo), tag="nope")
    two = write(tmp_path / "two.json", json.dumps({"a": {"tasks": []}, "b": {"tasks": []}}))
    with pytest.raises(InvalidInputError, match="tags a, b: choose one with --tag"):
        load_tasks(two)
    bad: dict[str, Any] = {"tasks": [
        {"id": 1, "title": "A", "dependencies": [2], "priority": "urgent"},
        {"id": 2, "title": "B", "dependencies": [], "subtasks": [{"id": 1, "dependencies": ["1.1"]}]},
        {"id": 3, "title": "C", "dependencies": [9]},
    ]}  # fmt: skip
    path = write(tmp_path / "bad.json", json.dumps(bad))
    with pytest.raises(TaskFileError) as caught:
        load_tasks(path, project="p")
    assert problems(caught) == [
        f"{path} (task 1): priority: must be critical, high, medium or low, not 'urgent'",
        f"{path} (task 3): task '3'.depends_on: unknown task '9'",
        f"{path}: dependency cycle: 1 -> 2 -> 1",
    ]


# -- spec-kit ----------------------------------------------------------------------------------------


def test_speckit_phases_stories_and_what_the_file_says(tmp_path: Path) -> None:
    repo = shop_repo(tmp_path / "shop")
    path = write(repo / "specs" / "001-checkout" / "tasks.md", SPECKIT)
    loaded = load_tasks(path)
    spec, tasks = loaded.spec, by_key(loaded.spec)
    assert (loaded.format, spec.name, spec.repo_path) == ("speckit", "Shop checkout", str(repo.resolve()))
    assert list(tasks) == [f"T{n:03}" for n in range(1, 11)]  # not the example in a code block
    assert spec.epics == (
        {"key": "US1", "name": "User Story 1 - Place an order",
         "description": "A customer can place an order", "priority": 1},
        {"key": "US2", "name": "User Story 2 - Pay", "description": "", "priority": 2},
        {"key": "US3", "name": "User Story 3 - Receipts", "description": "", "priority": 3},
    )  # fmt: skip
    assert {k: t.epic for k, t in tasks.items() if t.epic} == {
        "T005": "US1", "T006": "US1", "T007": "US2", "T008": "US2", "T009": "US3",
    }  # fmt: skip
    depends = {k: set(t.depends_on) for k, t in tasks.items()}
    assert depends["T001"] == depends["T002"] == set()
    assert depends["T003"] == {"T001", "T002", "T004"}  # the phase before, and `T004 blocks T003`
    assert depends["T005"] == {"T003", "T004"}  # stories follow Foundational...
    assert depends["T009"] == {"T003", "T004"}  # ...side by side: "may integrate with US1" orders nothing
    assert depends["T006"] == {"T003", "T004", "T005"}  # `(depends on T005)` in its line
    assert depends["T007"] == depends["T008"] == {"T005", "T006"}  # "US2 depends on User Story 1"
    assert depends["T010"] == {f"T{n:03}" for n in range(3, 10)}  # Polish: every story, Foundational
    assert {k for k, t in tasks.items() if t.done} == {"T001"}
    assert {k for k, t in tasks.items() if t.metadata["parallel"]} == {"T002", "T004", "T005", "T007", "T010"}
    assert "check stock in src/services/stock.py" in tasks["T006"].description
    line = SPECKIT.splitlines().index(
        "- [ ] T006 [US1] Implement OrderService in src/services/orders.py (depends on T005)"
    )
    assert tasks["T006"].metadata["origin"]["where"] == f"tasks.md:{line + 1}"


def test_speckit_finished_phase_passes_on_its_predecessors(tmp_path: Path) -> None:
    text = SPECKIT.replace("- [ ] T003", "- [x] T003").replace("- [ ] T004", "- [X] T004")
    tasks = by_key(load_tasks(write(tmp_path / "tasks.md", text), project="p").spec)
    assert set(tasks["T005"].depends_on) == {"T001", "T002", "T003", "T004"}
    plain = (
        "# Tasks: Plain\n\n## Phase 1: One\n- [ ] T1 a.py\n- [ ] T2 b.py\n## Phase 2: Two\n- [ ] T3 c.py\n"
    )
    tasks = by_key(load_tasks(write(tmp_path / "plain" / "tasks.md", plain)).spec)
    assert tasks["T3"].depends_on == ("T1", "T2")
    assert all("parallel" not in t.metadata for t in tasks.values())  # no [P] anywhere: no hint


def test_speckit_problems_name_the_line(tmp_path: Path) -> None:
    text = "# Tasks: Bad\n\n## Phase 1: Setup\n- [ ] T001 a.py\n- [ ] Create b.py\n- [ ] T001 c.py\n"
    path = write(tmp_path / "tasks.md", text)
    with pytest.raises(TaskFileError) as caught:
        load_tasks(path)
    assert problems(caught) == [
        f"{path}:5: a task line needs an ID after its checkbox (`- [ ] T001 ...`)",
        f"{path}:6: task 'T001': duplicate key",
    ]


# -- ccpm ------------------------------------------------------------------------------------------


def test_ccpm_epics_folder_from_the_root(tmp_path: Path) -> None:
    repo = write_ccpm(shop_repo(tmp_path / "shop"))
    for path in (repo, repo / ".claude" / "epics"):
        loaded = load_tasks(path)
        spec, tasks = loaded.spec, by_key(loaded.spec)
        assert (loaded.format, spec.name, spec.repo_path) == ("ccpm", "shop", str(repo.resolve()))
        assert [e["key"] for e in spec.epics] == ["checkout", "payments"]  # archived/ left out
        assert spec.epics[0]["description"].startswith("# Epic: checkout")
        assert list(tasks) == ["10", "11", "12", "20"]
        # `010` is 10 (not octal 8), `001` the epic's first file (before sync), 11 the other epic's
        assert {k: t.depends_on for k, t in tasks.items()} == {"10": (), "11": ("10",), "12": ("10",),
                                                               "20": ("11",)}  # fmt: skip
        assert {k: t.epic for k, t in tasks.items()} == {"10": "checkout", "11": "checkout", "12": "checkout",
                                                         "20": "payments"}  # fmt: skip
        assert {k for k, t in tasks.items() if t.done} == {"10"}
        hints = {k: (t.metadata.get("conflicts_with"), t.metadata.get("parallel")) for k, t in tasks.items()}
        assert hints == {"10": (["12"], True), "11": (None, False), "12": (["10"], True), "20": (None, True)}
        assert tasks["11"].metadata["title"] == "Order API"
        assert "## Analysis" in tasks["11"].description and "api/routes.py" in tasks["11"].description
        assert tasks["20"].metadata["origin"]["github"] == "https://github.com/acme/shop/issues/20"


def test_ccpm_one_epic_and_unsynced_epics(tmp_path: Path) -> None:
    repo = write_ccpm(shop_repo(tmp_path / "shop"))
    checkout = load_tasks(repo / ".claude" / "epics" / "checkout").spec
    assert checkout.name == "checkout" and [t.key for t in checkout.tasks] == ["10", "11", "12"]
    with pytest.raises(TaskFileError) as caught:  # 20.md depends on 11, not in this import
        load_tasks(repo / ".claude" / "epics" / "payments")
    assert problems(caught) == [
        f"{repo.resolve()}/.claude/epics/payments/20.md: task '20'.depends_on: unknown task '11'"
    ]
    task = "---\nname: {0}\nstatus: open\ndepends_on: {1}\n---\n{0}\n"
    epics = tmp_path / "fresh" / ".claude" / "epics"
    for epic in ("a", "b"):
        write(epics / epic / "001.md", task.format(f"{epic} one", "[]"))
        write(epics / epic / "002.md", task.format(f"{epic} two", "[001]"))
    tasks = by_key(load_tasks(tmp_path / "fresh").spec)
    assert {k: t.depends_on for k, t in tasks.items()} == {"a/001": (), "a/002": ("a/001",), "b/001": (),
                                                           "b/002": ("b/001",)}  # fmt: skip


def test_ccpm_problems_name_the_file(tmp_path: Path) -> None:
    epic = tmp_path / "repo" / ".claude" / "epics" / "e"
    write(epic / "1.md", "# no front matter\n")
    write(epic / "2.md", "---\nname: [unclosed\n---\nbody\n")
    write(epic / "3.md", "---\nname: three\nparallel: maybe\nconflicts_with: [7]\n---\nbody\n")
    with pytest.raises(TaskFileError) as caught:
        load_tasks(tmp_path / "repo", project="p")
    found = problems(caught)
    assert found[0] == f"{epic}/1.md: no front matter (a --- block with name, status, depends_on)"
    assert found[1].startswith(f"{epic}/2.md: front matter is not valid YAML: ") and "line" in found[1]
    assert found[2:] == [f"{epic}/3.md: parallel: must be true or false, not 'maybe'",
                         f"{epic}/3.md: task '3'.conflicts_with: unknown task '7'"]  # fmt: skip
    with pytest.raises(InvalidInputError, match="no ccpm epics"):
        load_tasks(tmp_path / "repo" / ".claude")


# -- beads -------------------------------------------------------------------------------------------


def test_beads_epics_blocks_and_parents(tmp_path: Path) -> None:
    repo = shop_repo(tmp_path / "shop")
    loaded = load_tasks(write_beads(repo))
    spec, tasks = loaded.spec, by_key(loaded.spec)
    assert (loaded.format, spec.name, spec.repo_path) == ("beads", "shop", str(repo.resolve()))
    epics = [(e["key"], e["name"], e["priority"]) for e in spec.epics]
    assert epics == [("bd-1", "Checkout", 1), ("bd-6", "Payments", 2)]
    assert list(tasks) == ["bd-2", "bd-3", "bd-3.1", "bd-4", "bd-7"]  # the message is not work
    assert {k: t.epic for k, t in tasks.items()} == {"bd-2": "bd-1", "bd-3": "bd-1", "bd-3.1": "bd-1",
                                                     "bd-4": None, "bd-7": "bd-6"}  # fmt: skip
    # only `blocks` orders; what blocks a parent blocks its children; an epic stands for its tasks;
    # the orphaned bd-gone is left out
    assert {k: set(t.depends_on) for k, t in tasks.items()} == {
        "bd-2": set(), "bd-3": {"bd-2"}, "bd-3.1": {"bd-2"}, "bd-4": {"bd-2", "bd-3", "bd-3.1"},
        "bd-7": {"bd-2", "bd-3", "bd-3.1"},
    }  # fmt: skip
    assert {k for k, t in tasks.items() if t.done} == {"bd-2"}
    assert (tasks["bd-3"].priority, tasks["bd-3"].metadata["estimated_minutes"]) == (0, 45)
    model = tasks["bd-2"]
    assert model.metadata["title"] == "Order model"
    text = (
        "models/order.py\n\n## Design\na dataclass\n\n## Acceptance criteria\ntests pass\n\n## Notes\n"
        "see bd-3"
    )
    assert model.description == text
    assert model.metadata["origin"] == {"format": "beads", "where": "issues.jsonl:2", "status": "closed",
                                        "issue_type": "task"}  # fmt: skip


def test_beads_problems_name_the_line(tmp_path: Path) -> None:
    lines = [json.dumps(BEADS[0]), "{not json", json.dumps({"title": "no id"}),
             json.dumps({"id": "bd-9", "title": "x", "priority": "high", "issue_type": "task"})]  # fmt: skip
    path = write(tmp_path / "issues.jsonl", "\n".join(lines) + "\n")
    with pytest.raises(TaskFileError) as caught:
        load_tasks(path, project="p")
    assert problems(caught) == [
        f"{path}:2: not valid JSON: Expecting property name enclosed in double quotes (column 2)",
        f"{path}:3: expected an issue object with an id",
        f"{path}:4: task 'bd-9'.priority: expected int, got str",
    ]


# -- detection, names, repositories -----------------------------------------------------------------


def test_detection_and_a_named_format(tmp_path: Path) -> None:
    native = write(tmp_path / "plan.json", json.dumps({"project": {"name": "p"}, "tasks": [{"key": "T1"}]}))
    keyed = write(tmp_path / "keyed.json", json.dumps({"tasks": [{"key": "T1"}]}))
    spec_kit = write(tmp_path / "plan.txt", SPECKIT)
    yml = write(tmp_path / "t.yml", "")
    assert [detect(p) for p in (native, keyed, write_taskmaster(tmp_path), yml)] == [
        "native", "native", "taskmaster", "native",
    ]  # fmt: skip
    assert (detect(write(tmp_path / "x.md", "")), detect(write_beads(tmp_path)), detect(tmp_path)) == (
        "speckit", "beads", "ccpm",
    )  # fmt: skip
    with pytest.raises(InvalidInputError, match=r"cannot tell its format.*--format native\|taskmaster"):
        load_tasks(spec_kit)
    assert load_tasks(spec_kit, "speckit").format == "speckit"
    with pytest.raises(TaskFileError, match="missing key 'project'"):
        load_tasks(keyed)  # a tasks file without its project is not taken for task-master
    with pytest.raises(InvalidInputError, match="no such file or folder"):
        load_tasks(tmp_path / "missing.json")
    with pytest.raises(InvalidInputError, match="--tag is for task-master files"):
        load_tasks(native, tag="x")


def test_project_name_and_repository_options(tmp_path: Path) -> None:
    repo = shop_repo(tmp_path / "shop")
    other = shop_repo(tmp_path / "other")
    path = write(repo / "specs" / "x" / "tasks.md", SPECKIT)
    spec = load_tasks(path, project="mine", repo=other).spec
    assert (spec.name, spec.repo_path) == ("mine", str(other.resolve()))
    untitled = write(
        tmp_path / "loose" / "002-pay" / "tasks.md", SPECKIT.replace("# Tasks: Shop checkout\n", "")
    )
    assert (load_tasks(untitled).spec.name, load_tasks(untitled).spec.repo_path) == ("002-pay", None)
    native = write(repo / "plan.yaml", "project: {name: shop}\ntasks: [{key: T1}]\n")
    assert load_tasks(native).spec.repo_path == str(repo.resolve())  # the git top of the file's folder
    with pytest.raises(InvalidInputError, match="is not a git repository"):
        load_tasks(native, repo=tmp_path / "loose")
