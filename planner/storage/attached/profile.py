"""A profile: where an orchestrator keeps projects, epics, tasks and sessions, as names only.

The rule it holds: execplan reads an orchestrator's own tables through a small declarative map
(table, column and JSON key names, the values of its session type and status) and nothing else;
`yokeflow` is built in, a user's own profile is a TOML file of the same fields. Names are checked
to be identifiers here, and are only ever put into SQL quoted (`psycopg.sql.Identifier`).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from planner.core.errors import InvalidInputError

# a table, column or key name: what the orchestrator's schema could really hold, nothing more
Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")]
Value = Annotated[str, StringConstraints(min_length=1, max_length=63)]


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ProjectsMap(_Part):
    table: Name = "projects"
    id: Name = "id"
    name: Name = "name"
    metadata: Name = "metadata"
    local_path_key: Name = "local_path"
    """The metadata key holding the project's repository folder (absolute, or relative to the
    orchestrator's root)."""
    generations_dir: str = "generations"
    """Without that key: the folder named after the project in this folder of the root."""
    plan_key: Name = "execution_plan"


class EpicsMap(_Part):
    table: Name = "epics"
    id: Name = "id"
    project_id: Name = "project_id"
    name: Name = "name"
    description: Name = "description"
    priority: Name = "priority"


class TasksMap(_Part):
    table: Name = "tasks"
    id: Name = "id"
    project_id: Name = "project_id"
    epic_id: Name = "epic_id"
    description: Name = "description"
    action: Name = "action"
    priority: Name = "priority"
    done: Name = "done"
    metadata: Name = "metadata"
    depends_on_column: Name | None = "depends_on"
    """An integer[] column of task ids, used when the table has it."""
    depends_on_key: Name = "depends_on"
    """The metadata key of a JSON array of task ids (numbers or strings)."""
    dependency_type_key: Name = "dependency_type"
    predicted_files_key: Name = "predicted_files"


class SessionsMap(_Part):
    table: Name = "sessions"
    id: Name = "id"
    project_id: Name = "project_id"
    number: Name = "session_number"
    type: Name = "type"
    status: Name = "status"
    started_at: Name = "started_at"
    ended_at: Name = "ended_at"
    initializer: Value = "initializer"
    completed: Value = "completed"


class Profile(_Part):
    """The whole map of one orchestrator's schema."""

    name: Name
    schema_name: Name = "public"
    projects: ProjectsMap = ProjectsMap()
    epics: EpicsMap = EpicsMap()
    tasks: TasksMap = TasksMap()
    sessions: SessionsMap = SessionsMap()


# YokeFlowEvo (schema/postgresql/schema.sql, and parallel_execution.sql for tasks.depends_on):
# its names are the defaults above
BUILT_IN: dict[str, Profile] = {"yokeflow": Profile(name="yokeflow")}


def load_profile(ref: str) -> Profile:
    """The built-in profile of that name, or the profile in that TOML file; InvalidInputError of
    one line naming the file and the key otherwise."""
    if ref in BUILT_IN:
        return BUILT_IN[ref]
    path = Path(ref)
    if path.suffix != ".toml":
        known = ", ".join(sorted(BUILT_IN))
        raise InvalidInputError(
            f"no profile named {ref!r}: the built-in ones are {known}, or give a .toml file"
        )
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InvalidInputError(f"{ref}: cannot read the profile: {error.strerror}") from error
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise InvalidInputError(f"{ref}: not a TOML file: {error}") from error
    data.setdefault("name", re.sub(r"[^A-Za-z0-9_]", "_", path.stem)[:63] or "profile")
    return profile_from(data, ref)


def profile_from(data: Any, where: str) -> Profile:
    """A profile from its fields (a TOML document, or the copy stored when attaching)."""
    try:
        return Profile.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "profile"
        raise InvalidInputError(f"{where}: {key}: {first['msg']}") from None
