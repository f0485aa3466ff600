"""Where shared/bench/taskbench.py is (the shared folder beside this repository), and loading it.

taskbench is a script, not a package: it is imported from its file so the benchmarks and tests
score plans with its own code.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

TASKBENCH = Path(__file__).resolve().parent.parent.parent / "shared" / "bench" / "taskbench.py"


def load_taskbench(path: Path = TASKBENCH) -> ModuleType:
    """taskbench imported from `path`; FileNotFoundError names the path when it is not there."""
    if not path.is_file():
        raise FileNotFoundError(f"taskbench is expected at {path} (the shared folder beside the repository)")
    spec = importlib.util.spec_from_file_location("taskbench", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
