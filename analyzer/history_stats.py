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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from analyzer.build_progress import Report
from analyzer.gc_pause import no_cycle_collection
from analyzer.history import CommitChange, HistoryDelta
from analyzer.history_counts import Counting
from analyzer.history_tables import CoChange, FileWords, Tally


@dataclass(frozen=True)
class HistorySettings:
    """How commits are weighted; stats built with other settings must be rebuilt, not accumulated."""

    half_life: float = 400.0
    sweep_size: int = 12
    max_pair_files: int = 40
    kept_commits: int = 3000


@dataclass(frozen=True, slots=True)
class KeptCommit:
    """A recent commit kept whole: its message words and the files it changed (current names)."""

    sha: str
    words: tuple[str, ...]
    paths: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class HistoryStats:
    """Accumulated history up to commit `head`, every table sorted by name. `cochange[a][b]` is
    symmetric; `file_words` counts, per (word, path), the commits whose message had the word and
    changed the path."""

    head: str = ""
    settings: HistorySettings = field(default_factory=HistorySettings)
    total: Tally = Tally(0, 0.0)
    files: Mapping[str, Tally] = field(default_factory=dict)
    cochange: CoChange = field(default_factory=CoChange)
    words: Mapping[str, Tally] = field(default_factory=dict)
    file_words: FileWords = field(default_factory=FileWords)
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
    counting = Counting(
        settings.sweep_size, settings.max_pair_files, stats.files, stats.words, stats.cochange,
        stats.file_words, scale,
    )  # fmt: skip
    commits, weight = stats.total.commits, stats.total.weight * scale
    for position, commit in enumerate(delta.commits):
        recency = decay ** (len(delta.commits) - 1 - position)
        counting.add(commit, recency)
        commits, weight = commits + 1, weight + recency
        if on_progress is not None and position % REPORT_EVERY == 0:
            on_progress(position / len(delta.commits))
    files, words, cochange, file_words = counting.result()
    if on_progress is not None:
        on_progress(1.0)
    return HistoryStats(
        head=delta.until or stats.head,
        settings=settings,
        total=Tally(commits, weight),
        files=files,
        cochange=cochange,
        words=words,
        file_words=file_words,
        recent=kept_commits(stats.recent, delta.commits, settings.kept_commits),
    )


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


def stats_from_rows(
    head: str,
    settings: HistorySettings,
    total: Tally,
    files: Mapping[str, Tally],
    pairs: Iterable[tuple[str, str, int, float]],
    words: Mapping[str, Tally],
    file_words: Iterable[tuple[str, str, int, float]],
    recent: Iterable[KeptCommit] = (),
) -> HistoryStats:
    """Statistics rebuilt from stored rows, in any order (pairs as (a, b, commits, weight), once
    each; file words as (path, word, commits, weight))."""
    return HistoryStats(
        head=head,
        settings=settings,
        total=total,
        files=dict(sorted(files.items())),
        cochange=CoChange.from_rows(pairs),
        words=dict(sorted(words.items())),
        file_words=FileWords.from_rows(file_words),
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
