"""Task lists in the formats people already have, read into one validated tasks file.

`load_tasks` reads execplan's own tasks file or a claude-task-master `tasks.json`, a spec-kit
`tasks.md`, a ccpm epics folder or a beads `issues.jsonl`, named with `format` or detected:

- a folder is a ccpm epics folder (a repository root, `.claude/epics` or one epic);
- a file ending in `.jsonl` is beads; `.md` / `.markdown` is spec-kit; `.yaml` / `.yml` is native;
- a `.json` file is task-master when it has no `project` and is either `{"tasks": [...]}` whose
  tasks have an `id` but no `key`, or tags each holding `{"tasks": [...]}`; otherwise native;
- anything else must be named.

Every format becomes the native document and goes through the one validator (`validate.py`), so
every problem is reported at once, each with its key and its place in the input. The project's
name is `project` when given, else the file's own (native `project.name`, spec-kit's
`# Tasks: <feature>`), else a name the format suggests (see each reader). Its repository is
`repo` when given, else the file's own `repo_path`, else the git top of the file's folder, if any.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from analyzer.git_cli import git_toplevel
from planner.core.errors import InvalidInputError, Problem, TaskFileError
from planner.formats import beads, ccpm, native, speckit, taskmaster
from planner.formats.parse import ParseError, parse_json
from planner.formats.source import Converted, read_text
from planner.formats.validate import TaskFile, parse_task_file

READERS: dict[str, Callable[[Path, str | None], Converted]] = {
    "native": native.read,
    "taskmaster": taskmaster.read,
    "speckit": speckit.read,
    "ccpm": ccpm.read,
    "beads": beads.read,
}
FORMATS = tuple(READERS)


@dataclass(frozen=True)
class Loaded:
    """A validated tasks file and the format it was read from."""

    spec: TaskFile
    format: str


def _is_taskmaster(data: object) -> bool:
    if not isinstance(data, dict) or not data or "project" in data:
        return False
    tasks = data.get("tasks")
    if isinstance(tasks, list):
        return bool(tasks) and all(isinstance(t, dict) and "id" in t and "key" not in t for t in tasks)
    return all(isinstance(v, dict) and isinstance(v.get("tasks"), list) for v in data.values())


def detect(path: Path) -> str:
    """The format of `path`, by the rule above."""
    if path.is_dir():
        return "ccpm"
    if not path.exists():
        raise InvalidInputError(f"{path}: no such file or folder")
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return "beads"
    if suffix in (".md", ".markdown"):
        return "speckit"
    if suffix in (".yaml", ".yml"):
        return "native"
    if suffix == ".json":
        try:
            data = parse_json(read_text(path))
        except (InvalidInputError, ParseError):
            return "native"  # its reader says what is wrong
        return "taskmaster" if _is_taskmaster(data) else "native"
    raise InvalidInputError(
        f"{path}: cannot tell its format from its name: name it with --format {'|'.join(FORMATS)}"
    )


def load_tasks(
    path: Path,
    format: str | None = None,
    *,
    project: str | None = None,
    repo: Path | None = None,
    tag: str | None = None,
) -> Loaded:
    """Read and validate a task list; TaskFileError lists every problem (nothing is written)."""
    try:
        return _load(path, format, project, repo, tag)
    except OSError as error:  # a path the file system refuses (too long, no permission, a loop)
        where = error.filename if error.filename is not None else path
        raise InvalidInputError(f"{where}: cannot read: {error.strerror or error}") from None


def _load(path: Path, format: str | None, project: str | None, repo: Path | None, tag: str | None) -> Loaded:
    chosen = format or detect(path)
    if chosen not in READERS:
        raise InvalidInputError(f"unknown format {chosen!r}: one of {', '.join(FORMATS)}")
    if tag is not None and chosen != "taskmaster":
        raise InvalidInputError(f"--tag is for task-master files, not {chosen}")
    converted = READERS[chosen](path, tag)
    document = converted.document
    if isinstance(document, dict) and (project or repo or chosen != "native" or "project" in document):
        head = document.setdefault("project", {})
        if isinstance(head, dict):
            if project:
                head["name"] = project
            elif not head.get("name") and converted.default_name:
                head["name"] = converted.default_name
            if repo is not None:
                head["repo_path"] = str(repo.expanduser().resolve())
            elif not head.get("repo_path"):
                folder = path if path.is_dir() else path.parent
                top = git_toplevel(folder.resolve())
                if top is not None:
                    head["repo_path"] = str(top)
    try:
        spec = parse_task_file(document, converted.base, converted.sources)
    except TaskFileError as error:
        raise TaskFileError([*converted.problems, *error.problems]) from None
    except InvalidInputError as error:  # the repository path alone
        if converted.problems:
            where = converted.sources.origin
            raise TaskFileError(
                [*converted.problems, Problem(("project", "repo_path"), str(error), source=where)]
            ) from None
        raise
    if converted.problems:
        raise TaskFileError(converted.problems)
    return Loaded(spec, chosen)
