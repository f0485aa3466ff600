"""How fast the analyzer indexes a repository: cold and warm, against a bare tree-sitter parse.

Cold: `build_repo_index` from nothing: list tracked files, parse every blob (tags and words; in
worker processes on a large repository) while reading all history and accumulating its statistics,
then resolve imports. Each stage is also timed alone, one after another, in this process or (for
the parse) in workers as the cold build does. Bare: only `tree_sitter.Parser.parse` over the same
source blobs, read the same way, in one process, in the same run. Warm: the same index built again
from the cold run's records and history, as the planner does with what it stored; it must parse no
blob and read no commit. Prints each stage's time and the ratios cold/bare and warm/cold.

The cold build and the bare parse are timed `--repeats` times, one after the other in turns (so
both meet the machine as it is), and the best of each counts, as in `bench.levels`: on a shared
machine one reading of either swings by a tenth or more.

    .venv/bin/python -m bench.analyzer_speed /path/to/repo [--repeats 3]   # e.g. a clone of sqlalchemy
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from analyzer import (
    HistorySettings,
    accumulate_history,
    build_repo_index,
    index_files,
    language_of,
    list_tracked_files,
    read_history,
    records_by_path,
    resolve_imports,
)
from analyzer.blobs import read_blobs
from analyzer.indexing import MAX_FILE_BYTES
from analyzer.languages import PARSED_LANGUAGES, parser


def bare_parse(repo: Path) -> tuple[float, int]:
    """Seconds to read and tree-sitter-parse every source blob (nothing else), and how many."""
    started = time.perf_counter()
    files = [
        f
        for f in list_tracked_files(repo)
        if language_of(f.path) in PARSED_LANGUAGES and f.size <= MAX_FILE_BYTES
    ]
    language = {f.blob_sha: language_of(f.path) for f in files}
    for sha, content in read_blobs(repo, list(language)):
        if isinstance(content, bytes) and b"\0" not in content[:8000]:
            parser(language[sha]).parse(content)
    return time.perf_counter() - started, len(language)


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_argument("repo", type=Path)
    cli.add_argument(
        "--repeats", type=int, default=3, help="rounds of cold build and bare parse; the best counts"
    )
    args = cli.parse_args()
    logging.disable(logging.WARNING)
    repo: Path = args.repo
    parser("python")
    bare, sources = bare_parse(repo)
    stages: dict[str, float] = {}
    mark = time.perf_counter()
    files = tuple(list_tracked_files(repo))
    stages["list"] = time.perf_counter() - mark
    mark = time.perf_counter()
    records = index_files(repo, files, progress=False)
    stages["parse"] = time.perf_counter() - mark
    mark = time.perf_counter()
    graph = resolve_imports(records_by_path(files, records), [f.path for f in files])
    stages["imports"] = time.perf_counter() - mark
    mark = time.perf_counter()
    delta = read_history(repo)
    stages["history read"] = time.perf_counter() - mark
    mark = time.perf_counter()
    stats = accumulate_history(None, delta, HistorySettings())
    stages["history stats"] = time.perf_counter() - mark
    colds, bares = [], [bare]
    for round_ in range(max(1, args.repeats)):
        if round_:
            bares.append(bare_parse(repo)[0])
        mark = time.perf_counter()
        cold_index = build_repo_index(repo, progress=True)
        colds.append(time.perf_counter() - mark)
    cold, bare = min(colds), min(bares)
    mark = time.perf_counter()
    warm_index = build_repo_index(
        repo, known_records=cold_index.records, history=cold_index.history, progress=False
    )
    warm = time.perf_counter() - mark
    print(
        f"{repo}: {len(files)} files ({sources} source blobs), {len(delta.commits)} commits,"
        f" {len(graph)} importers"
    )
    for name, seconds in stages.items():
        print(f"  alone {name:14} {seconds:8.2f}s")
    print(f"  alone, one by one    {sum(stages.values()):8.2f}s")
    rounds = ", ".join(f"{c:.2f}/{b:.2f}" for c, b in zip(colds, bares, strict=True))
    print(f"  cold build_repo_index {cold:7.2f}s   (parse and history at once; best of {len(colds)})")
    print(f"  bare parse           {bare:8.2f}s   parse alone / bare parse = {stages['parse'] / bare:.2f}")
    print(f"  cold / bare parse = {cold / bare:.2f}   (each round, cold/bare seconds: {rounds})")
    print(f"  warm rebuild         {warm:8.2f}s   warm / cold = {warm / cold:.3f}")
    assert len(cold_index.records) == len(records) and cold_index.history.head == stats.head
    assert warm_index.history is cold_index.history, "the warm rebuild read commits"
    assert all(warm_index.records[sha] is record for sha, record in cold_index.records.items()), (
        "the warm rebuild parsed blobs"
    )


if __name__ == "__main__":
    main()
