"""ccpm's epics folder (`.claude/epics/<epic>/epic.md` and `<N>.md` task files), as a tasks document.

The format, as ccpm's own references define it (skill/ccpm/references/conventions.md, structure.md,
sync.md): each epic is a folder with `epic.md` (front matter `name`, `status`, `github`...) and
task files `001.md`, `002.md`... (renamed to their GitHub issue numbers on sync), each with front
matter `name`, `status` (open, in-progress, closed), `depends_on: [..]` (task numbers that must
finish first), `parallel: true|false` ("can run concurrently with non-conflicting tasks"),
`conflicts_with: [..]` ("tasks that touch the same files — these cannot run in parallel") and
`github:` (the issue's URL), then the task's markdown. `<N>-analysis.md` is ccpm's analysis of
the task's parallel work streams, with the files each stream will touch.

How it is read:
- The path may be a repository root (its `.claude/epics`), an epics folder, or one epic's folder.
  Archived epics (`archived/`, `.archived/`, any dot-folder) are left out of a whole folder.
- Each epic folder is an epic, keyed by the folder's name; its `epic.md` body is its description.
- Each `<N>.md` is a task keyed by N as written (`001`); when two epics of the import have a file
  of the same number (unsynced epics all start at 001), every key is `<epic>/<N>`. Its `name` (or
  `title`) is the title, its body and its `<N>-analysis.md` the text; `closed`, `completed` and
  `done` are done.
- `depends_on` and `conflicts_with` entries are task numbers: those of the task's own epic first,
  then a zero-padded number that names no file of the epic is the epic's k-th task file (ccpm's
  numbering before sync, when sync did not rewrite the references), then the one file of that
  number in another epic. Anything else is reported as an unknown task. A task listed as
  conflicting with itself says nothing and is dropped. `conflicts_with` and `parallel` are kept as
  the hints `conflicts_with` / `parallel`. Numbers are read as written (YAML would read `010` as 8).
- `name`, `title`, `status` and `github` are text, `depends_on` and `conflicts_with` a list of
  numbers or one written as text (`1, 2`); any other type is a problem of the file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from planner.core.errors import InvalidInputError, Problem
from planner.formats.parse import ParseError, StrictLoader, parse_yaml
from planner.formats.source import Converted, home_name, out_of_bounds, read_text
from planner.formats.validate import Sources

FRONT = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
TASK_FILE = re.compile(r"^(\d+)\.md$")
DONE = {"closed", "completed", "done"}
TEXT_KEYS = ("name", "title", "status", "github")


class _Verbatim(StrictLoader):
    """YAML with numbers and dates kept as written: task numbers such as `008` are names, not octal."""


def _as_written(loader: StrictLoader, node: yaml.Node) -> Any:
    return loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else None


_Verbatim.add_constructor("tag:yaml.org,2002:int", _as_written)
_Verbatim.add_constructor("tag:yaml.org,2002:float", _as_written)
_Verbatim.add_constructor("tag:yaml.org,2002:timestamp", _as_written)  # dates stay text, as in the file


def front_matter(path: Path, problems: list[Problem]) -> tuple[dict[str, Any], str] | None:
    """A markdown file's front matter and body; None (with a problem) when it has none."""
    text = read_text(path)
    found = FRONT.match(text)
    if found is None:
        problems.append(
            Problem((), "no front matter (a --- block with name, status, depends_on)", source=str(path))
        )
        return None
    try:
        meta = parse_yaml(found.group(1), _Verbatim)
    except ParseError as error:
        at = f"line {error.line + 1}, column {error.column}: {error.reason}"  # the file's line: after `---`
        what = f"front matter: {at}" if error.limit else f"front matter is not valid YAML: {at}"
        problems.append(Problem((), what, source=str(path)))
        return None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        problems.append(Problem((), "front matter is not a mapping of keys", source=str(path)))
        return None
    wrong = out_of_bounds(meta, str(path))
    wrong += [
        Problem((), f"{name}: expected text, got {type(meta[name]).__name__}", source=str(path))
        for name in TEXT_KEYS
        if meta.get(name) is not None and not isinstance(meta[name], str)
    ]
    if wrong:
        problems.extend(wrong)
        return None
    return meta, text[found.end() :].strip()


def _is_epic(folder: Path) -> bool:
    return folder.is_dir() and (
        (folder / "epic.md").is_file() or any(TASK_FILE.match(p.name) for p in folder.iterdir())
    )


def epic_folders(path: Path) -> tuple[list[Path], str]:
    """The epic folders to read, and the project's default name."""
    path = path.resolve()
    if not path.is_dir():
        raise InvalidInputError(f"{path}: not a folder (ccpm reads .claude/epics/<epic>/)")
    if (path / ".claude" / "epics").is_dir():
        path = path / ".claude" / "epics"
    elif _is_epic(path):
        return [path], path.name
    epics = sorted(
        p for p in path.iterdir() if not p.name.startswith(".") and p.name != "archived" and _is_epic(p)
    )
    if not epics:
        raise InvalidInputError(f"{path}: no ccpm epics (.claude/epics/<epic>/ with epic.md or <N>.md)")
    return epics, home_name(path)


