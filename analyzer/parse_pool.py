"""Running one job over chunks of work in worker processes: results in order, or a clear error.

Parsing many blobs is CPU work that one process does on one core; `in_processes(work, chunks,
workers)` runs `work(chunk)` for each chunk in a pool of `workers` processes and yields the results
in the order of the chunks. The pool lives for the call; its processes are forked by
multiprocessing's fork server, which imports the analyzer once (`PRELOAD`) and is itself a fresh
process, so this is safe under threads and inside a process that is a pool's worker (as the
planner's build worker is). A worker that dies (killed, out of memory) raises `WorkerDied` instead
of leaving the caller waiting; an exception `work` raises is raised again here; a worker whose
caller died ends itself (`watch_parent`). `split(items, sizes, pieces)` cuts work into contiguous
chunks of about equal total size, so that the order of the items is kept.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

WATCH_SECONDS = 1.0
"""How often a worker checks that the process that started it is still there."""
PRELOAD = ("analyzer.indexing",)
"""Modules the fork server imports once, so that each worker it forks starts with them."""

Item = TypeVar("Item")
Result = TypeVar("Result")


class WorkerDied(RuntimeError):
    """A worker process ended before giving its result (killed, out of memory, crashed)."""


def watch_parent(parent: int) -> None:
    """In a worker: end this process soon after `parent` ends, so that a caller killed mid-work
    (as a build worker is when the service stops) leaves no worker waiting for work forever."""
    threading.Thread(target=_outlive_not, args=(parent,), name="watch-parent", daemon=True).start()


def _outlive_not(parent: int) -> None:
    while True:
        time.sleep(WATCH_SECONDS)
        try:
            os.kill(parent, 0)
        except (ProcessLookupError, PermissionError):  # gone (and its id perhaps reused)
            os._exit(1)


def worker_count(limit: int | None = None) -> int:
    """How many worker processes are worth starting: one per CPU, at most `limit`."""
    cpus = os.cpu_count() or 1
    return max(1, min(cpus, limit if limit is not None else cpus))


def split(items: Sequence[Item], sizes: Sequence[int], pieces: int) -> list[list[Item]]:
    """`items` in order, cut into about `pieces` contiguous chunks of about equal summed `sizes`."""
    total = sum(sizes)
    target = total / max(1, pieces)
    chunks: list[list[Item]] = []
    current: list[Item] = []
    filled = 0.0
    for item, size in zip(items, sizes, strict=True):
        current.append(item)
        filled += size
        if filled >= target:
            chunks.append(current)
            current, filled = [], 0.0
    if current:
        chunks.append(current)
    return chunks


def in_processes(work: Callable[[Item], Result], chunks: Sequence[Item], workers: int) -> Iterator[Result]:
    """`work(chunk)` for each of `chunks`, run in `workers` processes, in order.

    `work` must be a module-level function (it is pickled by name); chunks and results are pickled."""
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload(list(PRELOAD))
    executor = ProcessPoolExecutor(
        max_workers=max(1, min(workers, len(chunks))),
        mp_context=context,
        initializer=watch_parent,
        initargs=(os.getpid(),),
    )
    try:
        futures = [executor.submit(work, chunk) for chunk in chunks]
        for future in futures:
            try:
                yield future.result()
            except BrokenProcessPool as error:
                raise WorkerDied(f"a worker process died before it finished its work: {error}") from None
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
