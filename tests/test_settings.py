"""Planner settings: defaults, settings file, environment, flags, and the errors for bad values."""

from __future__ import annotations

import pickle
import re
from pathlib import Path
from typing import Any

import pydantic
import pytest

from planner.core.errors import InvalidInputError
from planner.core.settings import Settings, load_settings

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture
def settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text("")
    monkeypatch.setenv("EXECPLAN_SETTINGS", str(path))
    for name in Settings.model_fields:
        monkeypatch.delenv(f"EXECPLAN_{name.upper()}", raising=False)
    return path


def test_defaults_split_on_likely_shared_files(settings_file: Path) -> None:
    settings = load_settings()
    assert settings == Settings()
    assert settings.split_on == ("same_file",) and settings.min_conflict_strength == 0.15


def test_min_conflict_strength_from_file_then_environment(
    settings_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_file.write_text(
        '[planner]\nmin_conflict_strength = 0.05\nsplit_on = ["same_file", "potential"]\n'
    )
    assert load_settings().min_conflict_strength == 0.05
    assert load_settings().split_on == ("same_file", "potential")
    monkeypatch.setenv("EXECPLAN_MIN_CONFLICT_STRENGTH", "0.5")
    assert load_settings().min_conflict_strength == 0.5
    settings_file.write_text("[planner]\nmin_conflict_strength = 0\n")  # a whole number is a number too
    monkeypatch.delenv("EXECPLAN_MIN_CONFLICT_STRENGTH")
    assert load_settings().min_conflict_strength == 0.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("min_conflict_strength = 1.5", "between 0 and 1"),
        ('min_conflict_strength = "high"', "must be a number"),
        ("min_conflict_strength = true", "must be a number"),
        ('split_on = ["same_folder"]', "unknown conflict type 'same_folder'"),
        ("merge_friendly = 3", "planner.merge_friendly: must be a list of globs"),
        ('split_merge_friendly = "maybe"', "planner.split_merge_friendly: must be true or false"),
        ("worktree_check_seconds = -1", "planner.worktree_check_seconds: must be at least 0.0, not -1"),
        ("worktree_check_seconds = true", "planner.worktree_check_seconds: must be a number"),
        ("worktree_check_seconds = inf", "planner.worktree_check_seconds: must be a finite number, not inf"),
    ],
)
def test_bad_values_are_named(settings_file: Path, text: str, message: str) -> None:
    settings_file.write_text(f"[planner]\n{text}\n")
    with pytest.raises(InvalidInputError, match=message):
        load_settings()


