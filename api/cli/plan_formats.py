"""`execplan show --format markdown|mermaid`: a plan as text to paste elsewhere.

Markdown: tables of batches, worktrees, tasks and conflicts, for a pull request; every cell is one
line with `|`, `<`, `>` and `&` escaped, so that each row has its table's number of cells. Mermaid:
a `gantt` chart, one section per worktree lane (batch by batch, in order), a bar per task that
starts after the task before it in its worktree, or after every worktree of the batch before.
User text is made visible (`terminal.visible`) and stripped of what either syntax would read."""

from __future__ import annotations

import re
from collections.abc import Sequence

from api.cli.plan_view import PlanView, first_line
from api.cli.terminal import visible
from planner.core.explain import duration_text

MARKDOWN_WIDTH = 80
MERMAID_WIDTH = 40
GANTT_START = "2000-01-01 00:00"
"""Where the chart's first batch starts: the chart shows durations, not dates."""

_MARKDOWN_SPECIAL = str.maketrans({"|": "\\|", "<": "&lt;", ">": "&gt;", "&": "&amp;"})
_MERMAID_SPECIAL = re.compile(r"[:;#\n]|%%")
_GANTT_KEYWORDS = re.compile(
    r"gantt|title|section|dateformat|axisformat|tickinterval|excludes|includes|todaymarker|"
    r"weekday|weekend|click|call|href|acctitle|accdescr|inclusiveenddates|topaxis|displaymode|"
    r"\d{4}-",
    re.I,
)


def _cell(text: object) -> str:
    return visible(text).translate(_MARKDOWN_SPECIAL)


def _row(*cells: object) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _table(header: tuple[str, ...], rows: Sequence[tuple[object, ...]]) -> list[str]:
    return ["", _row(*header), "|" + "|".join("---" for _ in header) + "|", *(_row(*r) for r in rows)]


def _minutes(seconds: int) -> str:
    return duration_text(seconds // 60)


def plan_markdown(view: PlanView, most_conflicts: int | None = None) -> str:
    """The plan as Markdown tables: batches, worktrees, tasks, then conflicts (strongest first)."""
    plan, meta = view.plan, view.plan.metadata
    lines = [
        f"## {_cell(view.name)}: plan v{plan.version}",
        "",
        f"{meta.get('task_count', len(plan.tasks))} tasks in {len(plan.batches)} batches "
        f"({meta.get('parallel_batches', 0)} parallel), {len(plan.predicted_conflicts)} predicted "
        f"conflicts; est. {_minutes(int(meta.get('estimated_duration', 0)))} "
        f"vs {_minutes(int(meta.get('estimated_serial_duration', 0)))} one by one.",
    ]
    reasons = view.reasons()
    if reasons:
        lines += ["", "Why it is not more parallel:", *(f"- {_cell(r)}" for r in reasons)]
    batches, worktrees, tasks = [], [], []
    files = {t.id: t.predicted_files for t in plan.tasks}
    for batch in plan.batches:
        lanes = view.worktrees(batch)
        after = ", ".join(str(b) for b in batch.depends_on) or "-"
        minutes = _minutes(batch.estimated_duration)
        batches.append((batch.batch_id, len(batch.task_ids), len(lanes), minutes, after))
        for worktree, ids in lanes:
            keys = ", ".join(view.key(t) for t in ids)
            worktrees.append((batch.batch_id, worktree, view.lane(worktree), keys))
            for t in ids:
                predicted = ", ".join(p.path for p in files.get(t, ())[:3])
                tasks.append((view.key(t), first_line(view.text(t), MARKDOWN_WIDTH), batch.batch_id,
                              worktree, duration_text(view.minutes(t)), predicted or "-"))  # fmt: skip
    lines += ["", "### Batches", *_table(("batch", "tasks", "worktrees", "est.", "after batches"), batches)]
    lines += ["", "### Worktrees", *_table(("batch", "worktree", "lane", "tasks (in order)"), worktrees)]
    lines += ["", "### Tasks"]
    lines += _table(("task", "description", "batch", "worktree", "est.", "predicted files"), tasks)
    conflicts = view.conflicts()
    shown = conflicts if most_conflicts is None else conflicts[:most_conflicts]
    if shown:
        rows: list[tuple[object, ...]] = [
            (" & ".join(view.key(t) for t in c.task_ids), c.conflict_type, f"{c.strength:.2f}",
             ", ".join(c.predicted_files[:4]) + (" …" if len(c.predicted_files) > 4 else ""))
            for c in shown
        ]  # fmt: skip
        lines += ["", "### Predicted conflicts", *_table(("tasks", "type", "strength", "files"), rows)]
    if len(conflicts) > len(shown):
        lines += ["", f"… and {len(conflicts) - len(shown)} more conflicts, none stronger."]
    return "\n".join(lines) + "\n"


def _gantt_text(text: str) -> str:
    """`text` as a gantt task or section name: one line, none of `:`, `;`, `#`, `%%`, and not
    starting as one of the chart's keywords or a date does (else `task ` goes before it)."""
    shown = " ".join(_MERMAID_SPECIAL.sub(" ", visible(text)).split()) or "-"
    return f"task {shown}" if _GANTT_KEYWORDS.match(shown) else shown


def plan_mermaid(view: PlanView) -> str:
    """The plan as a Mermaid gantt chart: a section per worktree lane, a bar per task."""
    lines = [
        "gantt",
        f"    title {_gantt_text(f'{view.name} plan v{view.plan.version}')}",
        "    dateFormat YYYY-MM-DD HH:mm",
        "    axisFormat %H:%M",
    ]
    previous_ends: list[str] = []  # the last task of each worktree of the batch before
    for batch in view.plan.batches:
        ends = []
        for worktree, ids in view.worktrees(batch):
            lines.append(f"    section {_gantt_text(f'batch {batch.batch_id} {view.lane(worktree)}')}")
            start = f"after {' '.join(previous_ends)}" if previous_ends else GANTT_START
            for t in ids:
                name = _gantt_text(f"{view.key(t)} {first_line(view.text(t), MERMAID_WIDTH)}")
                lines.append(f"    {name} :t{t}, {start}, {view.minutes(t)}m")
                start = f"after t{t}"
            ends.append(f"t{ids[-1]}")
        previous_ends = ends or previous_ends
    return "\n".join(lines) + "\n"
