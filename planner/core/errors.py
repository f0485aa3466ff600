"""The project's own exceptions: what callers catch instead of driver errors."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class ExecplanError(Exception):
    """Base of every error execplan reports to its user."""


class DatabaseError(ExecplanError):
    """The database refused or failed an operation."""


class DatabaseUnavailableError(DatabaseError):
    """The database cannot be reached now (down, restarting, no free connection): try again later."""


class ServiceBusyError(ExecplanError):
    """Too much work waiting already: the same request later will be taken."""


class NotFoundError(ExecplanError):
    """A project, plan or task that does not exist."""


class InvalidInputError(ExecplanError):
    """Input that is wrong: says what is wrong and where; nothing was written."""


class DependencyCycleError(InvalidInputError):
    """Tasks that depend on each other in a circle; the message names them in order."""

    def __init__(self, cycle: list[str]) -> None:
        self.cycle = cycle
        super().__init__("dependency cycle: " + " -> ".join(cycle))

    def __reduce__(self) -> tuple[type[DependencyCycleError], tuple[list[str]]]:
        return (type(self), (self.cycle,))  # from a build worker, whole


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a tasks file: where in the document (`loc`), what, naming the key
    (`message`), and where in its source it came from (`tasks.md:57`; empty for an API body)."""

    loc: tuple[str | int, ...]
    message: str
    kind: str = "value_error"
    source: str = ""

    def __str__(self) -> str:
        return f"{self.source}: {self.message}" if self.source else self.message


class TaskFileError(InvalidInputError):
    """A tasks file with problems: every one of them, each with its key; nothing was written."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))

    def __reduce__(self) -> tuple[type[TaskFileError], tuple[tuple[Problem, ...]]]:
        return (type(self), (self.problems,))  # from a build worker, whole


class StalePlanError(ExecplanError):
    """A change made against a plan version that is no longer the current one."""
