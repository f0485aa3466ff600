"""The order to merge a finished batch's branches into the base that keeps conflicts fewest.

Merges are simulated one after another with the one merge of `analyzer.merges` (git merge-tree),
each result a new commit object on the one before and the branch merged (a conflicting merge's
tree keeps git's conflict markers: what a person would resolve is still in the way of the next
merge); no ref and no working tree is written. Every order is tried for up to
`EXHAUSTIVE_UP_TO` branches (states reached by different orders with the same tree are merged
once; an order already worse than the best is dropped; at most `MERGE_BUDGET` merges), a greedy
order beyond. Best is fewest conflicting merges, then fewest conflicting files, then conflicts as
late as possible. The pairs whose own merge conflicts will need a person whatever the order.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Any

from analyzer.git_worktrees import branch_commit
from analyzer.merges import commit_tree, merge, tree_of
from planner.core.errors import NotFoundError
from planner.core.settings import Settings
from planner.storage.database import Database
from planner.usecases.worktrees import Layout, base_commit, git_work, load_layout

EXHAUSTIVE_UP_TO = 7
MERGE_BUDGET = 3000
"""Merges the exhaustive search simulates at most; past it, the best order found so far."""

State = tuple[str, frozenset[str]]
"""A simulated merge result: its tree and the branches merged into it."""


@dataclass(frozen=True)
class MergeStep:
    """One branch merged onto what the steps before made: the files that conflict, if any."""

    branch: str
    files: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"branch": self.branch, "clean": not self.files, "files": list(self.files)}


@dataclass(frozen=True)
class MergeOrder:
    """The proposed order, the pairs that need a person (their own merge conflicts), the batch's
    worktrees that have no branch, and how the order was found."""

    project_id: str
    project_name: str
    batch: int
    base: str
    steps: tuple[MergeStep, ...]
    needs_person: tuple[tuple[tuple[str, str], tuple[str, ...]], ...]
    missing: tuple[str, ...]
    orders_tried: int
    exhaustive: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "project_id": self.project_id,
            "batch": self.batch,
            "base": self.base,
            "order": [step.to_dict() for step in self.steps],
            "needs_person": [
                {"branches": list(pair), "files": list(files)} for pair, files in self.needs_person
            ],
            "missing": list(self.missing),
            "orders_tried": self.orders_tried,
            "exhaustive": self.exhaustive,
        }


class _Simulation:
    """Merges onto simulated states, each (state, branch) merged once, commits made when needed."""

    def __init__(self, repo: str, base: str, tips: dict[str, str]) -> None:
        self.repo, self.tips = repo, tips
        self.root: State = (tree_of(repo, base), frozenset())
        self.commits: dict[State, str] = {self.root: base}
        self.made_by: dict[State, tuple[State, str]] = {}
        self.results: dict[tuple[State, str], tuple[State, tuple[str, ...]]] = {}
        self.merges = 0

    def commit(self, state: State) -> str:
        if state not in self.commits:
            parent, branch = self.made_by[state]
            parents = (self.commit(parent), self.tips[branch])
            self.commits[state] = commit_tree(self.repo, state[0], parents, f"execplan: {branch} merged")
        return self.commits[state]

    def merge_into(self, state: State, branch: str) -> tuple[State, tuple[str, ...]]:
        """The state after merging `branch` onto `state`, and the files that conflicted."""
        key = (state, branch)
        if key not in self.results:
            result = merge(self.repo, self.commit(state), self.tips[branch])
            self.merges += 1
            after: State = (result.tree, state[1] | {branch})
            self.made_by.setdefault(after, (state, branch))
            self.results[key] = (after, result.conflicted)
        return self.results[key]


def _score(steps: list[tuple[str, ...]]) -> tuple[int, int, int]:
    """Conflicting merges, conflicting files, and how early the conflicts come (less is better)."""
    return (
        sum(1 for files in steps if files),
        sum(len(files) for files in steps),
        -sum(n for n, files in enumerate(steps) if files),
    )


def _exhaustive(sim: _Simulation, branches: list[str]) -> tuple[list[str], list[tuple[str, ...]], int, bool]:
    best: tuple[tuple[int, int, int], list[str], list[tuple[str, ...]]] | None = None
    tried = 0
    complete = True

    def visit(state: State, order: list[str], steps: list[tuple[str, ...]], cost: tuple[int, int]) -> None:
        nonlocal best, tried, complete
        if len(order) == len(branches):
            tried += 1
            score = _score(steps)
            if best is None or score < best[0]:
                best = (score, list(order), list(steps))
            return
        if best is not None and cost > best[0][:2]:
            return
        for branch in branches:
            if branch in state[1]:
                continue
            if best is not None and sim.merges >= MERGE_BUDGET:
                complete = False
                return
            after, files = sim.merge_into(state, branch)
            visit(after, [*order, branch], [*steps, files], (cost[0] + bool(files), cost[1] + len(files)))

    visit(sim.root, [], [], (0, 0))
    assert best is not None
    return best[1], best[2], tried, complete


def _greedy(
    sim: _Simulation, branches: list[str], conflicting: set[frozenset[str]]
) -> tuple[list[str], list[tuple[str, ...]]]:
    """Each step the branch that merges with the fewest conflicting files now, then the one that
    conflicts by itself with the fewest branches still to merge (those wait: their conflicts come
    once, at the end)."""
    state = sim.root
    order: list[str] = []
    steps: list[tuple[str, ...]] = []
    left = list(branches)
    while left:

        def cost(branch: str, state: State = state) -> tuple[int, int, int]:
            against = sum(1 for other in left if frozenset((branch, other)) in conflicting)
            return len(sim.merge_into(state, branch)[1]), against, left.index(branch)

        choice = min(left, key=cost)
        state, files = sim.merge_into(state, choice)
        order.append(choice)
        steps.append(files)
        left.remove(choice)
    return order, steps


def _propose(layout: Layout, batch: int, base: str) -> MergeOrder:
    repo = str(layout.repo)
    tips: dict[str, str] = {}
    missing: list[str] = []
    for w in layout.in_batch(batch):
        tip = branch_commit(repo, w.name)
        if tip is None:
            missing.append(w.name)
        else:
            tips[w.name] = tip
    if not tips:
        raise NotFoundError(
            f"no branch of batch {batch} of project {layout.project_name!r} exists in {layout.repo}: "
            f"`execplan worktrees create {layout.project_name} --batch {batch}` makes them"
        )
    pairs = [((a, b), merge(repo, tips[a], tips[b]).conflicted) for a, b in combinations(tips, 2)]
    needs_person = [(pair, files) for pair, files in pairs if files]
    against = {b: sum(1 for pair, _ in needs_person if b in pair) for b in tips}
    branches = sorted(tips, key=lambda b: (against[b], b))  # the likely best first: found early
    sim = _Simulation(repo, base, tips)
    if len(branches) <= EXHAUSTIVE_UP_TO:
        order, steps, tried, complete = _exhaustive(sim, branches)
    else:
        conflicting = {frozenset(pair) for pair, _ in needs_person}
        (order, steps), tried, complete = _greedy(sim, branches, conflicting), 1, False
    return MergeOrder(
        project_id=layout.project_id,
        project_name=layout.project_name,
        batch=batch,
        base=base,
        steps=tuple(MergeStep(b, f) for b, f in zip(order, steps, strict=True)),
        needs_person=tuple(needs_person),
        missing=tuple(missing),
        orders_tried=tried,
        exhaustive=complete,
    )


async def merge_order(
    db: Database, project_id: str, settings: Settings, batch: int, base: str | None = None
) -> MergeOrder:
    """The order to merge the batch's branches (those that exist) into `base` (default the
    repository's HEAD) with the fewest conflicts."""
    layout = await load_layout(db, project_id, settings, batch)
    start = await git_work(base_commit, layout.repo, base)
    return await git_work(_propose, layout, batch, start)
