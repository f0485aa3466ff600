"""The demo: a small sample repository with some history, and a task set to plan for it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from planner.storage.embedded import data_dir

FILES: dict[str, str] = {
    "README.md": "# shop\nA small web shop.\n",
    "pyproject.toml": '[project]\nname = "shop"\n',
    "shop/__init__.py": "",
    "shop/api/__init__.py": "",
    "shop/api/orders.py": "from shop.core.database import Database\n\n\nclass OrderRouter:\n    pass\n",
    "shop/api/users.py": "from shop.core.database import Database\n\n\nclass UserRouter:\n    pass\n",
    "shop/api/payments.py": "class PaymentRouter:\n    pass\n",
    "shop/core/__init__.py": "",
    "shop/core/database.py": "class Database:\n    def connect(self) -> None:\n        pass\n",
    "shop/core/config.py": "SETTINGS: dict[str, str] = {}\n",
    "shop/core/auth.py": "def check_token(token: str) -> bool:\n    return bool(token)\n",
    "web/src/App.tsx": "export function App() { return null; }\n",
    "web/src/cart.ts": "export const cart: string[] = [];\n",
    "web/src/checkout.ts": "export function checkout() {}\n",
    "docs/api.md": "# API\n",
    "tests/test_orders.py": "def test_orders() -> None:\n    pass\n",
}

HISTORY = [
    ("Add order and user routers", ["shop/api/orders.py", "shop/api/users.py"]),
    ("Connect orders to the database", ["shop/api/orders.py", "shop/core/database.py"]),
    ("Token checks for the API", ["shop/core/auth.py", "shop/api/users.py"]),
    ("Cart and checkout pages", ["web/src/cart.ts", "web/src/checkout.ts"]),
]

TASKS = {
    "project": {"name": "demo", "repo_path": "repo"},
    "epics": [
        {"key": "API", "name": "Checkout API", "description": "Orders and payments endpoints", "priority": 1},
        {"key": "AUTH", "name": "Accounts", "description": "Users and sign-in", "priority": 2},
        {"key": "WEB", "name": "Storefront", "description": "The web client", "priority": 3},
        {"key": "OPS", "name": "Operations", "description": "Configuration and docs", "priority": 4},
        {"key": "DATA", "name": "Data layer", "description": "Database access", "priority": 5},
    ],
    "tasks": [
        {"key": "T1", "epic": "DATA", "description": "Add a connection pool to shop/core/database.py"},
        {"key": "T2", "epic": "OPS", "description": "Read DATABASE_URL in shop/core/config.py"},
        {
            "key": "T3",
            "epic": "API",
            "description": "Add POST /orders in shop/api/orders.py",
            "depends_on": ["T1"],
        },
        {
            "key": "T4",
            "epic": "API",
            "description": "Add refunds to shop/api/payments.py",
            "depends_on": ["T1"],
        },
        {
            "key": "T5",
            "epic": "AUTH",
            "description": "Password reset in shop/api/users.py",
            "depends_on": ["T1"],
        },
        {
            "key": "T6",
            "epic": "AUTH",
            "description": "Rotate tokens in shop/core/auth.py and shop/api/orders.py",
            "depends_on": ["T1"],
        },
        {"key": "T7", "epic": "WEB", "description": "Show the cart total in web/src/cart.ts"},
        {
            "key": "T8",
            "epic": "WEB",
            "description": "Call POST /orders from web/src/checkout.ts",
            "depends_on": ["T3"],
            "estimated_minutes": 45,
        },
        {
            "key": "T9",
            "epic": "OPS",
            "description": "Document the orders API in docs/api.md",
            "depends_on": ["T3"],
        },
        {
            "key": "T10",
            "epic": "DATA",
            "description": "Create shop/core/migrations.py for schema changes",
            "depends_on": ["T1"],
        },
        {
            "key": "T11",
            "epic": "OPS",
            "description": "Load migrations settings in shop/core/config.py",
            "depends_on": ["T2"],
        },
        {
            "key": "T12",
            "epic": "API",
            "description": "Test orders in tests/test_orders.py",
            "depends_on": ["T3"],
            "dependency_type": "hard",
        },
    ],
}


def _git(repo: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "execplan demo",
        "GIT_AUTHOR_EMAIL": "demo@execplan.invalid",
        "GIT_COMMITTER_NAME": "execplan demo",
        "GIT_COMMITTER_EMAIL": "demo@execplan.invalid",
    }
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def write_demo(folder: Path | None = None) -> Path:
    """Write the sample repository (anew) and its tasks file; returns the tasks file's path."""
    folder = (folder or data_dir() / "demo").resolve()
    repo = folder / "repo"
    if repo.exists():
        shutil.rmtree(repo)
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    for path, text in FILES.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "Initial shop")
    for message, paths in HISTORY:
        for path in paths:
            with (repo / path).open("a") as handle:
                handle.write(f"# {message}\n")
        _git(repo, "commit", "-q", "-am", message)
    spec = folder / "tasks.json"
    spec.write_text(json.dumps(TASKS, indent=2))
    return spec
