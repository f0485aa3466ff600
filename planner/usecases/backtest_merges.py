"""Backtest by real merges: which pairs of a window's changes really conflict under `git
merge-tree`, and how many of those a plan runs side by side (its merge leak).

The rule. Every task of a window starts from the window's start (the commit just before its first
change), so each change is replayed once onto that start (`analyzer.merges.replay`) and two
changes really conflict when `git merge-tree` cannot merge their replayed commits cleanly (merge
base: the start; renames followed).

A change that does not replay cleanly onto the start is left out of those merges (and counted): it
rewrites what an earlier change wrote — of the window, or a commit the backtest skips — so it
cannot exist without that change. Such pairs are the likeliest to conflict, and in a linear
history they are most same-file pairs (on flask, 117 of 140), so a same-file pair with a left-out
change is decided on its own: the earlier change is undone under the later one's parent (its
change reversed, replayed onto that parent) and the later change replayed onto the result; it
conflicts when that replay does not apply — the later change rewrites what the earlier one
wrote, as two agents starting together would have. When the earlier change cannot be undone there
(a change between them rewrote it, or wrote next to it), the pair is clean if the later change
applies on the earlier one's parent (it touches nothing written since), and otherwise undecided:
left out and counted.

Which pairs are merged. Two changes can only conflict where their changes meet, so a pair is
merged only when its changes (as replayed, and as the history lists them) share a path, or when
the paths meet in one of the two ways `git merge-tree` also finds without a shared path:
- a file against a folder: one change makes `x` a file while the other changes `x/…`;
- a folder renamed: one change removes files from a folder (a rename is a deletion and an
  addition: paths are listed without rename detection, both names of a rename) while the other
  adds a file in that folder — git moves the new file after the folder's other files and reports a
  conflict ("file location") though no path is shared.
A rename of a single file is covered by sharing: both names are changed paths, so an edit of the
old name or an addition at the new one shares a path with it. Every other pair merges cleanly
without asking git: two changes that change no path in common, and do neither of the above, leave
each other's files as they are. Each merge is asked once per pair and window, and both plans of a
window are scored on the same answers.

Nothing is written to the repository: the replays and merges run in a scratch repository that
borrows its objects (git alternates), and their commits and trees go with it.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from analyzer.merges import MergeError, commit_tree, git_output, merge, replay, tree_of

log = logging.getLogger(__name__)

Pair = tuple[int, int]


class Change(Protocol):
    """What this module reads of a change of the history (`backtest.Change`): its commit, its
    parent and the files it changed."""

    @property
    def commit(self) -> str: ...
    @property
    def base(self) -> str: ...
    @property
    def files(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class MergeScore:
    """Real merges of one window, and how one plan did on them."""

    same_file_pairs: int
    """Pairs of replayed changes that changed a file in common (the file leak's pairs)."""
    same_file_conflicts: int
    """Of those, the pairs that really conflict under `git merge-tree`."""
    conflicts: int
    """Every pair of replayed changes that really conflicts (some share no file)."""
    leaked: int
    """Really conflicting pairs the plan runs concurrently."""
    left_out: int
    """Changes of the window that did not replay cleanly onto its start (their same-file pairs
    decided one by one)."""
    undecided: int
    """Same-file pairs with a left-out change whose earlier change cannot be undone under the
    later one: in none of the counts above."""

    @property
    def leak(self) -> float:
        """The merge leak: the share of really conflicting pairs the plan runs concurrently."""
        return self.leaked / self.conflicts if self.conflicts else 0.0


@dataclass(frozen=True)
class Paths:
    """What one replayed change did to the tree: the paths it changed, added and deleted."""

    changed: frozenset[str]
    added: frozenset[str]
    deleted: frozenset[str]


def folders(paths: frozenset[str]) -> set[str]:
    """Every folder the paths are in (their parents, grandparents, …; the top left out)."""
    found: set[str] = set()
    for path in paths:
        parts = path.split("/")[:-1]
        found.update("/".join(parts[: n + 1]) for n in range(len(parts)))
    return found


def may_conflict(a: Paths, b: Paths) -> bool:
    """Whether two changes meet where a merge can conflict: a shared path, a file against a
    folder, or a folder one empties (renames) while the other adds to it. Otherwise the merge is
    clean without asking git (see the module's docstring)."""
    if a.changed & b.changed:
        return True
    if a.changed & folders(b.changed) or b.changed & folders(a.changed):
        return True
    return bool(folders(a.deleted) & folders(b.added) or folders(b.deleted) & folders(a.added))


def _paths(scratch: Path, onto: str, commit: str) -> Paths:
    """The paths a replayed commit changed on `onto` (no rename detection: both names)."""
    diff = git_output(scratch, "diff-tree", "-r", "--no-renames", "--name-status", "-z", onto, commit)
    fields = diff.split("\0")
    status = dict(zip(fields[1::2], fields[0::2], strict=False))
    status.pop("", None)
    return Paths(
        changed=frozenset(status),
        added=frozenset(p for p, s in status.items() if s == "A"),
        deleted=frozenset(p for p, s in status.items() if s == "D"),
    )


class WindowMerges:
    """The real merges of one window: each change replayed once onto the window's start, each pair
    that can conflict merged once. `ids` are the window's task ids, in the window's order."""

    def __init__(self, scratch: Path, window: Sequence[Change], ids: Sequence[int]) -> None:
        start = window[0].base
        truth = {task: frozenset(change.files) for task, change in zip(ids, window, strict=True)}
        replayed: dict[int, Paths] = {}
        commits: dict[int, str] = {}
        for task, change in zip(ids, window, strict=True):
            try:
                moved = replay(scratch, change.commit, start)
                if moved is not None:
                    replayed[task], commits[task] = _paths(scratch, start, moved), moved
            except MergeError as error:
                log.warning("cannot replay %s onto %s: %s", change.commit, start, error)
        same_file = {(a, b) for a, b in itertools.combinations(ids, 2) if truth[a] & truth[b]}
        merged = {pair for pair in same_file if set(pair) <= replayed.keys()}
        merged |= {
            (a, b)
            for a, b in itertools.combinations([t for t in ids if t in replayed], 2)
            if may_conflict(replayed[a], replayed[b])
        }
        of = dict(zip(ids, window, strict=True))
        alone = {(a, b): _rewrites(scratch, of[a], of[b]) for a, b in same_file - merged}
        conflicting = {pair for pair in merged if _conflict(scratch, commits, pair)}
        self.conflicting = frozenset(conflicting | {pair for pair, rewrites in alone.items() if rewrites})
        self.undecided = frozenset(pair for pair, rewrites in alone.items() if rewrites is None)
        self.same_file = frozenset(same_file - self.undecided)
        self.left_out = len(window) - len(replayed)
        self.merges = len(merged)

    def score(self, concurrent: Callable[[int, int], bool]) -> MergeScore:
        """How a plan (`concurrent`: whether it runs two tasks side by side) did on this window."""
        return MergeScore(
            same_file_pairs=len(self.same_file),
            same_file_conflicts=len(self.same_file & self.conflicting),
            conflicts=len(self.conflicting),
            leaked=sum(1 for a, b in self.conflicting if concurrent(a, b)),
            left_out=self.left_out,
            undecided=len(self.undecided),
        )


def _conflict(scratch: Path, commits: dict[int, str], pair: Pair) -> bool:
    """Whether the two replayed changes conflict under `git merge-tree`; a merge git cannot make
    (a missing object) is warned about and counted as clean."""
    try:
        return not merge(scratch, commits[pair[0]], commits[pair[1]]).clean
    except MergeError as error:
        log.warning("cannot merge %s and %s: %s", commits[pair[0]], commits[pair[1]], error)
        return False


def _rewrites(scratch: Path, earlier: Change, later: Change) -> bool | None:
    """Whether `later` rewrites what `earlier` wrote: `earlier` undone under `later`'s parent, does
    `later` still apply? When `earlier` cannot be undone there: no if `later` applies on `earlier`'s
    parent, else None (undecided; also when git cannot tell)."""
    try:
        undo = commit_tree(scratch, tree_of(scratch, earlier.base), (earlier.commit,), "execplan: undo")
        without = replay(scratch, undo, later.base)
        if without is None:
            return False if replay(scratch, later.commit, earlier.base) is not None else None
        return replay(scratch, later.commit, without) is None
    except MergeError as error:
        log.warning("cannot tell whether %s rewrites %s: %s", later.commit, earlier.commit, error)
        return None
