"""History counted over arrays gives, to the last bit, what counting commit by commit gives.

The reference below is the rule written the plain way: a cell per file, word and pair, added to
commit after commit, renames moving (and merging) cells. Random histories with renames onto files
that have statistics of their own, deletions, sweeping commits and repeated runs of deltas.
"""

from __future__ import annotations

import random

import pytest

from analyzer import CommitChange, FileChange, HistoryDelta, HistorySettings, HistoryStats, accumulate_history

SETTINGS = HistorySettings(half_life=30.0, sweep_size=3, max_pair_files=5, kept_commits=50)
Cell = list[float]
Table = dict[str, Cell]


def reference(commits: tuple[CommitChange, ...]) -> dict[str, dict[tuple[str, ...], tuple[int, float]]]:
    """Every table as {key: (commits, weight)}, counted commit by commit."""
    files: Table = {}
    words: Table = {}
    pairs: dict[str, Table] = {}
    file_words: dict[str, Table] = {}
    decay = 0.5 ** (1.0 / SETTINGS.half_life)
    for position, commit in enumerate(commits):
        weight = decay ** (len(commits) - 1 - position)
        for change in commit.changes:
            if change.status == "R" and change.old_path and change.old_path != change.path:
                move(change.old_path, change.path, files, pairs, file_words)
            elif change.status == "D":
                move(change.path, None, files, pairs, file_words)
        paths = sorted({c.path for c in commit.changes if c.status != "D"})
        share = weight * min(1.0, SETTINGS.sweep_size / len(paths)) if paths else 0.0
        count(words, commit.words, weight)
        for path in paths:
            count(files, [path], share)
            count(file_words.setdefault(path, {}), commit.words, share)
            if 1 < len(paths) <= SETTINGS.max_pair_files:
                count(pairs.setdefault(path, {}), [p for p in paths if p != path], share)
    return {
        "files": {(k,): (int(c[0]), c[1]) for k, c in files.items()},
        "words": {(k,): (int(c[0]), c[1]) for k, c in words.items()},
        "pairs": {(a, b): (int(c[0]), c[1]) for a, row in pairs.items() for b, c in row.items()},
        "file_words": {(p, w): (int(c[0]), c[1]) for p, row in file_words.items() for w, c in row.items()},
    }


def count(table: Table, keys: list[str] | tuple[str, ...], weight: float) -> None:
    for key in keys:
        cell = table.setdefault(key, [0, 0.0])
        cell[0] += 1
        cell[1] += weight


def add(table: Table, key: str, cell: Cell) -> None:
    held = table.get(key)
    table[key] = cell if held is None else [held[0] + cell[0], held[1] + cell[1]]


def move(
    old: str, new: str | None, files: Table, pairs: dict[str, Table], file_words: dict[str, Table]
) -> None:
    """`old`'s cells moved to `new` (added to what `new` has, `new`'s first), or dropped."""
    cell = files.pop(old, None)
    row = file_words.pop(old, {})
    partners = pairs.pop(old, {})
    for other in partners:
        pairs[other].pop(old)
    if new is None or cell is None:
        return
    add(files, new, cell)
    for word, counted in row.items():
        add(file_words.setdefault(new, {}), word, counted)
    for other, counted in partners.items():
        if other != new:
            add(pairs.setdefault(new, {}), other, counted)
            pairs[other][new] = list(pairs[new][other])
    pairs.get(new, {}).pop(old, None)


def counted(stats: HistoryStats) -> dict[str, dict[tuple[str, ...], tuple[int, float]]]:
    return {
        "files": {(k,): (t.commits, t.weight) for k, t in stats.files.items()},
        "words": {(k,): (t.commits, t.weight) for k, t in stats.words.items()},
        "pairs": {(a, b): (t.commits, t.weight) for a, row in stats.cochange.items() for b, t in row.items()},
        "file_words": {(p, w): (c, x) for p, w, c, x in stats.file_words.rows()},
    }


def history(seed: int) -> tuple[CommitChange, ...]:
    rnd = random.Random(seed)
    paths = [f"d{n % 3}/f{n}.py" for n in range(10)]
    commits = []
    for n in range(150):
        changes = []
        for path in rnd.sample(paths, rnd.choice([1, 1, 2, 3, 4, 7])):
            roll = rnd.random()
            if roll < 0.08:
                changes.append(FileChange(path, "D"))
            elif roll < 0.2:
                changes.append(FileChange(rnd.choice(paths), "R", path))  # often onto a file with history
            else:
                changes.append(FileChange(path, "M"))
        words = tuple(rnd.sample(["login", "token", "cache", "route", "fix"], rnd.randrange(0, 4)))
        commits.append(CommitChange(f"{n:040x}", n, words, tuple(changes)))
    return tuple(commits)


def nonempty(tables: dict[str, dict[tuple[str, ...], tuple[int, float]]]) -> dict[str, object]:
    return {name: {k: v for k, v in table.items() if v[0]} for name, table in tables.items()}


@pytest.mark.parametrize("seed", range(12))
def test_counted_over_arrays_as_commit_by_commit(seed: int) -> None:
    commits = history(seed)
    stats = accumulate_history(None, HistoryDelta(None, commits[-1].sha, True, commits), SETTINGS)
    assert counted(stats) == nonempty(reference(commits))
    assert list(stats.files) == sorted(stats.files) and list(stats.cochange) == sorted(stats.cochange)
    assert all(list(row) == sorted(row) for row in stats.cochange.values())


def test_a_delta_counted_on_from_stored_statistics_gives_what_one_delta_gives() -> None:
    commits = history(99)
    first = HistoryDelta(None, commits[59].sha, True, commits[:60])
    second = HistoryDelta(commits[59].sha, commits[-1].sha, False, commits[60:])
    stepwise = accumulate_history(accumulate_history(None, first, SETTINGS), second, SETTINGS)
    whole = accumulate_history(None, HistoryDelta(None, commits[-1].sha, True, commits), SETTINGS)
    assert counted(stepwise).keys() == counted(whole).keys()
    for name, table in counted(whole).items():
        assert counted(stepwise)[name].keys() == table.keys()
        for key, (commit_count, weight) in table.items():
            assert counted(stepwise)[name][key][0] == commit_count
            assert counted(stepwise)[name][key][1] == pytest.approx(weight)
