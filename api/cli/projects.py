"""Finding a project by what a user typed: its name or its UUID."""

from __future__ import annotations

import uuid
from typing import Any

from planner.core.errors import NotFoundError
from planner.storage.plans import Queries


async def resolve_project(db: Queries, ref: str) -> dict[str, Any]:
    """The project named `ref`, or whose id is `ref`; NotFoundError names what was looked for."""
    row = await db.fetch_one("project_by_name", {"name": ref})
    if row is None:
        try:
            project_id = uuid.UUID(ref)
        except ValueError:
            project_id = None
        if project_id is not None:
            row = await db.fetch_one("project_by_id", {"id": project_id})
    if row is None:
        raise NotFoundError(f"no project named or with id {ref!r}")
    return row
