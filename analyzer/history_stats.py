"""History statistics accumulated from `HistoryDelta`s: change counts, co-change, message words.

Each commit has a weight: recency decays it (its weight halves every `half_life` later commits)
and a sweeping commit of k > `sweep_size` files is discounted by `sweep_size / k`; commits of more
than `max_pair_files` files add no co-change pairs. Every count is kept twice, as whole commits
(for evidence like "14 of 20 commits") and as weight (for ranking). Renames carry a file's
statistics over to its new path; deleted files are dropped. The last `kept_commits` commits are
also kept whole (message words and files, under current names) for finding past commits similar to
a task. Accumulating deltas one after another gives the same statistics as one delta over the same
commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from analyzer.build_progress import Report
from analyzer.file_word_counts import FileWordCounts, Tally
from analyzer.gc_pause import no_cycle_collection
from analyzer.history import CommitChange, HistoryDelta


@dataclass(frozen=True)
class HistorySettings:
    """How commits are weighted; stats built with other settings must be rebuilt, not accumulated."""

    half_life: float = 400.0
    sweep_size: int = 12
    max_pair_files: int = 40
    kept_commits: int = 3000


@dataclass(frozen=True)
class KeptCommit:
    """A recent commit kept whole: its message words and the files it changed (current names)."""

    sha: str
    words: tuple[str, ...]
    paths: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class HistoryStats:
    """Accumulated history up to commit `head`. `cochange[a][b]` is symmetric;
    `file_words[path][word]` counts the commits whose message had `word` and changed `path`."""

    head: str = ""
    settings: HistorySettings = field(default_factory=HistorySettings)
    total: Tally = Tally(0, 0.0)
    files: Mapping[str, Tally] = field(default_factory=dict)
    cochange: Mapping[str, Mapping[str, Tally]] = field(default_factory=dict)
    words: Mapping[str, Tally] = field(default_factory=dict)
    file_words: Mapping[str, Mapping[str, Tally]] = field(default_factory=dict)
    recent: tuple[KeptCommit, ...] = ()
    """The last `settings.kept_commits` commits, oldest first."""


def merge_deltas(first: HistoryDelta, second: HistoryDelta) -> HistoryDelta:
    """One delta covering `first` then `second` (a `full` second replaces the first)."""
    if second.full:
        return second
    if second.since and first.until and second.since != first.until:
        raise ValueError(f"deltas do not meet: {first.until} then {second.since}")
    return HistoryDelta(
        since=first.since,
        until=second.until or first.until,
        full=first.full,
        commits=first.commits + second.commits,
    )


REPORT_EVERY = 500
"""How many commits `accumulate_history` counts between two reports."""


def accumulate_history(
    stats: HistoryStats | None,
    delta: HistoryDelta,
    settings: HistorySettings,
    on_progress: Report | None = None,
) -> HistoryStats:
    """`stats` with the commits of `delta` added (or rebuilt from it when `full`, or settings differ);
    `on_progress` hears the fraction of the commits counted, up to 1."""
    with no_cycle_collection():
        return _accumulate(stats, delta, settings, on_progress)


def _accumulate(
    stats: HistoryStats | None, delta: HistoryDelta, settings: HistorySettings, on_progress: Report | None
) -> HistoryStats:
    """`accumulate_history`, the cycle collector paused (`analyzer.gc_pause`)."""
    if stats is None or delta.full or stats.settings != settings:
        stats = HistoryStats(settings=settings)
    elif not delta.commits:
        if on_progress is not None:
            on_progress(1.0)
        return stats
    decay = 0.5 ** (1.0 / settings.half_life)
    scale = decay ** len(delta.commits)
    files = _cells(stats.files, scale)
    cochange = {a: _cells(row, scale) for a, row in stats.cochange.items()}
    words = _cells(stats.words, scale)
    file_words = FileWordCounts(stats.file_words, scale)
    total = Tally(stats.total.commits, stats.total.weight * scale)
    for position, commit in enumerate(delta.commits):
        weight = decay ** (len(delta.commits) - 1 - position)
        apply_renames(commit, files, cochange, file_words)
        total = total.plus(weight)
        add_commit(commit, weight, settings, files, cochange, words, file_words)
        if on_progress is not None and position % REPORT_EVERY == 0:
            on_progress(position / len(delta.commits))
    if on_progress is not None:
        on_progress(1.0)
    return HistoryStats(
        head=delta.until or stats.head,
        settings=settings,
        total=total,
        files=_tallies(files),
        cochange={a: _tallies(row) for a, row in cochange.items()},
        words=_tallies(words),
        file_words=file_words.tallies(Tally),
        recent=kept_commits(stats.recent, delta.commits, settings.kept_commits),
    )


Cell = list[float]
"""A `Tally` while it is being counted, `[commits, weight]` (commits an int): counted in place, so
that a commit adds to its cells instead of replacing a `Tally` per file, word and pair."""


def _cells(table: Mapping[str, Tally], scale: float) -> dict[str, Cell]:
    """Cells of `table`'s tallies, their weight decayed by `scale`."""
    return {key: [tally.commits, tally.weight * scale] for key, tally in table.items()}


def _tallies(cells: Mapping[str, Cell]) -> dict[str, Tally]:
    """The tallies counted in `cells`, in the same order."""
    return {key: Tally(int(cell[0]), cell[1]) for key, cell in cells.items()}


