"""`execplan backtest`: runs planner.backtest with a progress bar and prints its scores as a table."""

from __future__ import annotations

import asyncio
from pathlib import Path
from statistics import mean

from rich.progress import Progress
from rich.table import Table

from api.cli.terminal import console as terminal_console
from api.cli.terminal import markup
from planner.core.errors import InvalidInputError
from planner.core.settings import Settings
from planner.predictors.default import default_predictor
from planner.usecases.backtest import Score, backtest


def _row(name: str, scores: list[Score]) -> list[str]:
    return [
        name,
        f"{mean(s.recall for s in scores):.2f}",
        f"{mean(s.precision for s in scores):.2f}",
        f"{mean(s.leak for s in scores):.2f}",
        f"{mean(s.speedup for s in scores):.2f}",
        f"{mean(s.batches for s in scores):.1f}",
    ]


def run_backtest(repo: Path, *, size: int, windows: int, seed: int, rev: str, settings: Settings) -> int:
    """Backtest `repo` and print per-window and mean scores; returns the exit code."""
    if not repo.is_dir():
        raise InvalidInputError(f"--repo: {repo} is not a directory")
    console = terminal_console()
    with Progress(console=console, transient=True) as progress:
        bar = progress.add_task("planning windows", total=windows)
        results = asyncio.run(
            backtest(
                repo, default_predictor(), settings, size=size, count=windows, seed=seed, rev=rev,
                on_window=lambda *_: progress.advance(bar),
            )
        )  # fmt: skip
    table = Table(title=f"backtest of {markup(repo)}: {windows} windows of {size} tasks, seed {seed}")
    for column in ("plan", "recall", "precision", "leak", "speedup", "batches"):
        table.add_column(column, justify="left" if column == "plan" else "right")
    for n, (predicted, baseline) in enumerate(results):
        table.add_row(*_row(f"window {n}", [predicted]), end_section=False)
        table.add_row(*_row("  dependency-only", [baseline]), style="dim")
    table.add_section()
    table.add_row(*_row("mean", [p for p, _ in results]), style="bold")
    table.add_row(*_row("mean dependency-only", [b for _, b in results]), style="dim")
    console.print(table)
    console.print(
        "leak: share of truly conflicting task pairs run concurrently (each one a merge conflict); "
        "speedup: tasks / makespan in tasks."
    )
    return 0
