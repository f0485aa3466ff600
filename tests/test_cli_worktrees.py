"""`execplan worktrees create|list|remove`, `check` and `merge-order` on a real repository with
real worktrees and real edits: the batch's worktrees made from the plan on branches of their
names, never outside their folder, nothing clobbered; real conflicts found while the agents work,
with what the plan predicted; the merge order that leaves the branch that conflicts last."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from planner.core.errors import InvalidInputError
from planner.usecases.worktrees import worktree_path
from tests.conftest import commit_files, git, make_repo
from tests.test_cli import run, use_db  # noqa: F401  (use_db: a fixture)

TEXT = "".join(f"line {n}\n" for n in range(1, 21))
TASKS = [
    {"key": "T1", "epic": "E1", "description": "Change a.py"},
    {"key": "T2", "epic": "E2", "description": "Change b.py and a.py"},
    {"key": "T3", "epic": "E3", "description": "Change c.py"},
    {"key": "T4", "epic": "E1", "description": "Then a.py again", "depends_on": ["T1"]},
]


def edit(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text().replace(old, new))


@pytest.fixture
def shop(use_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:  # noqa: F811
    """A repository of two commits, a project of three epics on it (same_file conflicts do not
    split, so T1 and T2 run side by side with a predicted conflict on a.py), its plan built."""
    repo = make_repo(tmp_path / "shop", {"a.py": TEXT, "b.py": TEXT, "c.py": TEXT})
    first = git(repo, "rev-parse", "HEAD").strip()
    commit_files(repo, {"README.md": "shop\n"}, "second")
    (tmp_path / "settings.toml").write_text('[planner]\nmax_worktrees = 3\nsplit_on = ["declared"]\n')
    doc = {
        "project": {"name": "shop", "repo_path": str(repo)},
        "epics": [{"key": f"E{n}", "name": f"epic {n}"} for n in (1, 2, 3)],
        "tasks": TASKS,
    }
    (tmp_path / "tasks.json").write_text(json.dumps(doc))
    assert run(capsys, "import", str(tmp_path / "tasks.json"))[0] == 0
    assert run(capsys, "build", "shop")[0] == 0
    plan = json.loads(run(capsys, "show", "shop", "--json")[1])
    keys = {t["id"]: t["key"] for t in plan["tasks"]}
    by_key = {keys[int(task_id)]: name for task_id, name in plan["worktree_assignments"].items()}
    assert plan["batches"][0]["task_ids"] == sorted(k for k, v in keys.items() if v != "T4")
    names = [by_key["T1"], by_key["T2"], by_key["T3"]]
    assert len(set(names)) == 3 and all(n.startswith("worktree-batch1-epic") for n in names)
    assert by_key["T4"].startswith("worktree-batch2-")
    return {"repo": repo, "first": first, "names": names, "folder": tmp_path / "shop-worktrees", "plan": plan}


def seen(repo: Path) -> tuple[str, ...]:
    """What a user sees of a repository and its worktrees: refs, HEADs, status."""
    trees = [
        line.split()[1]
        for line in git(repo, "worktree", "list", "--porcelain").splitlines()
        if line.startswith("worktree ")
    ]
    return (
        git(repo, "for-each-ref"),
        *(git(Path(t), "status", "--porcelain") + git(Path(t), "rev-parse", "HEAD") for t in trees),
    )


def test_create_makes_the_batchs_worktrees_on_their_branches_once_and_clobbers_nothing(
    shop: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, folder, names = shop["repo"], shop["folder"], shop["names"]
    code, out, err = run(capsys, "worktrees", "create", "shop", "--batch", "1", "--base", shop["first"])
    assert code == 0, err
    assert out.count("created ") == 3 and f"worktrees in {folder}" in out
    for name in names:
        tree = folder / name
        assert git(tree, "rev-parse", "--abbrev-ref", "HEAD").strip() == name  # a branch of its name
        assert git(tree, "rev-parse", "HEAD").strip() == shop["first"]  # from the base given
        assert not (tree / "README.md").exists()
    assert not (folder / "worktree-batch2-epic1").exists()  # only the batch asked for
    before = seen(repo)
    code, out, err = run(capsys, "worktrees", "create", "shop", "--batch", "1", "--base", shop["first"])
    assert code == 0, err
    assert out.count("exists on branch") == 3 and "created" not in out
    assert seen(repo) == before
    # elsewhere, the same branches are checked out already: said, nothing made
    code, out, err = run(
        capsys, "worktrees", "create", "shop", "--batch", "1", "--dir", str(tmp_path / "other")
    )
    assert code == 1
    assert out.count("is checked out at") == 3 and not any((tmp_path / "other").iterdir())
    assert seen(repo) == before
    # removed with their branches (merged: the base is behind HEAD), made again from HEAD
    code, out, err = run(capsys, "worktrees", "remove", "shop", "--batch", "1", "--delete-branches")
    assert code == 0 and out.count("branch worktree-batch1-") == 3 and out.count(" deleted") == 3, out + err
    assert all(not (folder / n).exists() for n in names)
    assert run(capsys, "worktrees", "create", "shop", "--batch", "1")[0] == 0
    head = git(repo, "rev-parse", "HEAD").strip()
    assert all(git(folder / n, "rev-parse", "HEAD").strip() == head for n in names)
    # removed first without their branches: a later --delete-branches still deletes those
    code, out, err = run(capsys, "worktrees", "remove", "shop", "--batch", "1")
    assert code == 0 and out.count(" kept") == 3, out + err
    assert all(git(repo, "branch", "--list", n).strip() for n in names)
    code, out, err = run(capsys, "worktrees", "remove", "shop", "--batch", "1", "--delete-branches")
    assert code == 0 and out.count("not there; branch worktree-batch1-") == 3, out + err
    assert not any(git(repo, "branch", "--list", n).strip() for n in names)


def test_a_worktree_on_another_branch_or_a_foreign_folder_is_left_as_it_is(
    shop: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, folder, (one, two, three) = shop["repo"], shop["folder"], shop["names"]
    git(repo, "worktree", "add", "-q", "-b", "mine", str(folder / one))
    (folder / two).mkdir(parents=True)
    (folder / two / "notes.txt").write_text("someone's\n")
    code, out, err = run(capsys, "worktrees", "create", "shop", "--batch", "1")
    assert code == 1, err
    assert f"{one}: exists on mine, not {one}: left as it is" in out
    assert f"{two}: is there and is no worktree of the repository: left as it is" in out
    assert f"created  {three}" in out
    assert git(folder / one, "rev-parse", "--abbrev-ref", "HEAD").strip() == "mine"
    assert os.listdir(folder / two) == ["notes.txt"]
    assert git(repo, "branch", "--list", one, two).strip() == ""  # no branch made for them


def test_worktree_paths_never_leave_their_folder(
    shop: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "agents"
    monkeypatch.setenv("EXECPLAN_WORKTREES_DIR", str(folder))  # the setting, from the environment
    outside = tmp_path / "outside"
    outside.mkdir()
    folder.mkdir()
    (folder / shop["names"][1]).symlink_to(outside)
    before = seen(shop["repo"])
    code, out, err = run(capsys, "worktrees", "create", "shop", "--batch", "1")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and f"resolves to {outside}, outside {folder}: refused" in err
    assert seen(shop["repo"]) == before and not any(outside.iterdir())  # nothing made, anywhere
    (folder / shop["names"][1]).unlink()
    assert run(capsys, "worktrees", "create", "shop", "--batch", "1")[0] == 0
    assert all((folder / n / ".git").is_file() for n in shop["names"])
    for bad in (
        "../escape",
        "worktree-batch1-epic1/../../escape",
        "/etc",
        "worktree-batch1-epic1 ",
        "worktree-batch1-epic1\n",
    ):
        with pytest.raises(InvalidInputError, match="refused"):
            worktree_path(folder, bad)


def test_list_and_remove_which_refuses_uncommitted_work_without_force(
    shop: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, folder, (one, two, three) = shop["repo"], shop["folder"], shop["names"]
    assert run(capsys, "worktrees", "create", "shop", "--batch", "1")[0] == 0
    edit(folder / one / "a.py", "line 3\n", "line three\n")
    (folder / one / "new.py").write_text("new\n")
    code, out, err = run(capsys, "worktrees", "list", "shop")
    assert code == 0, err
    rows = {
        cells[1]: cells
        for line in out.splitlines()
        if (cells := [c.strip() for c in line.strip("│ ").split("│")])[0].isdigit()
    }
    assert rows[one][:2] + rows[one][3:] == ["1", one, one, "T1", "yes", "2"]
    assert str(folder / one).startswith(rows[one][2]) and rows[one][2]  # the path, folded if long
    assert rows[two][5:] == ["yes", "0"] and rows[three][4] == "T3"
    assert rows["worktree-batch2-epic1"][3:] == ["-", "T4", "no", "-"]
    code, out, err = run(capsys, "worktrees", "remove", "shop", "--batch", "1")
    assert code == 1
    assert f"{one}: has uncommitted changes (a.py, new.py): not removed (--force removes it)" in out
    assert (folder / one / "new.py").exists() and not (folder / two).exists()
    assert git(repo, "branch", "--list", two).strip() == two  # branches kept
    code, out, _ = run(capsys, "worktrees", "remove", "shop", "--batch", "1", "--force")
    assert code == 0 and f"removed  {one}" in out and f"absent   {two}" in out
    assert not (folder / one).exists()


def test_check_merges_the_live_worktrees_pairwise_beside_the_prediction(
    shop: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, (one, two, three) = shop["folder"], shop["names"]
    code, _, err = run(capsys, "check", "shop")
    assert (
        code == 1
        and err.startswith("execplan: error: no worktree of project 'shop' is in ")
        and err.count("\n") == 1
    )
    assert run(capsys, "worktrees", "create", "shop", "--batch", "1")[0] == 0
    code, out, err = run(capsys, "check", "shop")
    assert code == 0, err
    assert f"{one} and {two}: clean; predicted: a.py (same_file, " in out
    assert f"{one} and {three}: clean; none predicted" in out
    # uncommitted edits: one and two change the same line of b.py; three a line of b.py far away
    edit(folder / one / "b.py", "line 2\n", "line two\n")
    edit(folder / two / "b.py", "line 2\n", "line 2!\n")
    edit(folder / three / "b.py", "line 19\n", "line nineteen\n")
    code, out, err = run(capsys, "check", "shop", "--batch", "1")
    assert code == 1, err
    assert f"{one} and {two}: conflict in b.py; predicted: a.py (same_file, " in out
    assert f"{one} and {three}: clean; none predicted" in out and f"{two} and {three}: clean" in out
    assert "batch 1 of shop: 3 worktrees, 3 pairs merged" in out
    git(folder / two, "checkout", "--", "b.py")
    assert run(capsys, "check", "shop")[0] == 0
    code, _, err = run(capsys, "check", "shop", "--batch", "2")
    assert code == 1 and "no worktree of batch 2 of project 'shop'" in err


def test_check_file_answers_before_an_edit_whether_another_worktree_changed_it(
    shop: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, (one, two, three) = shop["folder"], shop["names"]
    assert run(capsys, "worktrees", "create", "shop", "--batch", "1")[0] == 0
    edit(folder / one / "b.py", "line 2\n", "line two\n")  # uncommitted
    edit(folder / three / "c.py", "line 5\n", "line five\n")
    git(folder / three, "commit", "-q", "-am", "c.py")  # committed
    code, out, _ = run(capsys, "check", "shop", "--file", "b.py", "--worktree", two)
    assert code == 1 and out == f"taken: b.py is changed in {one} (uncommitted)\n"
    code, out, _ = run(
        capsys, "check", "shop", "--file", str(folder / one / "c.py"), "--worktree", str(folder / one)
    )
    assert code == 1 and out == f"taken: c.py is changed in {three} (committed)\n"
    code, out, _ = run(capsys, "check", "shop", "--file", "./a.py", "--worktree", two)
    assert code == 0 and out == "free: no other worktree changed a.py\n"
    assert run(capsys, "check", "shop", "--file", "b.py", "--worktree", one)[0] == 0  # its own change
    for argv, message in [
        (
            ["--file", "b.py", "--worktree", "worktree-batch9-epic9"],
            "--worktree worktree-batch9-epic9: no worktree",
        ),
        (["--file", "../b.py", "--worktree", one], "give a path inside the repository"),
        (["--file", "b.py"], "--file and --worktree go together"),
        (["--file", "b.py", "--worktree", one, "--batch", "1"], "leave out --batch"),
    ]:
        code, out, err = run(capsys, "check", "shop", *argv)
        assert code == 1 and out == "" and err.count("\n") == 1 and message in err, err


def test_merge_order_leaves_the_branch_that_conflicts_last_and_writes_nothing(
    shop: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, folder, (one, two, three) = shop["repo"], shop["folder"], shop["names"]
    assert run(capsys, "worktrees", "create", "shop", "--batch", "1")[0] == 0
    # one changes lines that two and three also change; two and three change different files
    edit(folder / one / "a.py", "line 2\n", "line 2 (one)\n")
    edit(folder / one / "b.py", "line 2\n", "line 2 (one)\n")
    edit(folder / two / "a.py", "line 2\n", "line 2 (two)\n")
    edit(folder / three / "b.py", "line 2\n", "line 2 (three)\n")
    for name in (one, two, three):
        git(folder / name, "commit", "-q", "-am", name)
    (folder / two / "scratch.txt").write_text("uncommitted\n")
    before = seen(repo)
    code, out, err = run(capsys, "merge-order", "shop", "--batch", "1")
    assert code == 0, err
    assert seen(repo) == before  # no ref, HEAD, index or working tree written
    lines = out.splitlines()
    assert "every order compared" in lines[0] and "3 branches" in lines[0]
    steps = [line.strip() for line in lines[1:4]]
    assert {steps[0], steps[1]} in (
        {f"1. {two}: clean", f"2. {three}: clean"},
        {f"1. {three}: clean", f"2. {two}: clean"},
    )
    assert steps[2] == f"3. {one}: conflict in a.py, b.py"
    assert (
        f"needs a person: {one} and {two} (a.py)" in out
        and f"needs a person: {one} and {three} (b.py)" in out
    )
    assert f"{two} and {three}" not in out
    code, _, err = run(capsys, "merge-order", "shop", "--batch", "1", "--base", "no-such-ref")
    assert code == 1 and err == f"execplan: error: --base 'no-such-ref': not a commit in {repo}\n"
    code, _, err = run(capsys, "merge-order", "shop", "--batch", "7")
    assert code == 1 and "has no batch 7 (batches: 1, 2)" in err
