"""Golden-file tests: the analyzer's index of each fixture repository, compared with stored JSON.

Each language's fixture tree (see `fixture_repos`) is committed to a fresh git repository, listed,
indexed and its imports resolved; the result must equal `golden/<language>.json`. After a change
that is meant to alter the output, regenerate the files and review the diff:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/analyzer/test_golden.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from analyzer import index_files, list_tracked_files, records_by_path, resolve_imports
from tests.analyzer.fixture_repos import LANGUAGE_TREES
from tests.conftest import make_repo

GOLDEN = Path(__file__).parent / "golden"


def index_summary(repo: Path) -> dict[str, Any]:
    """The analyzer's output for `repo` as plain JSON: per file its record, and the import graph."""
    files = list_tracked_files(repo)
    records = records_by_path(tuple(files), index_files(repo, files, progress=False))
    graph = resolve_imports(records, [f.path for f in files])
    return {
        "files": {
            path: {
                "language": record.language,
                "skipped": record.skipped,
                "symbols": [[s.kind, s.qualified_name, s.line] for s in record.symbols],
                "imports": [[i.kind, i.target, list(i.names)] for i in record.imports],
                "words": [list(pair) for pair in record.words]
                if record.language in ("docs", "config")
                else [],
            }
            for path, record in sorted(records.items())
        },
        "imports": {path: sorted(targets) for path, targets in sorted(graph.items())},
    }


@pytest.mark.parametrize("language", sorted(LANGUAGE_TREES))
def test_index_matches_golden(language: str, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / language, LANGUAGE_TREES[language])
    summary = index_summary(repo)
    golden = GOLDEN / f"{language}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")
    assert summary == json.loads(golden.read_text())
