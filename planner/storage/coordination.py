"""What server processes tell each other through the database: notifications, and which process
builds which project now (the build lock, held by a session, with the build's id beside it).
"""

from __future__ import annotations

from planner.storage.database import Queries


async def notify(conn: Queries, channel: str, payload: str) -> None:
    """Send `payload` to every process LISTENing on `channel`."""
    await conn.execute("notify", {"channel": channel, "payload": payload})


async def claim_build(conn: Queries, project_id: str, build_id: str) -> bool:
    """Take, without waiting, the project's build lock for `build_id` on this session; whether taken."""
    return bool(await conn.fetch_value("build_claim", {"project_id": project_id, "build_id": build_id}))


async def release_build(conn: Queries, project_id: str, build_id: str) -> None:
    """Forget `build_id` and let the project's build lock go."""
    await conn.execute("build_release", {"project_id": project_id, "build_id": build_id})


async def running_build(conn: Queries, project_id: str) -> str | None:
    """The id of the build of the project that a live session holds the lock for, if any."""
    found = await conn.fetch_value("build_running", {"project_id": project_id})
    return None if found is None else str(found)