def test_merge_friendly_globs_from_file_then_environment(
    settings_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "CHANGELOG" in load_settings().merge_friendly and not load_settings().split_merge_friendly
    settings_file.write_text('[planner]\nmerge_friendly = ["docs/news/*"]\nsplit_merge_friendly = true\n')
    assert load_settings().merge_friendly == ("docs/news/*",) and load_settings().split_merge_friendly
    monkeypatch.setenv("EXECPLAN_MERGE_FRIENDLY", "CHANGES*, *.lock")
    monkeypatch.setenv("EXECPLAN_SPLIT_MERGE_FRIENDLY", "false")
    assert load_settings().merge_friendly == ("CHANGES*", "*.lock")
    assert not load_settings().split_merge_friendly


# Every setting, a value for it that is not its default, as the file writes it and as the
# environment does (plain and as JSON where the setting is a list).
NON_DEFAULT: dict[str, tuple[str, str, Any]] = {
    "max_worktrees": ("7", "7", 7),
    "default_task_minutes": ("45", "45", 45),
    "split_on": ('["same_file", "potential"]', "same_file, potential", ("same_file", "potential")),
    "min_conflict_strength": ("0.4", "0.4", 0.4),
    "merge_friendly": ('["*.lock"]', '["*.lock"]', ("*.lock",)),
    "split_merge_friendly": ("true", "yes", True),
    "worktrees_dir": ('"/srv/agents"', "/srv/agents", "/srv/agents"),
    "profile": ('"yokeflow"', "yokeflow", "yokeflow"),
    "orchestrator_root": ('"/srv/yokeflow"', "/srv/yokeflow", "/srv/yokeflow"),
    "worktree_check_seconds": ("0.5", "0.5", 0.5),
}


def test_every_setting_is_covered_here() -> None:
    assert set(NON_DEFAULT) == set(Settings.model_fields)


@pytest.mark.parametrize("name", sorted(NON_DEFAULT))
def test_every_setting_from_file_environment_and_keywords(
    name: str, settings_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_file, in_env, value = NON_DEFAULT[name]
    assert getattr(Settings(), name) != value
    settings_file.write_text(f"[planner]\n{name} = {in_file}\n")
    assert getattr(load_settings(), name) == value
    settings_file.write_text("")
    monkeypatch.setenv(f"EXECPLAN_{name.upper()}", in_env)
    assert getattr(load_settings(), name) == value
    monkeypatch.delenv(f"EXECPLAN_{name.upper()}")
    assert getattr(load_settings(**{name: value}), name) == value
    assert load_settings(**{name: None}) == Settings()  # a flag not given leaves the rest


def test_flags_beat_environment_beat_file_beat_defaults(
    settings_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_settings().max_worktrees == 4
    settings_file.write_text("[planner]\nmax_worktrees = 2\ndefault_task_minutes = 10\n")
    assert load_settings().max_worktrees == 2
    monkeypatch.setenv("EXECPLAN_MAX_WORKTREES", "3")
    monkeypatch.setenv("EXECPLAN_SPLIT_ON", '["same_file", "same_directory"]')
    settings = load_settings(max_worktrees=5)
    assert settings.max_worktrees == 5 and settings.default_task_minutes == 10
    assert settings.split_on == ("same_file", "same_directory")
    assert load_settings(max_worktrees=None).max_worktrees == 3
    monkeypatch.setenv("EXECPLAN_MAX_WORKTREES", "")  # empty: as if not set
    assert load_settings().max_worktrees == 2


def test_settings_built_in_code_read_nothing(settings_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings_file.write_text("[planner]\nmax_worktrees = 2\n")
    monkeypatch.setenv("EXECPLAN_MAX_WORKTREES", "3")
    assert Settings().max_worktrees == 4 and Settings(max_worktrees=6).max_worktrees == 6
    assert Settings(split_on=("same_file",), merge_friendly=()).merge_friendly == ()


def test_the_defaults_are_the_ones_plans_were_made_with() -> None:
    settings = Settings()
    assert (settings.max_worktrees, settings.default_task_minutes) == (4, 30)
    assert settings.split_on == ("same_file",) and settings.min_conflict_strength == 0.15
    assert "CHANGELOG" in settings.merge_friendly and settings.split_merge_friendly is False
    assert (settings.capacity.max_worktrees, settings.capacity.default_minutes) == (4, 30)


def test_settings_are_frozen_hashable_and_travel_to_workers() -> None:
    settings = Settings(max_worktrees=3, split_on=("same_file", "potential"))
    assert pickle.loads(pickle.dumps(settings)) == settings
    assert hash(Settings(max_worktrees=3, split_on=("same_file", "potential"))) == hash(settings)
    assert len({settings, Settings(max_worktrees=3, split_on=("same_file", "potential"))}) == 1
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        settings.max_worktrees = 9
    assert settings.max_worktrees == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("max_workers = 3", "settings.toml: planner.max_workers: unknown setting; known: max_worktrees,"),
        ('_env_file = ".env"', "settings.toml: planner._env_file: unknown setting"),
        ("[other]\nx = 1", "settings.toml: unknown section 'other'; expected [planner]"),
        ("max_worktrees = [", "settings.toml: not valid TOML"),
        ("max_worktrees = 0", "settings.toml: planner.max_worktrees: must be at least 1, not 0"),
        ("default_task_minutes = 2.5", "planner.default_task_minutes: must be a whole number, not 2.5"),
        ("max_worktrees = true", "planner.max_worktrees: must be a whole number, not True"),
        ('split_on = ["same_file", 3]', "planner.split_on: must be a list of conflict types"),
    ],
)
def test_bad_file_keys_are_one_line_and_named(settings_file: Path, text: str, message: str) -> None:
    settings_file.write_text(text if text.startswith("[") else f"[planner]\n{text}\n")
    with pytest.raises(InvalidInputError) as raised:
        load_settings()
    assert message in str(raised.value) and "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("EXECPLAN_MAX_WORKTREES", "many", "EXECPLAN_MAX_WORKTREES: must be a whole number, not 'many'"),
        ("EXECPLAN_MIN_CONFLICT_STRENGTH", "2", "EXECPLAN_MIN_CONFLICT_STRENGTH: must be between 0 and 1"),
        ("EXECPLAN_SPLIT_ON", "same_file, nearby", "EXECPLAN_SPLIT_ON: unknown conflict type 'nearby'"),
        ("EXECPLAN_MERGE_FRIENDLY", '["*.lock"', "EXECPLAN_MERGE_FRIENDLY: not a valid JSON array"),
        ("EXECPLAN_MERGE_FRIENDLY", '["*.lock", 3]', "EXECPLAN_MERGE_FRIENDLY: must be a list of globs"),
        (
            "EXECPLAN_SPLIT_MERGE_FRIENDLY",
            "sometimes",
            "EXECPLAN_SPLIT_MERGE_FRIENDLY: must be true or false",
        ),
    ],
)
def test_bad_environment_values_name_the_variable(
    settings_file: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(InvalidInputError) as raised:
        load_settings()
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_bad_flags_and_keywords_name_themselves(settings_file: Path) -> None:
    with pytest.raises(InvalidInputError, match=r"^--max-worktrees: must be at least 1, not 0$"):
        load_settings(max_worktrees=0)
    with pytest.raises(InvalidInputError, match=r"^max_worktrees: must be at least 1, not 0$"):
        Settings(max_worktrees=0)
    with pytest.raises(InvalidInputError, match=r"^max_workers: unknown setting"):
        Settings(max_workers=3)  # type: ignore[call-arg]


def test_readme_documents_every_setting_in_one_table() -> None:
    rows = [line for line in README.read_text().splitlines() if line.startswith("| `")]
    documented = {m.group(1): line for line in rows if (m := re.match(r"\| `(\w+)` \|", line))}
    for name, field in Settings.model_fields.items():
        row = documented.get(name)
        assert row is not None, f"README.md has no row for {name}"
        assert f"`planner.{name}`" in row and f"`EXECPLAN_{name.upper()}`" in row
        if isinstance(field.default, int | float) and not isinstance(field.default, bool):
            assert f"| {field.default} |" in row
