"""Parsing in worker processes: the same records, order and warnings as in-process, also when the
index is built inside a pool worker (as the planner's build worker does); a dying worker is an error."""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from analyzer import build_repo_index, index_files, list_tracked_files
from analyzer.indexing import PROCESS_MIN_BYTES
from analyzer.parse_pool import WorkerDied, in_processes, split
from tests.analyzer.fixture_repos import PYTHON
from tests.conftest import large_python_tree, make_repo
from tests.damaged_repos import damaged_shop


def many_files(root: Path) -> Path:
    """A repository with more bytes than parse in-process."""
    return make_repo(root, {**PYTHON, **large_python_tree(PROCESS_MIN_BYTES), "logo.png": "\0binary"})


def test_records_and_warnings_from_workers_are_those_parsed_in_process(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shop = damaged_shop(tmp_path / "shop")
    files = list_tracked_files(shop.repo)
    with caplog.at_level(logging.WARNING):
        here = index_files(shop.repo, files, progress=False, workers=0)
        in_process = [r.getMessage() for r in caplog.records]
        caplog.clear()
        there = index_files(shop.repo, files, progress=False, workers=2)
        from_workers = [r.getMessage() for r in caplog.records]
    assert list(there.items()) == list(here.items())
    assert any(record.skipped == "unreadable" for record in there.values())
    assert from_workers == in_process and in_process


def build_in_worker(repo: Path) -> tuple[int, int, int, tuple[str, ...]]:
    """In a spawned pool worker: a cold index of `repo`, summed up."""
    index = build_repo_index(repo, progress=False)
    symbols = tuple(sorted(s.qualified_name for r in index.records.values() for s in r.symbols))
    return len(index.records), len(index.imports), index.history.total.commits, symbols


def test_a_cold_index_parsed_by_workers_inside_a_pool_worker_is_the_same(tmp_path: Path) -> None:
    repo = many_files(tmp_path / "many")
    expected = index_files(repo, list_tracked_files(repo), progress=False, workers=0)
    assert sum(f.size for f in list_tracked_files(repo)) >= PROCESS_MIN_BYTES  # parsed in processes
    fractions: list[float] = []
    index = build_repo_index(repo, progress=False, on_progress=fractions.append)
    assert list(index.records.items()) == list(expected.items())
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    context = multiprocessing.get_context("spawn")  # as the planner's BuildPool starts its workers
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        built = pool.submit(build_in_worker, repo).result()
    assert built == (
        len(expected),
        len(index.imports),
        index.history.total.commits,
        tuple(sorted(s.qualified_name for r in expected.values() for s in r.symbols)),
    )


def die(chunk: int) -> int:
    """Work that kills its worker on chunk 2."""
    if chunk == 2:
        os._exit(3)
    return chunk


def fail(chunk: int) -> int:
    raise ValueError(f"no good: {chunk}")


def test_a_worker_that_dies_is_an_error_not_a_hang() -> None:
    with pytest.raises(WorkerDied, match="worker process died"):
        list(in_processes(die, [0, 1, 2, 3], workers=2))
    with pytest.raises(ValueError, match="no good: 0"):
        list(in_processes(fail, [0, 1], workers=2))


def sleep_in_worker(folder: str) -> int:
    """Work that says which process runs it, then takes far longer than any test."""
    Path(folder, str(os.getpid())).touch()
    time.sleep(600)
    return 0


def call_sleepers(folder: str) -> None:
    list(in_processes(sleep_in_worker, [folder, folder], workers=2))


def running(pid: int) -> bool:
    """True while `pid` is a process that has not ended (a zombie has)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def wait_for(condition: Callable[[], bool], seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


def test_workers_end_themselves_when_their_caller_is_killed(tmp_path: Path) -> None:
    caller = multiprocessing.get_context("spawn").Process(target=call_sleepers, args=(str(tmp_path),))
    caller.start()
    assert wait_for(lambda: len(list(tmp_path.iterdir())) == 2), "the workers never started"
    workers = [int(path.name) for path in tmp_path.iterdir()]
    caller.kill()
    caller.join()
    assert wait_for(lambda: not any(running(pid) for pid in workers)), "a worker outlived its caller"


def test_chunks_keep_the_order_and_share_out_the_sizes() -> None:
    assert split(list("abcdef"), [1, 1, 1, 1, 1, 1], 3) == [["a", "b"], ["c", "d"], ["e", "f"]]
    assert split(list("abc"), [10, 1, 1], 2) == [["a"], ["b", "c"]]
    assert split([], [], 4) == []
