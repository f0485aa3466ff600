"""Planner settings: defaults, then a settings file, then environment variables, then CLI flags.

The settings file is TOML (`EXECPLAN_SETTINGS`, else `execplan.toml` in the working directory,
else `settings.toml` in the user config directory) with a `[planner]` table. An unknown key or a
wrong type is an error that names the key and the file.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import platformdirs

from analyzer.merge_friendly import DEFAULT_GLOBS
from planner.core.errors import InvalidInputError
from planner.core.model import CONFLICT_TYPES
from planner.core.worktrees import Capacity


@dataclass(frozen=True)
class Settings:
    """What the planner needs to know besides the tasks."""

    max_worktrees: int = 4
    default_task_minutes: int = 30
    # conflict types that keep two tasks from running concurrently (bench/README.md: chosen on
    # the taskbench and realbench development sets)
    split_on: tuple[str, ...] = ("same_file",)
    # ... when the conflict is at least this likely (a chance in [0, 1]; see planner.core.conflicts)
    min_conflict_strength: float = 0.15
    # files that many changes touch and that merge without thought (globs; .gitattributes and
    # the history add more: analyzer.merge_friendly); conflicts only in them do not split ...
    merge_friendly: tuple[str, ...] = DEFAULT_GLOBS
    # ... unless this is on
    split_merge_friendly: bool = False

    @property
    def capacity(self) -> Capacity:
        """`max_worktrees` and `default_task_minutes`, as the grouping and packing rules take them."""
        return Capacity(self.max_worktrees, self.default_task_minutes)

    def __post_init__(self) -> None:
        if self.max_worktrees < 1:
            raise InvalidInputError(f"max_worktrees must be at least 1, not {self.max_worktrees}")
        if self.default_task_minutes < 1:
            raise InvalidInputError(
                f"default_task_minutes must be at least 1, not {self.default_task_minutes}"
            )
        if not 0.0 <= self.min_conflict_strength <= 1.0:
            raise InvalidInputError(
                f"min_conflict_strength must be between 0 and 1, not {self.min_conflict_strength}"
            )
        unknown = [kind for kind in self.split_on if kind not in CONFLICT_TYPES]
        if unknown:
            raise InvalidInputError(
                f"split_on: unknown conflict type {unknown[0]!r}; known: {CONFLICT_TYPES}"
            )


_ENV = {
    "max_worktrees": "EXECPLAN_MAX_WORKTREES",
    "default_task_minutes": "EXECPLAN_DEFAULT_TASK_MINUTES",
    "min_conflict_strength": "EXECPLAN_MIN_CONFLICT_STRENGTH",
    "merge_friendly": "EXECPLAN_MERGE_FRIENDLY",
    "split_merge_friendly": "EXECPLAN_SPLIT_MERGE_FRIENDLY",
}
_FRACTIONS = {"min_conflict_strength"}


def settings_file() -> Path | None:
    """The settings file in force, if any."""
    configured = os.environ.get("EXECPLAN_SETTINGS")
    if configured:
        path = Path(configured).expanduser()
        if not path.is_file():
            raise InvalidInputError(f"EXECPLAN_SETTINGS names {path}, which is not a file")
        return path
    for candidate in (
        Path("execplan.toml"),
        Path(platformdirs.user_config_dir("execplan")) / "settings.toml",
    ):
        if candidate.is_file():
            return candidate
    return None


def _coerce(key: str, value: Any, where: str) -> Any:
    known = {f.name: f for f in fields(Settings)}
    if key not in known:
        raise InvalidInputError(f"{where}: unknown setting {key!r}; known: {sorted(known)}")
    if key in ("split_on", "merge_friendly"):
        if isinstance(value, str):  # from the environment: comma-separated
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            what = "conflict types" if key == "split_on" else "globs"
            raise InvalidInputError(f"{where}: {key} must be a list of {what}")
        return tuple(value)
    if key == "split_merge_friendly":
        if isinstance(value, str) and value.lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            return value.lower() in ("1", "true", "yes", "on")
        if not isinstance(value, bool):
            raise InvalidInputError(f"{where}: {key} must be true or false, not {value!r}")
        return value
    if key in _FRACTIONS:
        try:
            if isinstance(value, bool):
                raise TypeError
            return float(value)
        except (TypeError, ValueError):
            raise InvalidInputError(f"{where}: {key} must be a number, not {value!r}") from None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{where}: {key} must be a whole number, not {value!r}") from None
    if isinstance(value, bool) or (isinstance(value, float) and value != number):
        raise InvalidInputError(f"{where}: {key} must be a whole number, not {value!r}")
    return number


def load_settings(**overrides: Any) -> Settings:
    """Settings from the file, the environment and then `overrides` (None values are ignored)."""
    values: dict[str, Any] = {}
    path = settings_file()
    if path is not None:
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise InvalidInputError(f"{path}: not valid TOML: {error}") from None
        for section, table in document.items():
            if section != "planner" or not isinstance(table, dict):
                raise InvalidInputError(f"{path}: unknown section {section!r}; expected [planner]")
            for key, value in table.items():
                values[key] = _coerce(key, value, str(path))
    for key, variable in _ENV.items():
        if os.environ.get(variable):
            values[key] = _coerce(key, os.environ[variable], variable)
    for key, value in overrides.items():
        if value is not None:
            values[key] = _coerce(key, value, "option")
    return replace(Settings(), **values)
