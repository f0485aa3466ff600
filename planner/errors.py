"""The project's own exceptions: what callers catch instead of driver errors."""

from __future__ import annotations


class ExecplanError(Exception):
    """Base of every error execplan reports to its user."""


class DatabaseError(ExecplanError):
    """The database refused or failed an operation."""


class NotFoundError(ExecplanError):
    """A project, plan or task that does not exist."""


class InvalidInputError(ExecplanError):
    """Input that is wrong: says what is wrong and where; nothing was written."""


class DependencyCycleError(InvalidInputError):
    """Tasks that depend on each other in a circle; the message names them in order."""

    def __init__(self, cycle: list[str]) -> None:
        self.cycle = cycle
        super().__init__("dependency cycle: " + " -> ".join(cycle))


class StalePlanError(ExecplanError):
    """A change made against a plan version that is no longer the current one."""
