"""`execplan attach` and `execplan detach`: plan inside an orchestrator's own database.

The database is `--database`, else `DATABASE_URL` (never the embedded one: an orchestrator's
database is its own); the profile is `--profile`, else the setting `profile` (`EXECPLAN_PROFILE`,
or `planner.profile` in the settings file); the folder that relative project folders start from is
`--root`, else the setting `orchestrator_root` (`EXECPLAN_ORCHESTRATOR_ROOT`), else the working
directory. Neither command migrates execplan's own schema first: attach creates it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path
from typing import Any

from planner.core.errors import InvalidInputError
from planner.core.settings import load_settings
from planner.storage.attached.install import attach, detach
from planner.storage.attached.profile import BUILT_IN, load_profile
from planner.storage.database import Database


def add_commands(sub: argparse._SubParsersAction[Any]) -> None:
    """The two commands, on the `execplan` parser."""
    known = ", ".join(sorted(BUILT_IN))
    cmd = sub.add_parser(
        "attach", help="plan inside an orchestrator's database (its own tables, execplan's schema)",
        description="Attach execplan to an orchestrator's PostgreSQL database: execplan's tables go "
                    "in a schema `execplan` of it, the orchestrator's tables are read through the "
                    "profile, the plan is written into its projects' metadata and the predictions "
                    "into its tasks' metadata, and a trigger on its sessions table starts a build "
                    "when Session 0 completes (with `execplan serve` on that database). Every "
                    "command pointed at the database (DATABASE_URL) then works on its projects.",
    )  # fmt: skip
    cmd.add_argument("--database", metavar="URL", help="the orchestrator's database (default: DATABASE_URL)")
    cmd.add_argument(
        "--profile", metavar="NAME|FILE.toml",
        help=f"how its tables are named: built in {known}, or a TOML file "
             "(default: the setting profile, EXECPLAN_PROFILE)",
    )  # fmt: skip
    cmd.add_argument(
        "--root", metavar="DIR",
        help="where relative project folders start "
             "(default: the setting orchestrator_root, EXECPLAN_ORCHESTRATOR_ROOT, else here)",
    )  # fmt: skip
    cmd.set_defaults(sync=cmd_attach)
    off = sub.add_parser(
        "detach", help="remove everything attach made (schema execplan and the sessions trigger)"
    )
    off.add_argument("--database", metavar="URL", help="the orchestrator's database (default: DATABASE_URL)")
    off.set_defaults(sync=cmd_detach)


def _url(args: argparse.Namespace) -> str:
    url = args.database or os.environ.get("DATABASE_URL")
    if not url:
        raise InvalidInputError("no database to attach to: give --database URL or set DATABASE_URL")
    return str(url)


def cmd_attach(args: argparse.Namespace) -> int:
    settings = load_settings(profile=args.profile, orchestrator_root=args.root)
    if not settings.profile:
        raise InvalidInputError(
            "no profile: give --profile NAME (e.g. yokeflow), set EXECPLAN_PROFILE or the setting profile"
        )
    profile = load_profile(settings.profile)
    root = Path(settings.orchestrator_root or Path.cwd()).resolve()
    if not root.is_dir():
        raise InvalidInputError(f"--root {root}: not a folder")

    async def run() -> list[int]:
        async with Database(_url(args), max_size=1) as db:
            return await attach(db, profile, root)

    applied = asyncio.run(run())
    print(
        f"attached with profile {profile.name!r} (schema execplan, {len(applied)} migrations; "
        f"project folders from {root}): point DATABASE_URL at this database and run "
        "`execplan projects`, `execplan build PROJECT` or `execplan serve`"
    )
    return 0


def cmd_detach(args: argparse.Namespace) -> int:
    async def run() -> str:
        async with Database(_url(args), max_size=1) as db:
            return await detach(db)

    name = asyncio.run(run())
    print(f"detached (profile {name!r}): schema execplan and the trigger on the sessions table removed")
    return 0
