"""What every format reader hands on: a native tasks document and where its parts came from.

Each reader (`native`, `taskmaster`, `speckit`, `ccpm`, `beads`) turns its input into the
document the one validator checks (`validate.py`), with the place of each epic and task in the
input, so that a problem names the file and line. Also the readers' shared file reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InvalidInputError, Problem
from .validate import Sources, git_toplevel


@dataclass(frozen=True)
class Converted:
    """A task list read from some format, as a native tasks document."""

    document: Any  # the native shape, for the validator to check
    sources: Sources
    base: Path  # a relative project.repo_path in the document is read from here
    default_name: str | None = None  # the project's name when neither the file nor --project gives one
    problems: tuple[
        Problem, ...
    ] = ()  # what the reader found wrong in its own terms (the rest is the validator's)


def read_text(path: Path) -> str:
    """A file's UTF-8 text; InvalidInputError naming the file when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidInputError(f"{path}: cannot read: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise InvalidInputError(f"{path}: not UTF-8 text") from None


def home_name(folder: Path) -> str:
    """The name of the project a tool's folder belongs to: its git repository's top folder, else
    the folder above the first dot-folder (`proj/.taskmaster/tasks` -> proj), else its own."""
    folder = folder.resolve()
    top = git_toplevel(folder) if folder.is_dir() else None
    if top is not None:
        return top.name
    for ancestor in [folder, *folder.parents]:
        if ancestor.name.startswith(".") and ancestor.parent.name:
            return ancestor.parent.name
    return folder.name or "tasks"
