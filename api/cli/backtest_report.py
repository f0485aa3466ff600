"""`execplan backtest`: runs planner.backtest with a progress bar and prints its scores as a table,
then its verdict in one line (with `--merge`, a merge leak column and a line on the real merges
too). Warnings logged during the run (the analyzer's `skipping …` lines)
are held back from the progress bar and summed up after it: a count by kind, a few examples."""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from statistics import mean

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from api.cli.terminal import console as terminal_console
from api.cli.terminal import markup
from planner.core.errors import InvalidInputError
from planner.core.settings import Settings
from planner.predictors.default import default_predictor
from planner.usecases.backtest import Score, backtest
from planner.usecases.backtest_merges import MergeScore

EXAMPLES = 3
"""Examples of each kind of warning printed after the run."""
_PLACEHOLDER = re.compile(r"%(\([^)]*\))?[-#0 +]*(\*|\d+)?(\.(\*|\d+))?[a-zA-Z%]")
_VALUE = re.compile(r"[^\s:;,()]*[/.\d][^\s:;,()]*")
"""A word of a message that is a value: a path, a file name, a number, a commit."""


def merge_leak(scores: Sequence[Score]) -> tuple[int, int, str]:
    """Over every window with real merges: the pairs that really conflict, those of them the plans
    run concurrently, and the merge leak as shown (`-` where none conflict)."""
    merges = [s.merge for s in scores if s.merge]
    conflicts, leaked = sum(m.conflicts for m in merges), sum(m.leaked for m in merges)
    return conflicts, leaked, f"{leaked / conflicts:.2f}" if conflicts else "-"


def _row(name: str, scores: list[Score], merge: bool = False) -> list[str]:
    return [
        name,
        f"{mean(s.recall for s in scores):.2f}",
        f"{mean(s.precision for s in scores):.2f}",
        f"{mean(s.leak for s in scores):.2f}",
        *([merge_leak(scores)[2]] if merge else []),
        f"{mean(s.speedup for s in scores):.2f}",
        f"{mean(s.batches for s in scores):.1f}",
    ]


def verdict(scores: Sequence[Score]) -> str:
    """The backtest in one line: the true conflicts (pairs of tasks that changed a file in common)
    the plans kept apart, of all of them, then (with real merges) the pairs that really conflict
    under git merge-tree kept apart and the merge leak, and their mean speedup over one task at a
    time."""
    pairs = sum(s.conflict_pairs for s in scores)
    leaked = sum(round(s.leak * s.conflict_pairs) for s in scores)
    speed = mean(s.speedup for s in scores) if scores else 0.0
    real = ""
    if any(s.merge for s in scores):
        conflicts, merge_leaked, shown = merge_leak(scores)
        real = (
            f" (pairs sharing a file) and {conflicts - merge_leaked} of {conflicts} real merge conflicts "
            f"(merge leak {shown})"
        )
    return (
        f"on this repository the predictor would have avoided {pairs - leaked} of {pairs} conflicts"
        f"{real} at {speed:.1f}x the speed of running one at a time"
    )


def merge_summary(merges: Sequence[MergeScore]) -> str:
    """The real merges of the whole run in one line: the same-file pairs, how many really conflict,
    the conflicting pairs that share no file, the changes left out of the replays and the pairs
    left undecided."""
    same_file = sum(m.same_file_pairs for m in merges)
    really = sum(m.same_file_conflicts for m in merges)
    elsewhere = sum(m.conflicts for m in merges) - really
    left_out, undecided = sum(m.left_out for m in merges), sum(m.undecided for m in merges)
    return (
        f"real merges (git merge-tree, each change replayed onto its window's start): {same_file} "
        f"same-file pairs, {really} of them really conflict; {elsewhere} conflicting pairs share no file; "
        f"{left_out} changes did not replay onto the start (their same-file pairs decided one by one: "
        f"{undecided} undecided, left out)"
    )


