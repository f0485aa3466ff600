"""execplan's own tasks file, JSON (`.json`) or YAML (anything else): read as it is."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from ..errors import InvalidInputError
from .source import Converted, read_text
from .validate import Sources


def read(path: Path, tag: str | None = None) -> Converted:
    """Read a tasks file; `tag` is not used (taskmaster's)."""
    text = read_text(path)
    is_json = path.suffix.lower() == ".json"
    try:
        data = json.loads(text) if is_json else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        detail = " ".join(str(error).split())
        raise InvalidInputError(f"{path}: not valid {'JSON' if is_json else 'YAML'}: {detail}") from None
    return Converted(data, Sources(str(path)), path.resolve().parent)
