"""Real merges on real repositories: conflicts found by git merge-tree, renames followed, a live
worktree read without being touched, a change replayed on another base."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.merges import MergeError, changed_files, merge, replay, snapshot
from tests.conftest import commit_files, git, make_repo

TEXT = "".join(f"line {n}\n" for n in range(1, 21))


def branch(repo: Path, name: str, files: dict[str, str], start: str = "main") -> str:
    """A branch `name` from `start` with `files` committed; its commit."""
    git(repo, "checkout", "-q", "-b", name, start)
    commit_files(repo, files, f"change on {name}")
    git(repo, "checkout", "-q", "main")
    return git(repo, "rev-parse", name).strip()


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "shop", {"a.py": TEXT, "b.py": TEXT, "old.py": TEXT})


def test_the_same_lines_changed_twice_conflict_and_other_lines_merge(shop: Path) -> None:
    branch(shop, "one", {"a.py": TEXT.replace("line 2\n", "line two\n")})
    branch(shop, "two", {"a.py": TEXT.replace("line 2\n", "line 2!\n")})
    branch(shop, "far", {"a.py": TEXT.replace("line 19\n", "line nineteen\n")})
    branch(shop, "other", {"b.py": "x\n"})
    conflicted = merge(shop, "one", "two")
    assert not conflicted.clean
    assert conflicted.conflicted == ("a.py",)
    assert merge(shop, "one", "far").clean  # the same file, far apart lines: git merges it
    assert merge(shop, "one", "other").clean
    assert merge(shop, "one", "other").conflicted == ()


def test_a_rename_is_followed(shop: Path) -> None:
    git(shop, "checkout", "-q", "-b", "moved")
    git(shop, "mv", "old.py", "new.py")
    commit_files(shop, {}, "rename")
    git(shop, "checkout", "-q", "main")
    branch(shop, "edited", {"old.py": TEXT.replace("line 5\n", "line five\n")})
    result = merge(shop, "moved", "edited")
    assert result.clean  # the edit follows the file to its new name
    assert "line five" in git(shop, "show", f"{result.tree}:new.py")
    git(shop, "checkout", "-q", "-b", "gone", "main")
    git(shop, "rm", "-q", "old.py")
    commit_files(shop, {}, "delete")
    git(shop, "checkout", "-q", "main")
    assert merge(shop, "moved", "gone").conflicted == ("new.py",)  # renamed on one side, deleted on the other


def test_nothing_the_user_sees_changes(shop: Path) -> None:
    branch(shop, "one", {"a.py": "1\n"})
    branch(shop, "two", {"a.py": "2\n"})

    def seen() -> tuple[str, str, str]:
        return git(shop, "status", "--porcelain"), git(shop, "for-each-ref"), git(shop, "rev-parse", "HEAD")

    before = seen()
    merge(shop, "one", "two")
    assert seen() == before


def test_a_live_worktree_is_read_with_its_uncommitted_and_new_files(shop: Path, tmp_path: Path) -> None:
    tree = tmp_path / "wt"
    git(shop, "worktree", "add", "-q", "-b", "live", str(tree))
    assert snapshot(tree) == git(shop, "rev-parse", "live").strip()  # nothing changed: HEAD itself
    (tree / "a.py").write_text(TEXT.replace("line 3\n", "line three\n"))
    (tree / "brand_new.py").write_text("new\n")
    (tree / ".gitignore").write_text("ignored.txt\n")
    (tree / "ignored.txt").write_text("not part of it\n")
    status = git(tree, "status", "--porcelain")
    taken = snapshot(tree)
    assert git(tree, "status", "--porcelain") == status  # its index untouched
    assert git(shop, "rev-parse", "live").strip() != taken  # and its branch not moved
    assert changed_files(shop, "main", taken) == [".gitignore", "a.py", "brand_new.py"]
    branch(shop, "rival", {"a.py": TEXT.replace("line 3\n", "line 3?\n")})
    assert merge(shop, taken, "rival").conflicted == ("a.py",)


def test_a_change_replays_on_another_base_or_says_it_cannot(shop: Path) -> None:
    edit = branch(shop, "edit", {"a.py": TEXT.replace("line 10\n", "line ten\n")})
    later = branch(shop, "later", {"b.py": "later\n", "a.py": TEXT.replace("line 1\n", "line one\n")})
    moved = replay(shop, edit, later)
    assert moved is not None
    assert git(shop, "rev-parse", f"{moved}^").strip() == later
    assert changed_files(shop, later, moved) == ["a.py"]
    clash = branch(shop, "clash", {"a.py": TEXT.replace("line 10\n", "line 10!\n")})
    assert replay(shop, edit, clash) is None


def test_an_unknown_revision_is_one_error_naming_it(shop: Path) -> None:
    with pytest.raises(MergeError, match="'nosuch' is not a commit"):
        merge(shop, "main", "nosuch")
