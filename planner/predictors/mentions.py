"""Predicts files from what a task's text names: paths, file names and directories.

A first predictor, behind the `FilePredictor` interface (planner/core/predictor.py) that the
analyzer's ranked predictor also implements. Mentions are checked against the repository's
tracked files (`git ls-files`);


a path that does not exist yet counts as a file the task will create. A path that would leave
the repository (absolute, or with `..`) is refused.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from planner.core.errors import InvalidInputError
from planner.core.model import PredictedFile
from planner.core.tasks import PlanningTask

# a word that may be a path: letters, digits, _ . - / (trailing punctuation trimmed later)
_CANDIDATE = re.compile(r"[\w./\-]+")
_EXTENSION = re.compile(r"\.([A-Za-z][A-Za-z0-9]{0,9})$")
# extensions of files a task may create (existing files match whatever their extension)
NEW_FILE_EXTENSIONS = frozenset(
    "py pyi js jsx mjs cjs ts tsx go rs java kt c h cc cpp hpp rb php cs swift scala sql md rst txt "
    "json yaml yml toml ini cfg html css scss vue svelte sh proto graphql".split()
)


@dataclass(frozen=True)
class MentionWeights:
    """How sure a mention makes us, by kind and by where it was written."""

    path: float = 0.95
    file_name: float = 0.85
    directory: float = 0.7
    new_file: float = 0.8
    epic_factor: float = 0.6  # a mention in the epic's text, not the task's own


def tracked_files(repo_path: str) -> list[str]:
    """The repository's tracked files, as `git ls-files` lists them."""
    done = subprocess.run(["git", "-C", repo_path, "ls-files", "-z"], capture_output=True, check=False)
    if done.returncode != 0:
        raise InvalidInputError(f"{repo_path} is not a git repository: {done.stderr.decode().strip()}")
    return [p for p in done.stdout.decode("utf-8", "replace").split("\0") if p]


def safe_relative(path: str) -> str | None:
    """`path` normalised inside the repository, or None if it would leave it."""
    if path.startswith(("/", "~", "\\")) or re.match(r"^[A-Za-z]:", path):
        return None
    parts = [p for p in PurePosixPath(path).parts if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


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

    for match in _CANDIDATE.finditer(text):
        word = match.group().strip(".-/")
        if (
            len(word) < 2
            or ("/" not in word and "." not in word)
            or "://" in text[match.start() : match.end() + 3]
        ):
            continue
        if text[max(0, match.start() - 1) : match.start()] in ("/", "~") or match.group().startswith("/"):
            continue  # an absolute path (or URL path): outside the repository
        path = safe_relative(word)
        if path is None:
            continue
        if path in repo.files:
            add(path, weights.path, "path mentioned")
        elif path in repo.directories:
            add(path + "/", weights.directory, "directory mentioned")
        elif "/" not in path:
            named = repo.by_name.get(path, [])
            if 0 < len(named) <= 3:
                for candidate in named:
                    add(candidate, weights.file_name / len(named), "file name mentioned")
        else:
            extension = _EXTENSION.search(path)
            if extension and extension.group(1).lower() in NEW_FILE_EXTENSIONS:
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
