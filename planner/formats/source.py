"""What every format reader hands on: a native tasks document and where its parts came from.

Each reader (`native`, `taskmaster`, `speckit`, `ccpm`, `beads`) turns its input into the
document the one validator checks (`validate.py`), with the place of each epic and task in the
input, so that a problem names the file and line. Also the readers' shared file reading, which
reads only regular files of at most MAX_FILE_BYTES (not `/dev/zero`, nor a pipe that never ends).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from analyzer.git_cli import git_toplevel
from planner.core.errors import InvalidInputError, Problem
from planner.formats.bounds import MAX_FILE_BYTES, path_label, problems
from planner.formats.validate import Sources


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
    """A file's UTF-8 text; InvalidInputError naming the file when it cannot be read, is not a
    regular file or is larger than MAX_FILE_BYTES (nothing more than that is read)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # opening a device or a pipe can block or never end
            raise InvalidInputError(f"{path}: not a regular file")
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # O_NONBLOCK: a pipe swapped in since cannot block
        with os.fdopen(fd, "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                raise InvalidInputError(f"{path}: not a regular file")
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise InvalidInputError(f"{path}: cannot read: {error.strerror or error}") from None
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInputError(
            f"{path}: larger than {MAX_FILE_BYTES // 2**20} MiB, the most a task list may be"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidInputError(f"{path}: not UTF-8 text (byte {error.start + 1})") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")  # newlines as a text file reads them


def out_of_bounds(data: Any, where: str) -> list[Problem]:
    """What in a reader's raw input is out of bounds (`bounds.py`), each named by its path in it
    (`master.tasks[2].title: contains a NUL character`) and placed at `where`."""
    return [replace(p, source=where) for p in problems(data, path_label)]


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
