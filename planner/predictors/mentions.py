"""Predicts files from what a task's text names: paths, file names and directories, and nothing else.

A predictor without history, behind the `FilePredictor` interface (planner/core/predictor.py)
that the analyzer's ranked predictor also implements; cheap, for tests and backtests. What a text
names is read by the analyzer's extractor (`analyzer.mentions`), then looked up among the
repository's tracked files; a path with a folder that does not exist yet counts as a file the
task will create.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from analyzer import list_tracked_files
from analyzer.mentions import FILE_EXTENSION, extract_mentions
from planner.core.model import PredictedFile
from planner.core.tasks import PlanningTask


@dataclass(frozen=True)
class MentionWeights:
    """How sure a mention makes us, by kind and by where it was written."""

    path: float = 0.95
    file_name: float = 0.85
    directory: float = 0.7
    new_file: float = 0.8
    epic_factor: float = 0.6  # a mention in the epic's text, not the task's own


def tracked_files(repo_path: str) -> list[str]:
    """The repository's tracked files."""
    return [f.path for f in list_tracked_files(repo_path)]


class RepositoryFiles:
    """Tracked files and directories of one repository, for looking mentions up."""

    def __init__(self, files: Sequence[str]) -> None:
        self.files = frozenset(files)
        self.directories: set[str] = set()
        self.by_name: dict[str, list[str]] = defaultdict(list)
        for path in files:
            parts = path.split("/")
            self.by_name[parts[-1]].append(path)
            for n in range(1, len(parts)):
                self.directories.add("/".join(parts[:n]))


def mentions(
    text: str, repo: RepositoryFiles, weights: MentionWeights, factor: float = 1.0
) -> dict[str, PredictedFile]:
    """Files (and `dir/` entries) that `text` names, with confidence scaled by `factor`."""
    found: dict[str, PredictedFile] = {}
    where = "" if factor == 1.0 else " in epic"

    def add(path: str, confidence: float, evidence: str) -> None:
        old = found.get(path)
        if old is None or old.confidence < confidence * factor:
            found[path] = PredictedFile(path, confidence * factor, (evidence + where,))

    # what the text names, read by the analyzer's one extractor (its paths are inside the
    # repository; a bare file name ends in a known extension)
    named = extract_mentions(text)
    for mentioned in named.paths:
        path = mentioned.rstrip("/")
        if path in repo.files:
            add(path, weights.path, "path mentioned")
        elif path in repo.directories:
            add(path + "/", weights.directory, "directory mentioned")
        elif "/" not in path:
            same_name = repo.by_name.get(path, [])
            if 0 < len(same_name) <= 3:
                for candidate in same_name:
                    add(candidate, weights.file_name / len(same_name), "file name mentioned")
        elif FILE_EXTENSION.search(path):
            add(path, weights.new_file, "file to be created")
    return found


class MentionPredictor:
    """Predicts the files and directories a task's (and its epic's) text names."""

    def __init__(self, weights: MentionWeights | None = None) -> None:
        self.weights = weights or MentionWeights()

    async def prepare(self, repo_path: str | None, progress: Callable[[float], None] | None = None) -> None:
        """Nothing to prepare: tracked files are listed when predicting."""

    def merge_friendly(self) -> frozenset[str]:
        """None known beyond names: this predictor reads no history."""
        return frozenset()

    def related(self, path: str) -> Mapping[str, tuple[str, float]]:
        """None: this predictor reads no history and no imports."""
        return {}

    async def predict(
        self, repo_path: str | None, tasks: Sequence[PlanningTask]
    ) -> dict[int, tuple[PredictedFile, ...]]:
        if not repo_path:
            return {task.id: () for task in tasks}
        repo = RepositoryFiles(await asyncio.to_thread(tracked_files, repo_path))
        result: dict[int, tuple[PredictedFile, ...]] = {}
        for task in tasks:
            found = mentions(task.epic_text, repo, self.weights, self.weights.epic_factor)
            found.update(mentions(task.text, repo, self.weights))
            result[task.id] = tuple(sorted(found.values(), key=lambda p: (-p.confidence, p.path)))
        return result
