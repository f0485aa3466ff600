"""The native tasks file as pydantic models: the one statement of its keys, their types and limits.

The validator (`validate.py`) checks documents against these models, `PUT /api/projects` documents
its body with them in the OpenAPI, and `execplan schema` prints them as JSON Schema. Rules that
need the whole file (unknown epic or task, duplicate key, self-dependency, cycle) are not
expressible here; they are the validator's. Unknown keys are refused and types are strict.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, JsonValue, WithJsonSchema
from pydantic_core import PydanticCustomError

INT_MAX = 2**31 - 1  # the database's integer columns
KEY_LENGTH = 200  # keys and names are indexed: PostgreSQL's index entries hold at most 2,704 bytes
NAME_LENGTH = 500
PATH_LENGTH = 4096  # the longest path Linux opens
TEXT_LENGTH = 1_000_000  # a description or action (a whole file is at most 8 MiB)


def as_key(value: Any) -> str | None:
    """A key as stored (a non-empty string; a whole number becomes its digits), or None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value
    return None


def _key(value: Any) -> str:
    key = as_key(value)
    if key is None:
        raise PydanticCustomError("key_type", "a key must be a non-empty string or a whole number")
    return key


Key = Annotated[
    str,
    BeforeValidator(_key),
    Field(max_length=KEY_LENGTH),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "minLength": 1, "maxLength": KEY_LENGTH, "pattern": r"\S"},
                {"type": "integer"},
            ]
        }
    ),
]
Name = Annotated[str, Field(max_length=NAME_LENGTH)]
Text = Annotated[str, Field(max_length=TEXT_LENGTH)]
Priority = Annotated[
    int, Field(ge=-INT_MAX, le=INT_MAX, description="lower runs first when tasks compete for a slot")
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ProjectSpec(_Strict):
    name: Annotated[
        str,
        Field(min_length=1, max_length=NAME_LENGTH, description="re-importing a name replaces that project"),
    ]
    repo_path: Annotated[str, Field(max_length=PATH_LENGTH)] | None = Field(
        default=None,
        description="the top of the project's git repository; a relative path is read from the tasks "
        "file's folder (PUT /api/projects needs an absolute one)",
    )


class EpicSpec(_Strict):
    key: Key
    name: Name
    description: Text | None = None
    priority: Priority = 0
    metadata: dict[str, JsonValue] | None = None


class TaskSpec(_Strict):
    key: Key
    epic: Key | None = Field(default=None, description="the key of one of the file's epics")
    title: Name | None = None
    description: Text | None = None
    action: Text | None = None
    priority: Priority = 0
    depends_on: list[Key] | None = Field(default=None, description="keys of tasks that must finish first")
    dependency_type: Literal["hard", "soft"] | None = Field(
        default=None, description="hard (the default) orders the task after its depends_on; soft does not"
    )
    done: bool = False
    estimated_minutes: Annotated[int, Field(gt=0, le=INT_MAX)] | None = None
    conflicts_with: list[Key] | None = Field(
        default=None, description="keys of tasks said to touch the same files (a planning tool's hint)"
    )
    parallel: bool | None = Field(
        default=None, description="whether the task is said to be safe to run beside others (a hint)"
    )
    metadata: dict[str, JsonValue] | None = None


class TasksFile(_Strict):
    """An execplan tasks file: a project, its epics and its tasks."""

    model_config = ConfigDict(title="execplan tasks file")

    project: ProjectSpec
    epics: list[EpicSpec] = []
    tasks: list[TaskSpec]


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the tasks file (draft 2020-12)."""
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **TasksFile.model_json_schema()}
