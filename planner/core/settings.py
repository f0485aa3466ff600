"""Planner settings: defaults, then a settings file, then environment variables, then CLI flags.

`Settings` (a frozen pydantic-settings model: hashable, picklable for the build workers) holds
every setting, its default and its rule; `Settings()` is the defaults and reads nothing.
`load_settings()` reads, through pydantic-settings' sources, the TOML settings file
(`EXECPLAN_SETTINGS`, else `execplan.toml` in the working directory, else `settings.toml` in the
user config directory; a `[planner]` table) and the environment (`EXECPLAN_<NAME>`; a list as
comma-separated words or a JSON array), then the flags it is given. An unknown key or a bad value
is an `InvalidInputError` of one line that names the key and where it was set.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any

import platformdirs
from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic.functional_validators import ModelWrapValidatorHandler
from pydantic_core import ErrorDetails
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from analyzer.merge_friendly import DEFAULT_GLOBS
from planner.core.errors import InvalidInputError
from planner.core.model import CONFLICT_TYPES
from planner.core.worktrees import Capacity

ENV_PREFIX = "EXECPLAN_"
SECTION = "planner"
_LIST_OF = {"split_on": "conflict types", "merge_friendly": "globs"}
# where `load_settings` took each key from (file, variable, flag), for the error messages; a
# context variable, not the validation context, which pydantic-settings' __init__ does not pass on
_ORIGIN: ContextVar[Mapping[str, str] | None] = ContextVar("settings_origin", default=None)


class Settings(BaseSettings):
    """What execplan needs to know besides the tasks: the planner's settings, where worktrees go,
    and how `execplan attach` reads an orchestrator's database."""

    model_config = SettingsConfigDict(
        frozen=True, extra="forbid", env_prefix=ENV_PREFIX, env_ignore_empty=True
    )

    max_worktrees: int = Field(default=4, ge=1)
    default_task_minutes: int = Field(default=30, ge=1)
    # conflict types that keep two tasks from running concurrently (bench/README.md: chosen on
    # the taskbench and realbench development sets)
    split_on: Annotated[tuple[str, ...], NoDecode] = ("same_file",)
    # ... when the conflict is at least this likely (a chance in [0, 1]; see planner.core.conflicts)
    min_conflict_strength: float = 0.15
    # files that many changes touch and that merge without thought (globs; .gitattributes and
    # the history add more: analyzer.merge_friendly); conflicts only in them do not split ...
    merge_friendly: Annotated[tuple[str, ...], NoDecode] = DEFAULT_GLOBS
    # ... unless this is on
    split_merge_friendly: bool = False
    # where `execplan worktrees create` puts a batch's worktrees (None: `<repository>-worktrees`
    # beside the repository; planner.usecases.worktrees)
    worktrees_dir: str | None = Field(default=None, min_length=1)
    # `execplan attach`: the profile of the orchestrator's schema (a built-in name or a TOML file)
    # and where its relative project folders start (None: the working directory); the planner
    # never reads them (attach records the profile in the database it attaches)
    profile: str | None = Field(default=None, min_length=1)
    orchestrator_root: str | None = Field(default=None, min_length=1)
    # how often `execplan serve` merges the live worktrees of every planned project and announces
    # a new conflict (api/http/worktree_watch.py); 0: never
    worktree_check_seconds: float = Field(default=60, ge=0, allow_inf_nan=False)

    @property
    def capacity(self) -> Capacity:
        """`max_worktrees` and `default_task_minutes`, as the grouping and packing rules take them."""
        return Capacity(self.max_worktrees, self.default_task_minutes)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only the keywords given: `Settings()` is the defaults; `load_settings()` reads the rest."""
        return (init_settings,)

    @field_validator("split_on", "merge_friendly", mode="before")
    @classmethod
    def _words(cls, value: Any) -> Any:
        """A list from text (the environment): a JSON array, else comma-separated words."""
        if not isinstance(value, str):
            return value
        if value.strip().startswith("["):
            try:
                return json.loads(value)
            except json.JSONDecodeError as error:
                raise ValueError(f"not a valid JSON array: {error}") from None
        return [word.strip() for word in value.split(",") if word.strip()]

    @field_validator(
        "max_worktrees",
        "default_task_minutes",
        "min_conflict_strength",
        "worktree_check_seconds",
        mode="before",
    )
    @classmethod
    def _no_booleans(cls, value: Any, info: ValidationInfo) -> Any:
        """`true` is not a number here, though Python counts it as 1."""
        if isinstance(value, bool):
            whole = info.field_name in ("max_worktrees", "default_task_minutes")
            kind = "a whole number" if whole else "a number"
            raise ValueError(f"must be {kind}, not {value!r}")
        return value

    @field_validator("min_conflict_strength")
    @classmethod
    def _chance(cls, value: float) -> float:
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"must be between 0 and 1, not {value}")
        return value

    @field_validator("split_on")
    @classmethod
    def _conflict_types(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [kind for kind in value if kind not in CONFLICT_TYPES]
        if unknown:
            raise ValueError(f"unknown conflict type {unknown[0]!r}; known: {', '.join(CONFLICT_TYPES)}")
        return value

    @model_validator(mode="wrap")
    @classmethod
    def _one_line(cls, data: Any, handler: ModelWrapValidatorHandler[Settings]) -> Settings:
        """A bad value is an `InvalidInputError` naming the key and where it was set (a key
        given in code names itself)."""
        try:
            return handler(data)
        except ValidationError as invalid:
            origin = _ORIGIN.get() or {}
            error = invalid.errors()[0]
            key = str(error["loc"][0]) if error["loc"] else "settings"
            raise InvalidInputError(f"{origin.get(key, key)}: {_problem(key, error)}") from None


def _problem(key: str, error: ErrorDetails) -> str:
    """What is wrong with one value, in words."""
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    if kind == "extra_forbidden":
        return _unknown_setting()
    if key in _LIST_OF and (kind.endswith("_type") or len(error["loc"]) > 1):
        return f"must be a list of {_LIST_OF[key]}, not {value!r}"
    if kind.startswith("int_"):
        return f"must be a whole number, not {value!r}"
    if kind == "finite_number":
        return f"must be a finite number, not {value!r}"
    if kind.startswith("float_"):
        return f"must be a number, not {value!r}"
    if kind.startswith("bool_"):
        return f"must be true or false, not {value!r}"
    if kind == "greater_than_equal":
        return f"must be at least {ctx.get('ge')}, not {value!r}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return str(error["msg"])


def _unknown_setting() -> str:
    return f"unknown setting; known: {', '.join(Settings.model_fields)}"


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


def _file_values(path: Path) -> dict[str, Any]:
    """The `[planner]` table of the settings file; any other section is an error."""
    try:
        document = TomlConfigSettingsSource(Settings, toml_file=path)()
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise InvalidInputError(f"{path}: not valid TOML: {error}") from None
    for section, table in document.items():
        if section != SECTION or not isinstance(table, dict):
            raise InvalidInputError(f"{path}: unknown section {section!r}; expected [{SECTION}]")
    table = dict(document.get(SECTION, {}))
    for key in table:  # before validation: pydantic-settings would take `_env_file` as its own
        if key not in Settings.model_fields:
            raise InvalidInputError(f"{path}: {SECTION}.{key}: {_unknown_setting()}")
    return table


def flag(key: str) -> str:
    """The command-line flag of a setting (`--max-worktrees`)."""
    return "--" + key.replace("_", "-")


def load_settings(**overrides: Any) -> Settings:
    """Settings from the file, the environment and then `overrides` (flags; None values are
    ignored), each later one winning."""
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    path = settings_file()
    if path is not None:
        for key, value in _file_values(path).items():
            values[key], origin[key] = value, f"{path}: {SECTION}.{key}"
    for key, value in EnvSettingsSource(Settings)().items():
        values[key], origin[key] = value, ENV_PREFIX + key.upper()
    for key, value in overrides.items():
        if value is not None:
            values[key], origin[key] = value, flag(key)
    token = _ORIGIN.set(origin)
    try:
        return Settings(**values)
    finally:
        _ORIGIN.reset(token)
