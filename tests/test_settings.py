"""Planner settings: defaults, settings file, environment, and the errors for bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.core.errors import InvalidInputError
from planner.core.settings import Settings, load_settings


@pytest.fixture
def settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text("")
    monkeypatch.setenv("EXECPLAN_SETTINGS", str(path))
    for variable in (
        "EXECPLAN_MAX_WORKTREES",
        "EXECPLAN_DEFAULT_TASK_MINUTES",
        "EXECPLAN_MIN_CONFLICT_STRENGTH",
        "EXECPLAN_MERGE_FRIENDLY",
        "EXECPLAN_SPLIT_MERGE_FRIENDLY",
    ):
        monkeypatch.delenv(variable, raising=False)
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
        ("merge_friendly = 3", "merge_friendly must be a list of globs"),
        ('split_merge_friendly = "maybe"', "split_merge_friendly must be true or false"),
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
