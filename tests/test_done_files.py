"""`execplan done` and POST …/tasks/done record the files each task's branch really changed
(planner.core.done_files): given explicitly, from the commits naming the task's key, from the
branch of the only task of its worktree left, or nothing (said so) — on real branches named as
the plan's worktrees, with real commits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest

from analyzer.branch_changes import branch_changes
from planner.core.done_files import files_of_commits, names_key
from tests.conftest import commit_files, git, make_repo
from tests.test_api_support import api_client, built_plan, create_project
from tests.test_cli import run, use_db, write_tasks  # noqa: F401  (use_db: a fixture)

TASKS: list[dict[str, Any]] = [
    {"key": "T1", "epic": "E1", "description": "Orders in api/orders.py"},
    {"key": "T2", "epic": "E1", "description": "Users in api/users.py"},
    {"key": "T3", "epic": "E2", "description": "Pool in core/database.py", "estimated_minutes": 90},
    {"key": "T4", "description": "Write the guide in docs/guide.md"},
    {"key": "T5", "description": "Style the shop in web/app.js"},
]
"""One batch: T1 and T2 one after the other in epic E1's worktree fit in T3's time."""


def on_branch(repo: Path, branch: str, commits: list[tuple[dict[str, str], str]]) -> None:
    """Make `branch` from HEAD with these commits, and go back to main."""
    git(repo, "checkout", "-q", "-b", branch)
    for files, message in commits:
        commit_files(repo, files, message)
    git(repo, "checkout", "-q", "main")


def task_metadata(db_url: str) -> dict[str, dict[str, Any]]:
    with psycopg.connect(db_url) as conn:
        rows = conn.execute("SELECT key, done, metadata FROM tasks ORDER BY key").fetchall()
    return {key: {"done": done, **metadata} for key, done, metadata in rows}


def test_names_key_as_a_word() -> None:
    for message in ("T1: orders", "[T1] orders", "orders for T1.", "fix (T1)", "T1", "x\n\nRefs T1"):
        assert names_key(message, "T1"), message
    for message in ("T10: more", "XT1 orders", "T1-2 split", "T1.2 part", "t1 lower", "T", ""):
        assert not names_key(message, "T1"), message
    assert names_key("close auth/3 now", "auth/3") and not names_key("close auth/30", "auth/3")
    commits = [("T1: a", ["a.py"]), ("T2: b", ["b.py"]), ("T1 again", ["c.py", "a.py"])]
    assert files_of_commits("T1", commits) == ("a.py", "c.py")


def test_done_records_each_source_and_says_when_nothing(
    use_db: str,  # noqa: F811
    repo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(capsys, "import", str(write_tasks(tmp_path, repo, TASKS)))[0] == 0
    assert run(capsys, "build", "shop", "--max-worktrees", "4")[0] == 0
    plan = json.loads(run(capsys, "show", "shop", "--json")[1])
    ids = {t["key"]: str(t["id"]) for t in plan["tasks"]}
    worktree = {key: plan["worktree_assignments"][ids[key]] for key in ids}
    assert worktree["T1"] == worktree["T2"] and len({worktree[k] for k in ("T1", "T3", "T4", "T5")}) == 4
    on_branch(
        repo,
        worktree["T1"],
        [
            ({"api/orders.py": "def create_order(): return 1\n"}, "T1: orders take a total"),
            ({"api/users.py": "def create_user(): return 2\n", "core/config.py": "X = 1\n"}, "users"),
        ],
    )
    on_branch(repo, worktree["T3"], [({"core/database.py": "POOL = 1\n", "web/app.js": "//\n"}, "pool")])
    on_branch(repo, worktree["T4"], [({"docs/guide.md": "more\n"}, "wip")])

    # explicit files; bad ones refused whole, nothing marked
    code, out, err = run(capsys, "done", "shop", "T4", "--files", "../outside.py")
    assert code == 1 and out == "" and err.count("\n") == 1
    assert "--files: files for 'T4': '../outside.py' must be a path inside the repository" in err
    code, _, err = run(capsys, "done", "shop", "T4", "T5", "--files", "a.py")
    assert code == 1 and "--files: name exactly one task" in err and err.count("\n") == 1
    assert not any(m["done"] for m in task_metadata(use_db).values())
    code, out, err = run(capsys, "done", "shop", "T4", "--files", "docs/guide.md", "README.md")
    assert code == 0, err
    assert "T4: 2 files recorded as given: README.md, docs/guide.md" in out

    # T2 first: no commit names it and T1 of its worktree has nothing recorded: nothing, said so
    code, out, err = run(capsys, "done", "shop", "T2", "T3", "T5")
    assert code == 0, err
    assert f"T2: nothing recorded: no commit on branch {worktree['T1']} names T2, and T1" in out
    assert f"T3: 2 files recorded from branch {worktree['T3']}" in out
    assert f"T5: nothing recorded: no branch {worktree['T5']} in {repo}" in out
    # T1: its commits; then T2 is the only one of the worktree left: the branch less T1's files
    code, out, err = run(capsys, "done", "shop", "T1")
    assert code == 0, err
    assert f"T1: 1 file recorded from the commits naming it on branch {worktree['T1']}: api/orders.py" in out
    code, out, err = run(capsys, "done", "shop", "T2")
    assert code == 0, err
    assert "T2: 2 files recorded from branch" in out

    stored = task_metadata(use_db)
    assert all(m["done"] for m in stored.values())
    expected = {
        "T1": (["api/orders.py"], "commits", worktree["T1"]),
        "T2": (["api/users.py", "core/config.py"], "worktree", worktree["T1"]),
        "T3": (["core/database.py", "web/app.js"], "worktree", worktree["T3"]),
        "T4": (["README.md", "docs/guide.md"], "explicit", None),
    }
    for key, (files, source, branch) in expected.items():
        meta = stored[key]
        assert (meta["actual_files"], meta["actual_files_source"], meta["actual_files_branch"]) == (
            files,
            source,
            branch,
        ), key
        # the predictions made before it was done are kept as they were
        assert meta["predicted_files_at_done"] == meta["predicted_files"] != [], key
    assert "actual_files" not in stored["T5"]


def test_a_merged_branch_is_read_from_where_it_started(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a.py": "a\n", "b.py": "b\n"})
    on_branch(repo, "work", [({"a.py": "A\n"}, "T1: a"), ({"c.py": "c\n"}, "T2: c")])
    commit_files(repo, {"b.py": "B\n"}, "main moves on")
    before = branch_changes(repo, "work")
    git(repo, "merge", "-q", "--no-ff", "-m", "merge work", "work")
    after = branch_changes(repo, "work")
    assert before is not None and after is not None
    assert before.files == after.files == ("a.py", "c.py")
    assert [c.files for c in after.commits] == [("a.py",), ("c.py",)]
    assert [c.message for c in after.commits] == ["T1: a", "T2: c"]
    assert branch_changes(repo, "nope") is None


async def test_api_records_given_files_and_commits_naming_the_key(db_url: str, repo: Path) -> None:
    async with api_client(db_url) as (client, app):
        project_id = await create_project(client, repo)
        plan = await built_plan(client, app, project_id)
        ids = {t["key"]: str(t["id"]) for t in plan["tasks"]}
        branch = plan["worktree_assignments"][ids["T1"]]
        on_branch(repo, branch, [({"core/database.py": "POOL = 2\n"}, "Pool (T1)"), ({"x.txt": "x"}, "T10")])
        url = f"/api/projects/{project_id}/tasks/done"
        bad = await client.post(url, json={"keys": ["T1"], "files": {"T4": ["web/app.js"]}})
        assert (
            bad.status_code == 422
            and "'T4', which is not among the tasks marked done" in bad.json()["detail"]
        )
        bad = await client.post(url, json={"keys": ["T4"], "files": {"T4": ["/etc/passwd"]}})
        assert bad.status_code == 422 and "\n" not in bad.json()["detail"]
        response = await client.post(url, json={"keys": ["T1", "T4"], "files": {"T4": ["web/app.js"]}})
        assert response.status_code == 202, response.text
        answer = {t["key"]: t for t in response.json()["tasks"]}
        assert answer["T1"]["actual_files"] == ["core/database.py"]
        assert answer["T1"]["actual_files_source"] == "commits" and answer["T1"]["note"] == ""
        assert answer["T4"]["actual_files"] == ["web/app.js"]
        assert answer["T4"]["actual_files_source"] == "explicit"
        await app.state.builds.wait_idle()
        tasks = {t["key"]: t for t in (await client.get(f"/api/projects/{project_id}/tasks")).json()}
        assert tasks["T1"]["done"] and tasks["T1"]["metadata"]["actual_files"] == ["core/database.py"]
        assert tasks["T4"]["metadata"]["actual_files_source"] == "explicit"
        assert not tasks["T2"]["done"] and "actual_files" not in tasks["T2"]["metadata"]
