"""Hostile task lists through `execplan import`: each refused on one line naming the file and the
key (or its line), no traceback, nothing written (issue 9, items 6 and 10); and the documents the
API accepts as JSON through `PUT /api/projects`: a 422 naming the key.

Each case first imports a good file as the project `shop`, then the hostile one under the same
name, and checks that the stored project did not change. The bounds are `planner/formats/bounds.py`
(depth, integer range, NUL characters, duplicate and non-string keys), `parse.py` (aliases, nesting
the parser would not survive), `source.py` (what is read) and the schema's lengths and ranges.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.format_fixtures import write
from tests.test_api_support import api_client, tasks_doc
from tests.test_cli import run
from tests.test_cli_import import stored

GOOD = {"project": {"name": "shop"}, "tasks": [{"key": "T1", "description": "a"}, {"key": "T2"}]}
DIGITS_5000 = "9" * 5000
EPIC_58 = "E" * 58  # a long key, as a message shows it (cut)


def native(task: str = "", project: str = '"name": "shop"', tail: str = "") -> str:
    """A native JSON tasks file with `task` (raw JSON members) in its one task."""
    inner = f", {task}" if task else ""
    return f'{{"project": {{{project}}}, "tasks": [{{"key": "T1"{inner}}}]{tail}}}'


def yaml_task(lines: str) -> str:
    """A native YAML tasks file whose one task has the given (indented) lines after its key."""
    return "project: {name: shop}\ntasks:\n  - key: T1\n" + lines


def billion_laughs() -> str:
    """The 1.3 KB YAML bomb (nine aliases of nine aliases... of "lol"), in a task's metadata."""
    lines = ['      a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"      {name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    return yaml_task("    metadata:\n" + "\n".join(lines) + "\n")


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# (file name, content, what the one line says after the file's name)
CASES: list[tuple[str, str, str]] = [
    # item 6: what gave a traceback
    (
        "deep.json",
        native(f'"metadata": {{"a": {nested(100_000)}}}'),
        ": line 1, column 101: nested deeper than 32",
    ),
    (
        "deep.yaml",
        yaml_task(f"    metadata: {{a: {nested(100_000)}}}\n"),
        ": line 4, column 47: nested deeper than 32",
    ),
    (
        "deepish.json",
        native(f'"metadata": {{"a": {nested(40)}}}'),
        ": task 'T1'.metadata.a: nested deeper than 32",
    ),
    (
        "huge.json",
        native(f'"priority": {DIGITS_5000}'),
        ": task 'T1'.priority: must be at most 2147483647, not a 5000-digit number",
    ),
    (
        "huge.yaml",
        yaml_task(f"    metadata: {{n: -{DIGITS_5000}}}\n"),
        ": task 'T1'.metadata.n: must be between -9223372036854775808 and 9223372036854775807,"
        " not a 5000-digit number",
    ),
    (
        "mixed.yaml",
        yaml_task("    metadata: {1: a, b: c}\n"),
        ": task 'T1'.metadata: key 1 is not a string: quote it (line 4)",
    ),
    (
        "listkey.yaml",
        yaml_task("    metadata: {[a]: 1}\n"),
        ": task 'T1'.metadata: a sequence as a key: a key must be a string (line 4)",
    ),
    (
        "nulpath.json",
        native(project='"name": "shop", "repo_path": "/tmp/a\\u0000b"'),
        ": project.repo_path: contains a NUL character",
    ),
    (
        "longpath.json",
        native(project=f'"name": "shop", "repo_path": "/{"a" * 5000}"'),
        ": project.repo_path: must be at most 4096 characters, not 5001",
    ),
    ("laughs.yaml", billion_laughs(), ": line 6, column 14: an alias (*a) is not allowed"),
    ("dup.json", native('"depends_on": ["T1"], "depends_on": []'), ": task 'T1': duplicate key 'depends_on'"),
    (
        "dup.yaml",
        yaml_task("    description: a\n    description: b\n"),
        ": task 'T1': duplicate key 'description' (line 5)",
    ),
    ("dupproject.json", native(project='"name": "shop", "name": "other"'), ": project: duplicate key 'name'"),
    ("desc.yaml", yaml_task("    description: false\n"), ": task 'T1'.description: expected str, got bool"),
    ("deps.yaml", yaml_task("    depends_on: 0\n"), ": task 'T1'.depends_on: expected list, got int"),
    (
        "minutes.json",
        native(f'"estimated_minutes": {"9" * 4299}'),
        ": task 'T1'.estimated_minutes: must be at most 2147483647, not a 4299-digit number",
    ),
    (
        "owned.json",
        native('"metadata": {"estimated_minutes": 5}'),
        ": task 'T1'.metadata: 'estimated_minutes' is a key of the task itself, not of its metadata",
    ),
    # item 10: what PostgreSQL refused without naming the key, and YAML errors of many lines
    (
        "int4.json",
        native('"priority": 99999999999'),
        ": task 'T1'.priority: must be at most 2147483647, not 99999999999",
    ),
    (
        "int4.yaml",
        yaml_task("    priority: -99999999999\n"),
        ": task 'T1'.priority: must be at least -2147483647, not -99999999999",
    ),
    (
        "int8.json",
        native('"metadata": {"n": 99999999999999999999}'),
        ": task 'T1'.metadata.n: must be between -9223372036854775808 and 9223372036854775807,"
        " not 99999999999999999999",
    ),
    (
        "nul.json",
        native('"description": "a\\u0000b"'),
        ": task 'T1'.description: contains a NUL character (\\u0000), which PostgreSQL cannot store",
    ),
    (
        "nulmeta.json",
        native('"metadata": {"x": ["ok", "a\\u0000"]}'),
        ": task 'T1'.metadata.x[1]: contains a NUL character",
    ),
    (
        "nulkey.json",
        native('"metadata": {"a\\u0000": 1}'),
        ": task 'T1'.metadata: key 'a\\x00' contains a NUL character",
    ),
    ("nul.yaml", yaml_task('    title: "a\\0"\n'), ": task 'T1'.title: contains a NUL character"),
    (
        "rawnul.yaml",
        yaml_task("    title: a\x00\n"),
        ": not valid YAML: line 4, column 13: character #x0000 is not allowed in YAML",
    ),
    (
        "surrogate.json",
        native('"action": "\\ud800"'),
        ": task 'T1'.action: contains an unpaired surrogate (\\ud800): not valid Unicode",
    ),
    (
        "infinite.json",
        native('"metadata": {"x": 1e400}'),
        ": task 'T1'.metadata.x: must be a finite number, not inf",
    ),
    (
        "nan.json",
        native('"metadata": {"y": NaN}'),
        ": task 'T1'.metadata.y: must be a finite number, not nan",
    ),
    (
        "longkey.json",
        native(tail=f', "epics": [{{"key": "{"E" * 201}", "name": "x"}}]'),
        f": epic '{EPIC_58}\u2026.key: must be at most 200 characters, not 201",
    ),
    (
        "longname.yaml",
        yaml_task("    title: " + "n" * 501 + "\n"),
        ": task 'T1'.title: must be at most 500 characters, not 501",
    ),
    (
        "broken.yaml",
        yaml_task("   bad: [\n"),
        ": not valid YAML: line 4, column 4: expected <block end>, but found '<block mapping start>'"
        " (while parsing a block collection)",
    ),
    (
        "broken.json",
        native(tail=","),
        ": not valid JSON: line 1, column 56: Expecting property name enclosed in double quotes",
    ),
]


@pytest.fixture
def shop(
    db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> str:
    """The database, with the project `shop` imported from a good file."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    code, _, err = run(capsys, "import", str(write(tmp_path / "good.json", json.dumps(GOOD))))
    assert (code, err) == (0, "")
    return db_url


def refused(capsys: pytest.CaptureFixture[str], db_url: str, *argv: str) -> str:
    """Run `execplan import` on a bad input: the one line it prints, after checking that it is one
    line, exit code 1, and that the project `shop` is as the good file made it."""
    before = stored(db_url, "shop")
    code, out, err = run(capsys, "import", *argv)
    assert (code, out) == (1, ""), err
    assert err.count("\n") == 1 and err.startswith("execplan: error: ") and "Traceback" not in err, err
    assert stored(db_url, "shop") == before
    return err.removeprefix("execplan: error: ").rstrip("\n")


@pytest.mark.parametrize(("name", "content", "message"), CASES, ids=[c[0] for c in CASES])
def test_hostile_native_file_is_one_line_naming_the_file_and_key(
    shop: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: str, message: str
) -> None:
    path = write(tmp_path / name, content)
    line = refused(capsys, shop, str(path), "--project", "shop")
    assert line.startswith(f"{path}{message}"), line


def test_only_regular_files_of_bounded_size_are_read(
    shop: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert refused(capsys, shop, "/dev/zero", "--format", "native") == "/dev/zero: not a regular file"
    pipe = tmp_path / "pipe.json"
    os.mkfifo(pipe)  # no writer: reading it would wait for ever
    assert refused(capsys, shop, str(pipe)) == f"{pipe}: not a regular file"
    big = tmp_path / "big.json"
    with big.open("wb") as file:
        file.truncate(8 * 1024 * 1024 + 1)  # sparse: no disk is written
    assert refused(capsys, shop, str(big)) == f"{big}: larger than 8 MiB, the most a task list may be"
    folder = tmp_path / "repo" / ".claude" / "epics" / "e"
    folder.mkdir(parents=True)
    os.mkfifo(folder / "1.md")
    assert refused(capsys, shop, str(tmp_path / "repo")) == f"{folder}/1.md: not a regular file"


def taskmaster(**task: Any) -> str:
    return json.dumps({"master": {"tasks": [{"id": 1, "title": "A", **task}]}})


def beads(**issue: Any) -> str:
    return json.dumps({"id": "bd-1", "title": "A", "issue_type": "task", **issue}) + "\n"


def ccpm(front: str) -> Callable[[Path], Path]:
    def make(tmp_path: Path) -> Path:
        write(tmp_path / "repo" / ".claude" / "epics" / "e" / "1.md", f"---\n{front}\n---\nbody\n")
        return tmp_path / "repo"

    return make


# (the input, what the one line says after its file's name); the other formats are held to the
# same bounds and refuse wrong types as the native file does
OTHER_FORMATS: list[tuple[str, Callable[[Path], Path], str]] = [
    (
        "taskmaster-deps",
        lambda p: write(p / "tasks.json", taskmaster(dependencies=0)),
        " (task 1): dependencies: expected a list, got int",
    ),
    (
        "taskmaster-subtasks",
        lambda p: write(p / "tasks.json", taskmaster(subtasks=False)),
        " (task 1): subtasks: expected a list, got bool",
    ),
    (
        "taskmaster-description",
        lambda p: write(p / "tasks.json", taskmaster(description=False)),
        " (task 1): description: expected a string, got bool",
    ),
    (
        "taskmaster-status",
        lambda p: write(p / "tasks.json", taskmaster(status=["done"])),
        " (task 1): status: expected a string, got list",
    ),
    (
        "taskmaster-id",
        lambda p: write(p / "tasks.json", taskmaster(id=1.5)),
        " (task #0): id: 1.5 is not a task id",
    ),
    (
        "taskmaster-dup",
        lambda p: write(p / "tasks.json", '{"master": {"tasks": [{"id": 1, "id": 2}]}}'),
        ": master.tasks[0]: duplicate key 'id'",
    ),
    (
        "taskmaster-nul",
        lambda p: write(p / "tasks.json", taskmaster(details="\0")),
        ": master.tasks[0].details: contains a NUL character",
    ),
    (
        "taskmaster-huge",
        lambda p: write(
            p / "tasks.json", taskmaster(priority=1).replace('"priority": 1', f'"priority": {DIGITS_5000}')
        ),
        ": master.tasks[0].priority: must be between",
    ),
    (
        "beads-deps",
        lambda p: write(p / "issues.jsonl", beads(dependencies=0)),
        ":1: dependencies: expected a list, got int",
    ),
    (
        "beads-title",
        lambda p: write(p / "issues.jsonl", beads(title=False)),
        ":1: title: expected a string, got bool",
    ),
    (
        "beads-dup",
        lambda p: write(p / "issues.jsonl", '{"id": "bd-1", "id": "bd-2"}\n'),
        ":1: top level: duplicate key 'id'",
    ),
    (
        "beads-deep",
        lambda p: write(p / "issues.jsonl", '{"id": "bd-1", "x": ' + nested(100_000) + "}\n"),
        ":1: nested deeper than 32 levels (column 52)",
    ),
    (
        "beads-minutes",
        lambda p: write(p / "issues.jsonl", beads(estimated_minutes=2**40)),
        ":1: task 'bd-1'.estimated_minutes: must be at most 2147483647, not 1099511627776",
    ),
    (
        "ccpm-deps",
        ccpm("name: a\ndepends_on: false"),
        "/.claude/epics/e/1.md: depends_on: expected task numbers, got bool",
    ),
    (
        "ccpm-deps-dict",
        ccpm("name: a\ndepends_on: {a: 1}"),
        "/.claude/epics/e/1.md: depends_on: expected task numbers, got dict",
    ),
    ("ccpm-name", ccpm("name: false"), "/.claude/epics/e/1.md: name: expected text, got bool"),
    ("ccpm-dup", ccpm("name: a\nname: b"), "/.claude/epics/e/1.md: top level: duplicate key 'name' (line 2)"),
    (
        "ccpm-alias",
        ccpm("name: &n a\ntitle: *n"),
        "/.claude/epics/e/1.md: front matter: line 3, column 8: an alias (*n) is not allowed",
    ),
    (
        "ccpm-broken",
        ccpm("name: [a"),
        "/.claude/epics/e/1.md: front matter is not valid YAML: line 2, column 9: expected ',' or ']',"
        " but got '<stream end>' (while parsing a flow sequence)",
    ),
    ("ccpm-nul", ccpm('name: "a\\0"'), "/.claude/epics/e/1.md: name: contains a NUL character"),
    (
        "speckit-nul",
        lambda p: write(p / "tasks.md", "# Tasks: x\n## Phase 1: A\n- [ ] T001 a\x00b\n"),
        ":3: task 'T001'.description: contains a NUL character",
    ),
]


@pytest.mark.parametrize(("name", "make", "message"), OTHER_FORMATS, ids=[c[0] for c in OTHER_FORMATS])
def test_other_formats_are_held_to_the_same_bounds_and_types(
    shop: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    make: Callable[[Path], Path],
    message: str,
) -> None:
    path = make(tmp_path)
    line = refused(capsys, shop, str(path), "--project", "shop")
    assert line.startswith(f"{path}{message}"), line


# -- the same documents through PUT /api/projects ---------------------------------------------------

# (raw JSON members of the one task, what the 422 says): what FastAPI's own JSON reading accepts
API_CASES: list[tuple[str, str]] = [
    ('"depends_on": ["T1"], "depends_on": []', "task 'T1': duplicate key 'depends_on'"),
    ('"description": "a\\u0000b"', "task 'T1'.description: contains a NUL character"),
    ('"metadata": {"a\\u0000": 1}', "task 'T1'.metadata: key 'a\\x00' contains a NUL character"),
    ('"action": "\\ud800"', "task 'T1'.action: contains an unpaired surrogate"),
    ('"priority": 99999999999', "task 'T1'.priority: must be at most 2147483647, not 99999999999"),
    ('"estimated_minutes": 99999999999999999999', "task 'T1'.estimated_minutes: must be at most 2147483647"),
    ('"metadata": {"n": 99999999999999999999}', "task 'T1'.metadata.n: must be between -9223372036854775808"),
    ('"metadata": {"x": NaN}', "task 'T1'.metadata.x: must be a finite number, not nan"),
    (f'"metadata": {{"a": {nested(40)}}}', "task 'T1'.metadata.a: nested deeper than 32 levels"),
    ('"metadata": {"parallel": true}', "task 'T1'.metadata: 'parallel' is a key of the task itself"),
    (f'"title": "{"t" * 501}"', "task 'T1'.title: must be at most 500 characters, not 501"),
    # wrong types: the same validator, so the same line as the CLI's (desc.yaml, deps.yaml)
    ('"description": false', "task 'T1'.description: expected str, got bool"),
    ('"depends_on": 0', "task 'T1'.depends_on: expected list, got int"),
    # what FastAPI's own JSON reading refused with a bare 400: the importer's parser reads them
    (f'"priority": {"9" * 5000}', "task 'T1'.priority: must be at most 2147483647, not a 5000-digit number"),
]


async def test_api_refuses_the_same_documents_naming_the_key(db_url: str, repo: Path) -> None:
    project = json.dumps({"name": "shop", "repo_path": str(repo)})[1:-1]
    async with api_client(db_url) as (client, _):
        created = await client.put("/api/projects", json=tasks_doc(repo))
        assert created.status_code == 201, created.text
        before = (await client.get(f"/api/projects/{created.json()['id']}/tasks")).json()
        for task, message in [*API_CASES, ('"key": "T1"', "task 'T1': duplicate key 'key'")]:
            body = native(task, project=project)
            response = await client.put(
                "/api/projects", content=body, headers={"content-type": "application/json"}
            )
            assert response.status_code == 422, (message, response.text)
            [problem] = response.json()["detail"]
            assert problem["msg"].startswith(message), (message, problem)
        path = native(project=json.dumps({"name": "shop", "repo_path": "/" + "a" * 5000})[1:-1])
        response = await client.put(
            "/api/projects", content=path, headers={"content-type": "application/json"}
        )
        assert response.status_code == 422
        assert [p["msg"] for p in response.json()["detail"]] == [
            "project.repo_path: must be at most 4096 characters, not 5001"
        ]
        deep = native(f'"metadata": {{"a": {nested(100_000)}}}', project=project)
        response = await client.put(
            "/api/projects", content=deep, headers={"content-type": "application/json"}
        )
        assert response.status_code == 422
        detail = response.json()["detail"]
        assert detail.startswith("body: line 1, column ") and detail.endswith(
            ": nested deeper than 32 levels"
        )
        assert (await client.get(f"/api/projects/{created.json()['id']}/tasks")).json() == before


def test_a_path_the_file_system_refuses_is_one_line(
    shop: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    long = tmp_path / ("n" * 300)  # a name longer than any file system takes
    for argv in [(f"{long}.json",), (str(long),), (str(long), "--format", "ccpm"), (str(long / "x.yaml"),)]:
        line = refused(capsys, shop, *argv)
        assert line.endswith(": cannot read: File name too long"), line