def kept_commits(
    kept: tuple[KeptCommit, ...], commits: tuple[CommitChange, ...], limit: int
) -> tuple[KeptCommit, ...]:
    """The last `limit` commits of `kept` then `commits`, every path renamed to its latest name.

    Walks from the newest commit back, so each commit's files go through the renames made after it.
    """
    alias: dict[str, str | None] = {}
    renamed: list[KeptCommit] = []
    for commit in reversed(commits):
        paths = [alias.get(change.path, change.path) for change in commit.changes if change.status != "D"]
        renamed.append(KeptCommit(commit.sha, commit.words, tuple(p for p in paths if p)))
        for change in commit.changes:
            if change.status == "R" and change.old_path:
                alias[change.old_path] = alias.get(change.path, change.path)
            elif change.status == "D":
                alias[change.path] = None
        if len(renamed) >= limit:
            break
    for old in reversed(kept[-max(0, limit - len(renamed)) :] if len(renamed) < limit else ()):
        paths = [alias.get(path, path) for path in old.paths]
        renamed.append(KeptCommit(old.sha, old.words, tuple(p for p in paths if p)))
    renamed.reverse()
    return tuple(renamed)


def apply_renames(
    commit: CommitChange,
    files: dict[str, Cell],
    cochange: dict[str, dict[str, Cell]],
    file_words: FileWordCounts,
) -> None:
    """Move every statistic of a renamed file to its new path, and drop deleted files."""
    for change in commit.changes:
        if change.status == "R" and change.old_path and change.old_path != change.path:
            move_path(change.old_path, change.path, files, cochange, file_words)
        elif change.status == "D":
            move_path(change.path, None, files, cochange, file_words)


def _merge(table: dict[str, Cell], key: str, cell: Cell) -> None:
    """Add `cell`'s counts to `table[key]`, or put it there when `key` has none."""
    held = table.get(key)
    if held is None:
        table[key] = cell
    else:
        held[0] += cell[0]
        held[1] += cell[1]


def move_path(
    old: str,
    new: str | None,
    files: dict[str, Cell],
    cochange: dict[str, dict[str, Cell]],
    file_words: FileWordCounts,
) -> None:
    """Rename `old` to `new` in every table (None: forget `old`); counts merge if `new` has some."""
    tally = files.pop(old, None)
    if new is not None and tally is not None:
        _merge(files, new, tally)
    for other, shared in cochange.pop(old, {}).items():
        cochange[other].pop(old, None)
        if new is None or other == new:
            continue
        row = cochange.setdefault(new, {})
        _merge(row, other, shared)
        cochange[other][new] = list(row[other])  # a cell of its own: each side is counted apart
    file_words.move(old, new)


def add_commit(
    commit: CommitChange,
    weight: float,
    settings: HistorySettings,
    files: dict[str, Cell],
    cochange: dict[str, dict[str, Cell]],
    words: dict[str, Cell],
    file_words: FileWordCounts,
) -> None:
    """Count one commit of the given recency weight."""
    paths = sorted({change.path for change in commit.changes if change.status != "D"})
    size = len(paths)
    discounted = weight * min(1.0, settings.sweep_size / size) if size else 0.0
    _count(words, commit.words, weight)
    word_ids = file_words.word_ids(commit.words)
    for path in paths:
        _count(files, (path,), discounted)
        file_words.add(path, word_ids, discounted)
    if 1 < size <= settings.max_pair_files:
        for a in paths:
            row = cochange.get(a)
            if row is None:
                row = cochange[a] = {}
            _count(row, [b for b in paths if b != a], discounted)


def _count(cells: dict[str, Cell], keys: Iterable[str], weight: float) -> None:
    """One more commit of `weight` for each of `keys`."""
    for key in keys:
        cell = cells.get(key)
        if cell is None:
            cells[key] = [1, weight]
        else:
            cell[0] += 1
            cell[1] += weight


def cochange_rows(stats: HistoryStats) -> Iterator[tuple[str, str, Tally]]:
    """Each co-changing pair once, as (a, b, tally) with a < b: the rows to store."""
    for a, row in stats.cochange.items():
        for b, tally in row.items():
            if a < b:
                yield a, b, tally


def stats_from_rows(
    head: str,
    settings: HistorySettings,
    total: Tally,
    files: Mapping[str, Tally],
    pairs: Iterable[tuple[str, str, Tally]],
    words: Mapping[str, Tally],
    file_words: Iterable[tuple[str, str, Tally]],
    recent: Iterable[KeptCommit] = (),
) -> HistoryStats:
    """Statistics rebuilt from stored rows (pairs once each, file words as (path, word, tally))."""
    cochange: dict[str, dict[str, Tally]] = defaultdict(dict)
    for a, b, tally in pairs:
        cochange[a][b] = tally
        cochange[b][a] = tally
    by_path: dict[str, dict[str, Tally]] = defaultdict(dict)
    for path, word, tally in file_words:
        by_path[path][word] = tally
    return HistoryStats(
        head=head,
        settings=settings,
        total=total,
        files=dict(files),
        cochange=dict(cochange),
        words=dict(words),
        file_words=dict(by_path),
        recent=tuple(recent),
    )


def cochange_confidence(stats: HistoryStats, seed: str, other: str) -> float:
    """Weighted share of `seed`'s changes that also changed `other` (0 when never seen)."""
    shared = stats.cochange.get(seed, {}).get(other)
    changes = stats.files.get(seed)
    if shared is None or changes is None or changes.weight <= 0:
        return 0.0
    return min(1.0, shared.weight / changes.weight)


def change_rate(stats: HistoryStats, path: str) -> float:
    """Weighted share of all commits that changed `path`: its base rate of change."""
    tally = stats.files.get(path)
    if tally is None or stats.total.weight <= 0:
        return 0.0
    return min(1.0, tally.weight / stats.total.weight)
