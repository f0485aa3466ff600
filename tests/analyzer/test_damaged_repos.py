"""Repositories with missing or corrupt objects: indexed all the same, each loss warned about once."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import pytest

from analyzer import FileChange, build_repo_index, list_tracked_files, read_history
from analyzer.blobs import Unreadable, read_blobs
from analyzer.history import message_words
from tests.conftest import commit_files, git, make_repo
from tests.damaged_repos import (
    DamagedShop,
    damaged_shop,
    delete_object,
    forge_object,
    object_sha,
    truncate_object,
)


@pytest.fixture
def shop(tmp_path: Path) -> DamagedShop:
    return damaged_shop(tmp_path / "shop")


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    assert all(r.exc_info is None for r in caplog.records), "a traceback was logged"
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def mentioning(messages: list[str], text: str) -> list[str]:
    return [m for m in messages if text in m]


def test_damaged_repository_is_indexed_and_each_loss_warned_once(
    shop: DamagedShop, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        index = build_repo_index(shop.repo, progress=False)
    by_path = {f.path: index.records[f.blob_sha] for f in index.files}
    assert sorted(by_path) == [
        *["billing/invoice.py", "billing/tax.py", "docs/guide.md", "logo.png", "shop/__init__.py"],
        *["shop/db.py", "shop/orders.py", "shop/users.py", "web/app.js", "web/cart.js"],
    ]
    for path in shop.unreadable:
        assert by_path[path].skipped == "unreadable" and by_path[path].symbols == ()
    assert by_path["logo.png"].skipped == "binary"
    # read after the truncated blob stopped git: still parsed
    assert [s.name for s in by_path["web/cart.js"].symbols] == ["addToCart"]
    assert [s.name for s in by_path["billing/invoice.py"].symbols] == ["Invoice"]
    messages = warnings(caplog)
    for path in [*shop.unreadable, "logo.png"]:
        assert len(mentioning(messages, path)) == 1, (path, messages)
        assert mentioning(messages, path)[0].startswith(f"skipping {path}: ")

    read = [c for c in shop.commits if c not in shop.unreadable_commits]
    assert index.history.head == shop.commits[-1] and index.history.total.commits == len(read)
    for sha in shop.unreadable_commits:
        assert len(mentioning(messages, sha)) == 1, (sha, messages)
    assert len(mentioning(messages, shop.no_renames)) == 1
    assert "billing/tax.py" not in index.history.files  # only its unreadable commits changed it
    assert index.history.files["docs/guide.md"].commits == 1  # without the rename, a new file


def test_history_skips_unreadable_commits_and_reads_renames_it_cannot_see_as_add_and_delete(
    shop: DamagedShop, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="analyzer"):
        delta = read_history(shop.repo)
    assert [c.sha for c in delta.commits] == [c for c in shop.commits if c not in shop.unreadable_commits]
    moved = next(c for c in delta.commits if c.sha == shop.no_renames)
    assert set(moved.changes) == {
        FileChange(path="notes/guide.md", status="D"),
        FileChange(path="docs/guide.md", status="A"),
        FileChange(path="logo.png", status="A"),
    }
    assert moved.words == message_words("Move the guide to the docs")
    assert mentioning(warnings(caplog), shop.no_renames)[0].endswith("renames not detected")


def test_second_build_reuses_the_first_and_retries_what_was_unreadable(
    shop: DamagedShop, caplog: pytest.LogCaptureFixture
) -> None:
    first = build_repo_index(shop.repo, progress=False)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        again = build_repo_index(shop.repo, first.records, first.history, progress=False)
    assert dict(again.records) == dict(first.records) and again.history is first.history
    assert len(mentioning(warnings(caplog), "shop/users.py")) == 1  # still missing, still said
    commit_files(shop.repo, {"shop/users.py": "def logout(user):\n    return None\n"}, "Users can log out")
    after = build_repo_index(shop.repo, again.records, again.history, progress=False)
    users = next(f for f in after.files if f.path == "shop/users.py")
    assert [s.name for s in after.records[users.blob_sha].symbols] == ["logout"]
    assert after.history.total.commits == again.history.total.commits + 1
    assert after.history.files["shop/users.py"].commits == again.history.files["shop/users.py"].commits + 1


def test_blob_reader_answers_every_blob_in_order_past_broken_ones(tmp_path: Path) -> None:
    lines = [f"line {i}: value {i * 7919 % 1000}\n" for i in range(60)]
    texts = {f"f{n}.txt": f"file {n}\n" + "".join(lines[n:]) for n in range(6)}
    repo = make_repo(tmp_path / "r", texts)
    shas = [object_sha(repo, f"HEAD:f{n}.txt") for n in range(6)]
    truncate_object(repo, shas[1])
    delete_object(repo, shas[2])
    forge_object(repo, shas[4])
    answers = list(read_blobs(repo, [*shas, "0" * 40]))
    assert [sha for sha, _ in answers] == [*shas, "0" * 40]
    lost = [isinstance(content, Unreadable) for _, content in answers]
    assert lost == [False, True, True, False, True, False, True]
    assert answers[5][1] == texts["f5.txt"].encode()


def test_missing_tree_at_head_leaves_its_files_out_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    repo = make_repo(tmp_path / "r", {"a.py": "A = 1\n", "lib/b.py": "B = 2\n", "z.py": "Z = 3\n"})
    delete_object(repo, object_sha(repo, "HEAD:lib"))
    with caplog.at_level(logging.WARNING, logger="analyzer"):
        files = list_tracked_files(repo)
        index = build_repo_index(repo, progress=False)
    assert [f.path for f in files] == ["a.py", "z.py"]
    assert [f.path for f in index.files] == ["a.py", "z.py"]
    assert len(mentioning(warnings(caplog), "skipping the files of")) == 2  # once per listing
    assert mentioning(warnings(caplog), "under lib/: its tree")
    assert index.history.total.commits == 0  # the only commit's tree is incomplete


def test_unreadable_head_commit_gives_an_empty_index_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    repo = make_repo(tmp_path / "r", {"a.py": "A = 1\n"})
    commit_files(repo, {"a.py": "A = 2\n"}, "Second")
    delete_object(repo, object_sha(repo, "HEAD"))
    with caplog.at_level(logging.WARNING, logger="analyzer"):
        index = build_repo_index(repo, progress=False)
    assert index.files == () and index.history.total.commits == 0
    messages = warnings(caplog)
    assert len(mentioning(messages, "files of")) == 1 and len(mentioning(messages, "history")) == 1


def test_missing_commit_ends_the_history_read_there(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    repo = make_repo(tmp_path / "r", {"a.py": "A = 0\n"})
    for n in range(1, 4):
        commit_files(repo, {"a.py": f"A = {n}\n"}, f"Change {n}")
    commits = git(repo, "rev-list", "--reverse", "HEAD").split()
    delete_object(repo, commits[1])
    with caplog.at_level(logging.WARNING, logger="analyzer"):
        delta = read_history(repo)
        stats = build_repo_index(repo, progress=False).history
    # the child of the missing commit is lost too: its changes are a diff against that commit
    assert [c.sha for c in delta.commits] == commits[3:]
    assert stats.head == commits[3] and stats.files["a.py"].commits == 1
    assert len(mentioning(warnings(caplog), "whole history")) == 2  # once per read


def test_commit_with_a_bad_date_and_separator_bytes_in_its_message_is_read(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a.py": "A = 0\n"})
    tree, parent = object_sha(repo, "HEAD^{tree}"), object_sha(repo, "HEAD")
    raw = (
        f"tree {tree}\nparent {parent}\nauthor A <a@b> notadate\ncommitter A <a@b>\n\n"
        "Odd \x1e record \x1f separators in the message\n"
    )
    odd = git_stdin(repo, raw, "hash-object", "-t", "commit", "-w", "--literally", "--stdin").strip()
    git(repo, "update-ref", "HEAD", odd)
    commit_files(repo, {"a.py": "A = 1\n"}, "Change after the odd one")
    delta = read_history(repo)
    assert [c.sha for c in delta.commits] == [parent, odd, object_sha(repo, "HEAD")]
    assert delta.commits[1].timestamp == 0 and "separator" in delta.commits[1].words
    assert delta.commits[2].changes == (FileChange(path="a.py", status="M"),)


def git_stdin(repo: Path, text: str, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], input=text, text=True, capture_output=True)
    assert done.returncode == 0, done.stderr
    return done.stdout
