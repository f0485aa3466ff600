"""Backtest: replay a repository's own history as task sets and score the plans made for them.

Each usable first-parent change (a commit, or a merged pull request's message) becomes a task
whose description is its message and whose truth is the files it changed. A window of `size`
consecutive changes is planned as if its tasks were about to start together, on a copy of the
repository as it was just before the window (history up to there only). Scores per window, as
shared/bench/taskbench.py computes them: file recall and precision, leak (the share of truly
conflicting pairs run concurrently) and speedup (tasks / makespan, counting tasks), next to the
dependency-only plan, which predicts nothing and runs each dependency level as one batch with a
worktree per epic (taskbench's `dependency_only`). With `merge`, each window's pairs are also
merged for real (`backtest_merges.py`) and each plan gets its merge leak beside its file leak.

A repository with missing or corrupt objects is replayed all the same: a change whose files git
cannot tell is left out with a warning, history ends (with a warning) at a commit git cannot read,
and the copy before a window borrows the repository's objects instead of copying them, so no
object outside what the analyzer reads is ever needed.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import re
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from analyzer.git_cli import run_git
from planner.core.errors import InvalidInputError
from planner.core.model import ExecutionPlan, PlanTask
from planner.core.planning import Planner
from planner.core.predictor import FilePredictor
from planner.core.settings import Settings
from planner.core.tasks import PlanningTask
from planner.core.worktrees import assemble_batch, group_batch
from planner.usecases.backtest_merges import MergeScore, WindowMerges

_SKIP = re.compile(
    r"^(Merge branch|Merge remote|Bump version|bump version|Release |release |Prepare release|version \d|"
    r"v?\d+\.\d+(\.\d+)?$)",
    re.I,
)
MAX_FILES = 20
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Change:
    """One change of the history: its commit, its parent, its message and the files it changed."""

    commit: str
    base: str
    message: str
    files: tuple[str, ...]


@dataclass(frozen=True)
class Score:
    """How a plan did on one window."""

    recall: float
    precision: float
    leak: float
    speedup: float
    conflict_pairs: int
    batches: int
    merge: MergeScore | None = None
    """The window's real merges and this plan's merge leak, when asked for."""


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise InvalidInputError(f"git {args[0]} in {repo} failed: {done.stderr.strip()}")
    return done.stdout


def _message(repo: Path, commit: str, parents: list[str]) -> str | None:
    text = _git(repo, "log", "-1", "--format=%B", commit).strip()
    if len(parents) == 1:
        return None if _SKIP.match(text) else text
    subject, _, body = text.partition("\n")
    if subject.startswith("Merge pull request"):
        return body.strip() or None
    return None


def history_changes(repo: Path, limit: int = 1500, rev: str = "HEAD") -> list[Change]:
    """Usable changes of the last `limit` first-parent commits up to `rev`, oldest first."""
    listing = run_git(repo, "log", "--first-parent", f"-{limit}", "--format=%H %P", rev)
    rows = listing.out.decode("ascii", "replace").splitlines()
    if not listing.ok and not rows:
        raise InvalidInputError(f"git log in {repo} failed: {listing.error}")
    if not listing.ok:
        log.warning("cannot read the whole history of %s (%s); replaying the %d newest commits",
                    repo, listing.error, len(rows))  # fmt: skip
    changes = []
    for row in reversed(rows):
        commit, *parents = row.split()
        if not parents:
            continue
        message = _message(repo, commit, parents)
        if not message or len(message) < 12:
            continue
        diff = run_git(repo, "diff", "--name-only", "-z", "--no-renames", parents[0], commit)
        if not diff.ok:
            log.warning("skipping commit %s of %s: %s", commit, repo, diff.error)
            continue
        files = tuple(sorted({p for p in diff.out.decode("utf-8", "replace").split("\0") if p}))
        if 1 <= len(files) <= MAX_FILES:
            changes.append(Change(commit, parents[0], message, files))
    return changes


def windows(changes: Sequence[Change], size: int, count: int, seed: int) -> list[list[Change]]:
    """`count` windows of `size` consecutive changes, at starts drawn with `seed`."""
    if len(changes) < size * count:
        raise InvalidInputError(
            f"only {len(changes)} usable changes in this history; "
            f"{count} windows of {size} need {size * count}"
        )
    starts = sorted(random.Random(seed).sample(range(0, len(changes) - size), count))
    return [list(changes[s : s + size]) for s in starts]


def window_tasks(window: Sequence[Change], epics: int = 4) -> list[PlanningTask]:
    """The window's changes as unfinished, independent tasks spread over `epics` epics in order."""
    per_epic = -(-len(window) // epics)
    return [
        PlanningTask(id=n + 1, key=f"T{n + 1}", epic_id=n // per_epic + 1, level=0, description=c.message)
        for n, c in enumerate(window)
    ]


def score(plan: ExecutionPlan, truth: dict[int, set[str]]) -> Score:
    """Recall, precision, leak and speedup of `plan` against the files each task really changed."""
    predicted = {t.id: {p.path for p in t.predicted_files} for t in plan.tasks}
    recalls, precisions = [], []
    for task_id, files in truth.items():
        got = predicted.get(task_id, set())
        recalls.append(len(got & files) / len(files))
        precisions.append(len(got & files) / len(got) if got else 0.0)
    worktree = plan.worktree_assignments
    pairs = [(a, b) for a, b in itertools.combinations(sorted(truth), 2) if truth[a] & truth[b]]
    together = side_by_side(plan)
    leaks = [(a, b) for a, b in pairs if together(a, b)]
    makespan = 0
    for batch in plan.batches:
        load: dict[str, int] = {}
        for t in batch.task_ids:
            load[worktree[t]] = load.get(worktree[t], 0) + 1
        makespan += max(load.values())
    return Score(
        recall=sum(recalls) / len(recalls),
        precision=sum(precisions) / len(precisions),
        leak=len(leaks) / len(pairs) if pairs else 0.0,
        speedup=len(truth) / makespan if makespan else 0.0,
        conflict_pairs=len(pairs),
        batches=len(plan.batches),
    )


def side_by_side(plan: ExecutionPlan) -> Callable[[int, int], bool]:
    """Whether `plan` runs two tasks concurrently: in the same batch, in different worktrees."""
    batch_of = {t: n for n, b in enumerate(plan.batches) for t in b.task_ids}
    worktree = plan.worktree_assignments
    return lambda a, b: batch_of[a] == batch_of[b] and worktree[a] != worktree[b]


def dependency_only_plan(tasks: Sequence[PlanningTask], settings: Settings) -> ExecutionPlan:
    """The reference plan: no predicted files; each level one batch, one worktree per epic."""
    levels: dict[int, list[PlanningTask]] = {}
    for task in tasks:
        levels.setdefault(task.level, []).append(task)
    batches, assignments = [], {}
    for number, level in enumerate(sorted(levels), start=1):
        worktrees = group_batch(levels[level], [], settings.capacity)
        for worktree in worktrees:
            assignments.update(dict.fromkeys(worktree.task_ids, worktree.name(number)))
        lanes = [(w.task_ids, w.minutes) for w in worktrees]
        batches.append(assemble_batch(number, lanes, number - 1 if number > 1 else None))
    plan_tasks = tuple(PlanTask(t.id, t.key, t.epic_id) for t in sorted(tasks, key=lambda t: t.id))
    return ExecutionPlan("backtest", "", 0, tuple(batches), assignments, (), tasks=plan_tasks)


async def plan_window(
    repo: Path, window: Sequence[Change], predictor: FilePredictor, settings: Settings
) -> ExecutionPlan:
    """Plan one window on a copy of `repo` as it was just before the window."""
    with tempfile.TemporaryDirectory(prefix="execplan-backtest-") as folder:
        copy = Path(folder) / "repo"
        await asyncio.to_thread(checkout_before, repo, window[0].base, copy)
        tasks = window_tasks(window)
        predicted = await predictor.predict(str(copy), tasks)
    tasks = [replace(t, predicted_files=predicted.get(t.id, ())) for t in tasks]
    return Planner(settings, predictor).plan("backtest", tasks)


def checkout_before(repo: Path, base: str, dest: Path) -> None:
    """A repository at `dest` whose history ends at `base`: no later commit is reachable.

    It borrows `repo`'s objects (git alternates) and has an index but no work tree, as nothing
    reads one: copying the objects (`git fetch`) or the files (`git checkout`) would fail on the
    first missing or corrupt one."""
    borrowing_repository(repo, dest)
    _git(dest, "update-ref", "--no-deref", "HEAD", base)
    index = run_git(dest, "read-tree", "HEAD")
    if not index.ok:
        log.warning("the copy of %s at %s has no index: %s", repo, base, index.error)


def borrowing_repository(repo: Path, dest: Path) -> None:
    """An empty repository at `dest` that reads `repo`'s objects (git alternates) and writes its
    own: `repo` itself is never written to."""
    objects = Path(_git(repo, "rev-parse", "--git-path", "objects").strip())
    dest.mkdir(parents=True)
    _git(dest, "init", "-q")
    alternates = Path(_git(dest, "rev-parse", "--git-path", "objects/info/alternates").strip())
    (dest / alternates).write_text(f"{(repo / objects).resolve()}\n")


async def backtest(
    repo: Path,
    predictor: FilePredictor,
    settings: Settings,
    size: int = 16,
    count: int = 8,
    seed: int = 7,
    rev: str = "HEAD",
    on_window: Callable[[int, Score, Score], None] | None = None,
    merge: bool = False,
) -> list[tuple[Score, Score]]:
    """(predicted plan's score, dependency-only plan's score) for each window; with `merge`, each
    with its real merges (`Score.merge`)."""
    results = []
    with tempfile.TemporaryDirectory(prefix="execplan-merges-") as folder:
        scratch = Path(folder) / "repo"
        if merge:
            await asyncio.to_thread(borrowing_repository, repo, scratch)
        for n, window in enumerate(windows(history_changes(repo, rev=rev), size, count, seed)):
            tasks = window_tasks(window)
            truth = {t.id: set(c.files) for t, c in zip(tasks, window, strict=True)}
            planned = await plan_window(repo, window, predictor, settings)
            plans = (planned, dependency_only_plan(tasks, settings))
            predicted, baseline = (score(plan, truth) for plan in plans)
            if merge:
                merges = await asyncio.to_thread(WindowMerges, scratch, window, [t.id for t in tasks])
                predicted, baseline = (
                    replace(s, merge=merges.score(side_by_side(plan)))
                    for s, plan in zip((predicted, baseline), plans, strict=True)
                )
            results.append((predicted, baseline))
            if on_window:
                on_window(n, predicted, baseline)
    return results
