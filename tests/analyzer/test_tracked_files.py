"""Which files the analyzer reads, and what it does with bad ones: never a crash, always a warning."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from analyzer import (
    TrackedFile,
    extract_mentions,
    index_file,
    index_files,
    is_safe_path,
    list_tracked_files,
)
from analyzer.blobs import read_blobs
from tests.conftest import git, make_repo


def commit_bytes(repo: Path, files: dict[str, bytes], message: str = "bytes") -> None:
    for name, data in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_bytes(data)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def tracked(repo: Path, path: str) -> TrackedFile:
    return next(f for f in list_tracked_files(repo) if f.path == path)


def test_lists_regular_tracked_files_with_blob_and_size(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a.py": "x = 1\n", "docs/b.md": "# b\n"})
    (repo / "untracked.py").write_text("y = 2\n")
    files = list_tracked_files(repo)
    assert [f.path for f in files] == ["a.py", "docs/b.md"]
    assert files[0].size == 6 and files[0].mode == "100644"
    assert files[0].blob_sha == git(repo, "rev-parse", "HEAD:a.py").strip()


def test_repository_without_commits_has_no_files(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    git(tmp_path / "empty", "init", "-q")
    assert list_tracked_files(tmp_path / "empty") == []


def test_symlink_is_not_listed_nor_followed(tmp_path: Path) -> None:
    outside = tmp_path / "secret.py"
    outside.write_text("class Secret:\n    pass\n")
    repo = make_repo(tmp_path / "r", {"a.py": "x = 1\n"})
    os.symlink(outside, repo / "link.py")
    os.symlink(tmp_path, repo / "linkdir")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "links")
    files = list_tracked_files(repo)
    assert [f.path for f in files] == ["a.py"]
    records = index_files(repo, files, progress=False)
    assert all(not any(s.name == "Secret" for s in r.symbols) for r in records.values())


def test_submodule_is_not_listed(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a.py": "x = 1\n"})
    head = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{head},vendor/lib")
    git(repo, "commit", "-q", "-m", "submodule")
    assert "vendor/lib" in git(repo, "ls-tree", "-r", "HEAD")
    assert [f.path for f in list_tracked_files(repo)] == ["a.py"]


def test_binary_file_is_skipped_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    repo = make_repo(tmp_path / "r", {"a.py": "x = 1\n"})
    commit_bytes(repo, {"logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10})
    with caplog.at_level(logging.WARNING, logger="analyzer"):
        record = index_file(repo, tracked(repo, "logo.png"))
    assert record is not None and record.skipped == "binary" and record.words == ()
    assert "logo.png" in caplog.text and "binary" in caplog.text


def test_huge_file_is_skipped_without_reading_it(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    repo = make_repo(tmp_path / "r", {"big.py": "def f():\n    pass\n" * 100, "small.py": "X = 1\n"})
    files = list_tracked_files(repo)
    with caplog.at_level(logging.WARNING, logger="analyzer"):
        records = index_files(repo, files, max_bytes=500, progress=False)
        single = index_file(repo, tracked(repo, "big.py"), max_bytes=500)
    big = records[tracked(repo, "big.py").blob_sha]
    assert big.skipped == "too_large" and big.symbols == ()
    assert single == big
    assert records[tracked(repo, "small.py").blob_sha].symbols[0].name == "X"
    assert "big.py" in caplog.text and "limit" in caplog.text


def test_undecodable_bytes_are_replaced_and_the_file_still_parsed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    repo = make_repo(tmp_path / "r", {"a.py": "x = 1\n"})
    commit_bytes(
        repo, {"latin.py": b"NAME = '\xe9t\xe9'\n\nclass Caf\xe9Handler:\n    pass\n\ndef ok():\n    pass\n"}
    )
    with caplog.at_level(logging.WARNING, logger="analyzer"):
        record = index_file(repo, tracked(repo, "latin.py"))
    assert record is not None and record.decode_errors and not record.skipped
    assert {s.qualified_name for s in record.symbols} >= {"NAME", "ok"}
    assert "latin.py" in caplog.text and "UTF-8" in caplog.text


def test_unreadable_blob_gives_a_record_not_to_keep_and_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    repo = make_repo(tmp_path / "r", {"a.py": "x = 1\n"})
    missing = TrackedFile(path="gone.py", blob_sha="0" * 40, size=10, mode="100644")
    with caplog.at_level(logging.WARNING, logger="analyzer"):
        record = index_file(repo, missing)
        assert index_files(repo, [missing], progress=False) == {missing.blob_sha: record}
    assert record.skipped == "unreadable" and not record.lasting and record.language == "python"
    assert (
        caplog.messages
        == [f"skipping gone.py: its blob {'0' * 40} is missing, or too corrupt for git to read"] * 2
    )


def test_known_blobs_are_skipped_and_shared_blobs_parsed_once(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "r", {"a.py": "def f():\n    pass\n", "b.py": "def f():\n    pass\n", "c.py": "Y = 2\n"}
    )
    files = list_tracked_files(repo)
    first = index_files(repo, files, progress=False)
    assert len(first) == 2
    commit_bytes(repo, {"c.py": b"Y = 3\n"}, "change c")
    files = list_tracked_files(repo)
    second = index_files(repo, files, known_blobs=first.keys(), progress=False)
    assert list(second) == [tracked(repo, "c.py").blob_sha]


@pytest.mark.parametrize(
    ("path", "safe"),
    [
        ("a/b.py", True),
        ("README", True),
        ("../outside.py", False),
        ("a/../../x", False),
        ("/etc/passwd", False),
        ("", False),
        (".git/config", False),
        ("a\\b", False),
    ],
)
def test_paths_that_leave_the_repository_are_refused(path: str, safe: bool) -> None:
    assert is_safe_path(path) is safe


def test_mentions_refuse_paths_outside_the_repository() -> None:
    mentions = extract_mentions("Edit ../secrets/keys.py and /etc/app.conf.py, then docs/guide.md")
    assert mentions.paths == ("docs/guide.md",)


def test_blob_reading_can_stop_early_without_hanging(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {f"f{n}.txt": f"{n}\n" * 5000 for n in range(40)})
    blobs = read_blobs(repo, [f.blob_sha for f in list_tracked_files(repo)])
    first_sha, content = next(blobs)
    blobs.close()
    assert isinstance(content, bytes) and first_sha
