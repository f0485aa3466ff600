"""History: commits read with git, renames followed, statistics accumulated incrementally."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer import (
    CommitChange,
    FileChange,
    HistoryDelta,
    HistorySettings,
    HistoryStats,
    accumulate_history,
    build_repo_index,
    change_rate,
    cochange_confidence,
    merge_deltas,
    read_history,
    stats_from_rows,
)
from tests.conftest import commit_files, git, make_repo

SETTINGS = HistorySettings(half_life=1000.0, sweep_size=4, max_pair_files=6, kept_commits=100)


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """api.py and db.py change together three times; docs once on their own; then api.py is renamed."""
    repo = make_repo(tmp_path / "shop", {"api.py": "a = 0\n", "db.py": "d = 0\n", "README.md": "r\n"})
    for n in range(1, 4):
        commit_files(repo, {"api.py": f"a = {n}\n", "db.py": f"d = {n}\n"}, f"Add order endpoint {n}")
    commit_files(repo, {"README.md": "readme\n"}, "Document the shop in the readme")
    git(repo, "mv", "api.py", "server.py")
    git(repo, "commit", "-q", "-m", "Rename api module to server")
    commit_files(repo, {"server.py": "a = 9\n", "db.py": "d = 9\n"}, "Add order totals")
    return repo


def test_read_history_lists_commits_oldest_first_with_changes_and_words(shop: Path) -> None:
    delta = read_history(shop)
    assert delta.full and delta.since is None
    assert delta.until == git(shop, "rev-parse", "HEAD").strip()
    assert len(delta.commits) == 7
    first, rename = delta.commits[0], delta.commits[5]
    assert {c.path for c in first.changes} == {"api.py", "db.py", "README.md"}
    assert rename.changes == (FileChange(path="server.py", status="R", old_path="api.py"),)
    assert "order" in delta.commits[1].words and "endpoint" in delta.commits[1].words
    assert "add" in delta.commits[1].words


def test_renamed_file_keeps_its_history(shop: Path) -> None:
    stats = accumulate_history(None, read_history(shop), SETTINGS)
    assert "api.py" not in stats.files
    assert stats.files["server.py"].commits == 6
    assert stats.cochange["server.py"]["db.py"].commits == 5
    assert stats.cochange["db.py"]["server.py"] == stats.cochange["server.py"]["db.py"]
    assert stats.file_words.of_file("server.py")["endpoint"].commits == 3
    assert stats.file_words.of_file("api.py") == {}
    assert all("api.py" not in commit.paths for commit in stats.recent)
    assert [len(c.paths) for c in stats.recent] == [3, 2, 2, 2, 1, 1, 2]


def test_cochange_confidence_and_change_rate(shop: Path) -> None:
    stats = accumulate_history(None, read_history(shop), SETTINGS)
    assert cochange_confidence(stats, "db.py", "server.py") == pytest.approx(5 / 5, rel=0.05)
    assert cochange_confidence(stats, "server.py", "db.py") == pytest.approx(5 / 6, rel=0.05)
    assert cochange_confidence(stats, "README.md", "db.py") < cochange_confidence(stats, "db.py", "server.py")
    assert cochange_confidence(stats, "missing.py", "db.py") == 0.0
    assert change_rate(stats, "server.py") > change_rate(stats, "README.md") > 0


def test_incremental_reading_matches_one_full_read(shop: Path) -> None:
    full = accumulate_history(None, read_history(shop), SETTINGS)
    middle = git(shop, "rev-parse", "HEAD~3").strip()
    early = read_history(shop, until=middle)
    late = read_history(shop, since=middle)
    assert not late.full and late.since == middle and len(late.commits) == 3
    stepwise = accumulate_history(accumulate_history(None, early, SETTINGS), late, SETTINGS)
    assert_same_stats(stepwise, full)
    merged = accumulate_history(None, merge_deltas(early, late), SETTINGS)
    assert_same_stats(merged, full)


def assert_same_stats(left: HistoryStats, right: HistoryStats) -> None:
    assert left.head == right.head
    assert left.total.commits == right.total.commits
    assert left.total.weight == pytest.approx(right.total.weight)
    assert left.files.keys() == right.files.keys()
    for path, tally in left.files.items():
        assert tally.commits == right.files[path].commits
        assert tally.weight == pytest.approx(right.files[path].weight)
    assert {(a, b, c) for a, b, c, _ in left.cochange.pairs()} == {
        (a, b, c) for a, b, c, _ in right.cochange.pairs()
    }
    assert {w: t.commits for w, t in left.words.items()} == {w: t.commits for w, t in right.words.items()}
    assert left.recent == right.recent


def test_no_new_commits_gives_an_empty_delta(shop: Path) -> None:
    head = git(shop, "rev-parse", "HEAD").strip()
    delta = read_history(shop, since=head)
    assert delta.commits == () and not delta.full
    stats = accumulate_history(None, read_history(shop), SETTINGS)
    assert accumulate_history(stats, delta, SETTINGS).files == stats.files


def test_rewritten_history_is_read_in_full(shop: Path) -> None:
    old_head = git(shop, "rev-parse", "HEAD").strip()
    git(shop, "reset", "-q", "--hard", "HEAD~2")
    commit_files(shop, {"db.py": "d = 100\n"}, "Another direction")
    delta = read_history(shop, since=old_head)
    assert delta.full and len(delta.commits) == 6


def test_merge_commits_are_not_counted(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a.py": "a\n", "b.py": "b\n"})
    git(repo, "checkout", "-q", "-b", "side")
    commit_files(repo, {"b.py": "b2\n"}, "side change")
    git(repo, "checkout", "-q", "main")
    commit_files(repo, {"a.py": "a2\n"}, "main change")
    git(repo, "merge", "-q", "--no-ff", "-m", "Merge side", "side")
    delta = read_history(repo)
    assert len(delta.commits) == 3
    assert all(len(c.changes) <= 2 for c in delta.commits)


def commit(sha: str, *paths: str, words: tuple[str, ...] = ("work",)) -> CommitChange:
    return CommitChange(sha=sha, timestamp=0, words=words, changes=tuple(FileChange(p, "M") for p in paths))


def test_sweeping_commits_are_discounted_and_add_no_pairs() -> None:
    sweep = commit("s", *(f"f{n}.py" for n in range(8)))
    small = commit("c", "f0.py", "f1.py")
    stats = accumulate_history(None, HistoryDelta(None, "c", True, (sweep, small)), SETTINGS)
    assert stats.files["f7.py"].commits == 1
    assert stats.files["f7.py"].weight == pytest.approx(4 / 8, rel=0.01)
    assert stats.cochange["f0.py"]["f1.py"].commits == 1
    assert "f7.py" not in stats.cochange


def test_recent_commits_weigh_more() -> None:
    settings = HistorySettings(half_life=2.0, sweep_size=4, max_pair_files=6, kept_commits=100)
    commits = (commit("1", "old.py"), commit("2", "x.py"), commit("3", "x.py"), commit("4", "new.py"))
    stats = accumulate_history(None, HistoryDelta(None, "4", True, commits), settings)
    assert stats.files["old.py"].commits == stats.files["new.py"].commits == 1
    assert stats.files["new.py"].weight == pytest.approx(1.0)
    assert stats.files["old.py"].weight == pytest.approx(0.5**1.5)


def test_message_words_go_with_the_files_they_changed() -> None:
    commits = (
        commit("1", "auth.py", words=("login", "token")),
        commit("2", "auth.py", "views.py", words=("login",)),
        commit("3", "views.py", words=("templat",)),
    )
    stats = accumulate_history(None, HistoryDelta(None, "3", True, commits), SETTINGS)
    assert stats.words["login"].commits == 2
    assert stats.file_words.of_file("auth.py")["login"].commits == 2
    assert stats.file_words.of_file("views.py")["login"].commits == 1
    assert stats.file_words.tally("views.py", "login") == stats.file_words.of_file("views.py")["login"]
    assert "templat" not in stats.file_words.of_file("auth.py")
    assert stats.file_words.tally("auth.py", "templat") is None


def test_deleted_files_are_forgotten() -> None:
    commits = (commit("1", "a.py", "b.py"), CommitChange("2", 0, ("drop",), (FileChange("b.py", "D"),)))
    stats = accumulate_history(None, HistoryDelta(None, "2", True, commits), SETTINGS)
    assert "b.py" not in stats.files and "b.py" not in stats.cochange.get("a.py", {})
    assert stats.recent[0].paths == ("a.py",)


def test_kept_commits_are_limited_to_the_newest() -> None:
    settings = HistorySettings(kept_commits=2)
    commits = tuple(commit(str(n), f"f{n}.py") for n in range(5))
    stats = accumulate_history(None, HistoryDelta(None, "4", True, commits), settings)
    assert [c.sha for c in stats.recent] == ["3", "4"]
    more = accumulate_history(stats, HistoryDelta("4", "5", False, (commit("5", "g.py"),)), settings)
    assert [c.sha for c in more.recent] == ["4", "5"]


def test_stats_survive_storage_as_rows(shop: Path) -> None:
    stats = accumulate_history(None, read_history(shop), SETTINGS)
    rows = list(stats.file_words.rows())
    rebuilt = stats_from_rows(
        stats.head,
        stats.settings,
        stats.total,
        stats.files,
        reversed(list(stats.cochange.pairs())),
        stats.words,
        reversed(rows),
        stats.recent,
    )
    assert_same_stats(rebuilt, stats)
    assert rebuilt.cochange == stats.cochange and list(rebuilt.file_words.rows()) == rows


def test_deltas_that_do_not_meet_are_refused() -> None:
    first = HistoryDelta(None, "b", True, (commit("b", "x.py"),))
    with pytest.raises(ValueError, match="do not meet"):
        merge_deltas(first, HistoryDelta("z", "c", False, (commit("c", "x.py"),)))
    replacement = HistoryDelta(None, "d", True, ())
    assert merge_deltas(first, replacement) is replacement


def test_building_an_index_reports_its_progress_up_to_one(shop: Path) -> None:
    cold: list[float] = []
    index = build_repo_index(shop, progress=False, on_progress=cold.append)
    assert len(cold) > 3 and cold == sorted(cold) and cold[-1] == 1.0 and cold[0] >= 0.0
    warm: list[float] = []  # nothing to parse or count: still goes forward, to the end
    build_repo_index(shop, index.records, index.history, progress=False, on_progress=warm.append)
    assert warm and warm == sorted(warm) and warm[-1] == 1.0


def test_a_rename_onto_a_file_with_history_merges_the_two() -> None:
    commits = (
        commit("1", "a.py", "c.py", words=("alpha",)),
        commit("2", "b.py", "c.py", words=("beta",)),
        CommitChange("3", 0, ("move",), (FileChange("b.py", "R", "a.py"),)),
    )
    stats = accumulate_history(None, HistoryDelta(None, "3", True, commits), SETTINGS)
    assert "a.py" not in stats.files and "a.py" not in stats.cochange
    assert stats.files["b.py"].commits == 3
    assert stats.cochange["b.py"] == {"c.py": stats.cochange["c.py"]["b.py"]}
    assert stats.cochange["c.py"]["b.py"].commits == 2
    assert {w: t.commits for w, t in stats.file_words.of_file("b.py").items()} == {
        "alpha": 1,
        "beta": 1,
        "move": 1,
    }
    assert list(stats.files) == sorted(stats.files) and list(stats.words) == sorted(stats.words)


def test_weights_are_summed_commit_after_commit_to_the_last_bit() -> None:
    settings = HistorySettings(half_life=7.0, sweep_size=4, max_pair_files=6, kept_commits=10)
    commits = tuple(commit(str(n), "a.py", "b.py", words=("work",)) for n in range(60))
    stats = accumulate_history(None, HistoryDelta(None, "59", True, commits), settings)
    decay = 0.5 ** (1.0 / settings.half_life)
    expected = 0.0
    for position in range(len(commits)):
        expected += decay ** (len(commits) - 1 - position)
    assert stats.files["a.py"].weight == expected  # exactly: the same additions in the same order
    assert stats.cochange["a.py"]["b.py"].weight == expected
    assert stats.file_words.tally("b.py", "work") == stats.files["b.py"]
    assert stats.words["work"].weight == expected
