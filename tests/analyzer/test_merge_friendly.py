"""Merge-friendly files: by name, by `.gitattributes`, by an append-only history."""

from __future__ import annotations

from pathlib import Path

from analyzer.merge_friendly import (
    _repository_facts,
    append_only_files,
    attribute_globs,
    by_name,
    from_repository,
)
from tests.conftest import commit_files, make_repo


def test_names_of_changelogs_and_lock_files_but_never_source_code() -> None:
    for path in (
        "CHANGES.rst",
        "docs/CHANGELOG.md",
        "HISTORY",
        "yarn.lock",
        "go.sum",
        "changelog.d/12.bugfix",
    ):
        assert by_name(path), path
    for path in ("history.py", "src/changes.ts", "changeset.md", "README.md", "lib/lock.go"):
        assert not by_name(path), path
    assert by_name("notes/ci.log.txt", ["notes/*"]) and not by_name("notes/ci.log.txt")


def test_gitattributes_marks_union_ours_and_generated_paths() -> None:
    text = (
        "# comment\n*.md text\nCHANGES merge=union\n/docs/news.txt merge=ours\napi/gen/* linguist-generated\n"
    )
    assert attribute_globs(text) == ["CHANGES", "docs/news.txt", "api/gen/*"]


def test_from_repository_reads_attributes_and_the_append_only_history(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "r",
        {
            ".gitattributes": "release-log merge=union\n",
            "release-log": "",
            "app.py": "x = 0\n",
            "notes.md": "",
        },
    )
    log = ""
    for n in range(8):
        log = f"- change {n}\n" + log  # an entry added on top each time: lines only gained
        commit_files(repo, {"JOURNAL.md": log, "app.py": f"x = {n}\n", "notes.md": f"note {n}\n"}, f"c{n}")
    found = from_repository(repo, ["release-log", "app.py", "notes.md", "JOURNAL.md"])
    assert "release-log" in found  # .gitattributes
    assert "JOURNAL.md" in found  # changed by every commit, only ever gaining lines
    assert "app.py" not in found and "notes.md" not in found  # rewritten each time
    assert append_only_files(repo) == {"JOURNAL.md"}


def test_a_folder_that_is_not_a_repository_has_none(tmp_path: Path) -> None:
    assert from_repository(tmp_path, ["CHANGES.md"]) == frozenset()


def test_the_repository_is_read_once_per_commit(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"NOTES": "", "app.py": "x\n"})
    log = ""
    for n in range(6):
        log = f"- {n}\n" + log
        commit_files(repo, {"NOTES": log, "app.py": f"x = {n}\n"}, f"c{n}")
    misses = _repository_facts.cache_info().misses
    assert from_repository(repo, ["NOTES", "app.py"]) == {"NOTES"}
    assert from_repository(repo, ["NOTES", "app.py"]) == {"NOTES"}
    assert _repository_facts.cache_info().misses == misses + 1  # the second call read nothing
    commit_files(repo, {".gitattributes": "app.py merge=union\n"}, "attributes")
    assert from_repository(repo, ["NOTES", "app.py"]) == {"NOTES", "app.py"}  # a new commit: read again
