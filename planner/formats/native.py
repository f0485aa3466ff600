"""execplan's own tasks file, JSON (`.json`) or YAML (anything else): read as it is."""

from __future__ import annotations

from pathlib import Path

from planner.formats.parse import load_json, load_yaml
from planner.formats.source import Converted, read_text
from planner.formats.validate import Sources


def read(path: Path, tag: str | None = None) -> Converted:
    """Read a tasks file; `tag` is not used (taskmaster's)."""
    text = read_text(path)
    data = load_json(text, str(path)) if path.suffix.lower() == ".json" else load_yaml(text, str(path))
    return Converted(data, Sources(str(path)), path.resolve().parent)