class _Held(logging.Handler):
    """Keeps the warnings logged while it is installed, to print them after the run."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def held_warnings() -> Iterator[list[logging.LogRecord]]:
    """Warnings logged inside the block go to the list it yields instead of the log's handlers."""
    root = logging.getLogger()
    held, kept = _Held(), root.handlers[:]
    root.handlers[:] = [held]
    try:
        yield held.records
    finally:
        root.handlers[:] = kept


def warning_kind(record: logging.LogRecord) -> str:
    """A warning's kind: its message with the values left out (`skipping …: binary content`) —
    those of its format, or, when the format is all values (a worker's warning logged again as
    `%s`), the words that look like values (paths, numbers)."""
    kind = " ".join(_PLACEHOLDER.sub("…", str(record.msg)).split())
    if not any(char.isalpha() for char in kind):
        kind = " ".join(_VALUE.sub("…", record.getMessage()).split())
    return kind


def warning_summary(records: Sequence[logging.LogRecord], console: Console) -> None:
    """How many warnings of each kind (the message with its values left out), with examples."""
    if not records:
        return
    kinds: dict[str, list[str]] = {}
    for record in records:
        kinds.setdefault(warning_kind(record), []).append(record.getMessage())
    console.print(
        f"{len(records)} warnings during the backtest:", markup=False, highlight=False, soft_wrap=True
    )
    for kind, messages in sorted(kinds.items(), key=lambda item: (-len(item[1]), item[0])):
        console.print(f"  {len(messages)}: {markup(kind)}", highlight=False, soft_wrap=True)
        for message in messages[:EXAMPLES]:
            console.print(f"      e.g. {markup(message)}", highlight=False, soft_wrap=True)
        if len(messages) > EXAMPLES:
            console.print(
                f"      … and {len(messages) - EXAMPLES} more", markup=False, highlight=False, soft_wrap=True
            )


def run_backtest(
    repo: Path, *, size: int, windows: int, seed: int, rev: str, settings: Settings, merge: bool = False
) -> int:
    """Backtest `repo` and print per-window and mean scores (with `merge`, the merge leaks and the
    real merges too); returns the exit code."""
    if not repo.is_dir():
        raise InvalidInputError(f"--repo: {repo} is not a directory")
    console = terminal_console()
    try:
        with held_warnings() as warnings, Progress(console=console, transient=True) as progress:
            bar = progress.add_task("planning windows", total=windows)
            results = asyncio.run(
                backtest(
                    repo, default_predictor(), settings, size=size, count=windows, seed=seed, rev=rev,
                    on_window=lambda *_: progress.advance(bar), merge=merge,
                )
            )  # fmt: skip
    finally:
        warning_summary(warnings, terminal_console(file=sys.stderr))
    table = Table(title=f"backtest of {markup(repo)}: {windows} windows of {size} tasks, seed {seed}")
    merge_column = ["merge\nleak"] if merge else []
    for column in ("plan", "recall", "precision", "leak", *merge_column, "speedup", "batches"):
        table.add_column(column, justify="left" if column == "plan" else "right")
    for n, (predicted, baseline) in enumerate(results):
        table.add_row(*_row(f"window {n}", [predicted], merge), end_section=False)
        table.add_row(*_row("  dependency-only", [baseline], merge), style="dim")
    table.add_section()
    table.add_row(*_row("mean", [p for p, _ in results], merge), style="bold")
    table.add_row(*_row("mean dependency-only", [b for _, b in results], merge), style="dim")
    console.print(table)
    console.print(
        "leak: share of truly conflicting task pairs (a file in common) run concurrently; "
        + ("merge leak: share of the pairs that really conflict under git merge-tree run concurrently "
           "(in the mean rows, over all windows; - where none conflict); " if merge else "")
        + "speedup: tasks / makespan in tasks.",
        markup=False, highlight=False, soft_wrap=True,
    )  # fmt: skip
    if merge:
        line = merge_summary([p.merge for p, _ in results if p.merge])
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    console.print(verdict([p for p, _ in results]), markup=False, highlight=False, soft_wrap=True)
    return 0