def _entries(meta: dict[str, Any], name: str, file: Path, problems: list[Problem]) -> list[str]:
    """A front matter list of task numbers (also a single value, or `1, 2`)."""
    value = meta.get(name)
    if value is None or value == "":
        return []
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        values = value
    elif isinstance(value, str):
        values = re.split(r"[,\s]+", value.strip("[] "))
    else:
        wrong = next((v for v in value if not isinstance(v, str)), None) if isinstance(value, list) else value
        what = f"{name}: expected task numbers, got {type(wrong).__name__}"
        problems.append(Problem((), what, source=str(file)))
        return []
    return [v.strip().lstrip("#") for v in values if v.strip()]


class _Epics:
    def __init__(self, folders: list[Path]) -> None:
        self.problems: list[Problem] = []
        self.files: dict[str, list[tuple[int, Path]]] = {}
        for folder in folders:
            numbered = sorted(
                (int(m.group(1)), p) for p in folder.iterdir() if (m := TASK_FILE.match(p.name))
            )
            seen: dict[int, Path] = {}
            for number, file in numbered:
                if number in seen:
                    message = f"two task files numbered {number}: {seen[number].name} and {file.name}"
                    self.problems.append(Problem((), message, source=str(folder)))
                seen[number] = file
            self.files[folder.name] = numbered
        counts: dict[int, int] = {}
        for numbered in self.files.values():
            for number in {n for n, _ in numbered}:
                counts[number] = counts.get(number, 0) + 1
        qualify = any(c > 1 for c in counts.values())
        self.key = {
            (epic, number): f"{epic}/{file.stem}" if qualify else file.stem
            for epic, numbered in self.files.items()
            for number, file in numbered
        }

    def resolve(self, ref: str, epic: str) -> str:
        """The key a depends_on / conflicts_with entry names (the entry itself when none)."""
        if not ref.isdigit():
            return ref
        number, own = int(ref), self.files[epic]
        if (epic, number) in self.key:
            return self.key[(epic, number)]
        if ref.startswith("0") and 1 <= number <= len(own):  # ccpm's numbering before sync
            return self.key[(epic, own[number - 1][0])]
        owners = [e for e in self.files if (e, number) in self.key]
        return self.key[(owners[0], number)] if len(owners) == 1 else ref


def _task(epics: _Epics, epic: str, number: int, file: Path, root: Path) -> dict[str, Any] | None:
    read = front_matter(file, epics.problems)
    if read is None:
        return None
    meta, body = read
    key = epics.key[(epic, number)]
    analysis = file.with_name(f"{file.stem}-analysis.md")
    if analysis.is_file():
        text = read_text(analysis)
        found = FRONT.match(text)
        body += "\n\n## Analysis\n\n" + text[found.end() if found else 0 :].strip()
    status = meta.get("status")
    title = meta.get("name") or meta.get("title")
    task: dict[str, Any] = {
        "key": key,
        "epic": epic,
        "title": str(title).strip() if title else None,
        "description": body,
        "depends_on": [epics.resolve(r, epic) for r in _entries(meta, "depends_on", file, epics.problems)],
        "done": str(status).strip().lower() in DONE,
        "metadata": {
            "origin": {
                "format": "ccpm",
                "where": str(file.relative_to(root)),
                "status": status,
                "github": meta.get("github"),
            }
        },
    }
    conflicts = [epics.resolve(r, epic) for r in _entries(meta, "conflicts_with", file, epics.problems)]
    if [c for c in conflicts if c != key]:
        task["conflicts_with"] = [c for c in conflicts if c != key]
    parallel = meta.get("parallel")
    if isinstance(parallel, str) and parallel.strip().lower() in ("true", "false"):
        parallel = parallel.strip().lower() == "true"
    if isinstance(parallel, bool):
        task["parallel"] = parallel
    elif parallel is not None:
        epics.problems.append(
            Problem((), f"parallel: must be true or false, not {parallel!r}", source=str(file))
        )
    return task


def read(path: Path, tag: str | None = None) -> Converted:
    """Read a ccpm epics folder; `tag` is not used (taskmaster's)."""
    folders, default_name = epic_folders(path)
    root = folders[0].parent
    epics = _Epics(folders)
    epic_docs, epic_sources, tasks, task_sources = [], [], [], []
    for folder in folders:
        epic: dict[str, Any] = {"key": folder.name, "name": folder.name}
        if (folder / "epic.md").is_file() and (read_epic := front_matter(folder / "epic.md", epics.problems)):
            meta, body = read_epic
            epic.update(name=str(meta.get("name") or folder.name), description=body)
        epic_docs.append(epic)
        epic_sources.append(str(folder / "epic.md"))
        for number, file in epics.files[folder.name]:
            task = _task(epics, folder.name, number, file, root)
            if task is not None:
                tasks.append(task)
                task_sources.append(str(file))
    document = {"project": {}, "epics": epic_docs, "tasks": tasks}
    sources = Sources(str(path), epic_sources, task_sources)
    return Converted(document, sources, root, default_name, tuple(epics.problems))
