"""What goes over the wire: pydantic models of request bodies, responses and WebSocket events.

Request bodies forbid unknown keys (a misspelt key is a 422 naming it) and are strict about types.
The tasks file body (`PUT /api/projects`) is the planner's own model, checked by its validator.
The plan document mirrors docs/ARCHITECTURE.md; plan events mirror the JSON that
`planner.usecases.automation.announce` sends with `pg_notify`, told apart by their `type`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from planner.core.model import ConflictType
from planner.formats.schema import TasksFile as TasksFile  # the planner's own model of the body

SessionType = Literal["initializer", "coding", "review"]
SessionStatus = Literal["pending", "running", "completed", "error", "interrupted"]
DependencyType = Literal["hard", "soft"]


class Body(BaseModel):
    """A request body: unknown keys and loose types are refused."""

    model_config = ConfigDict(extra="forbid", strict=True)


class ErrorBody(BaseModel):
    """Why a request was refused."""

    detail: str


class InvalidField(BaseModel):
    """One field FastAPI's own validation refused (its 422 lists them)."""

    model_config = ConfigDict(extra="allow")

    loc: list[str | int]
    msg: str
    type: str


class RefusedBody(BaseModel):
    """Why the input was refused: the reason, or (a malformed body) each bad field."""

    detail: str | list[InvalidField]


# -- projects, epics, tasks, sessions --------------------------------------------------------------


class ProjectSummary(BaseModel):
    id: UUID
    name: str
    repo_path: str | None


class ProjectDetail(ProjectSummary):
    created_at: datetime
    updated_at: datetime
    plan_version: int | None = Field(description="version of the stored plan, null when there is none")


class ImportedProject(ProjectSummary):
    created: bool = Field(description="true when the project is new, false when it was replaced")
    epics: int
    tasks: int


class Epic(BaseModel):
    id: int
    key: str
    name: str
    description: str
    priority: int
    metadata: dict[str, Any]


class Dependency(BaseModel):
    task_id: int = Field(description="the task depended on")
    dependency_type: DependencyType


class Task(BaseModel):
    id: int
    key: str
    epic_id: int | None
    description: str
    action: str
    priority: int
    done: bool
    metadata: dict[str, Any]
    depends_on: list[Dependency]


class SessionUpdate(Body):
    """A session's type and status; Session 0 of type initializer moving to completed builds the plan."""

    type: SessionType
    status: SessionStatus


class Session(BaseModel):
    id: UUID
    project_id: UUID
    session_number: int
    type: SessionType
    status: SessionStatus
    started_at: datetime | None
    ended_at: datetime | None


# -- the plan ------------------------------------------------------------------------------------


class PredictedFileDoc(BaseModel):
    path: str
    confidence: float
    evidence: list[str]


class ConflictDoc(BaseModel):
    task_ids: list[int]
    predicted_files: list[str]
    conflict_type: ConflictType
    strength: float
    merge_friendly: bool = False


class BatchDoc(BaseModel):
    batch_id: int
    task_ids: list[int]
    can_parallel: bool
    depends_on: list[int]
    estimated_duration: int = Field(description="seconds")


class PlanTaskDoc(BaseModel):
    id: int
    key: str
    epic_id: int | None
    predicted_files: list[PredictedFileDoc]


class ReasonDoc(BaseModel):
    """One cause of a plan being less parallel than its dependencies allow (`planner.core.explain`)."""

    model_config = ConfigDict(extra="allow")

    kind: str = Field(description="shared_file, conflicts, epic_serial, max_worktrees or chain")
    text: str = Field(
        description='e.g. "11 of 15 tasks are predicted to change api/app.py; 9 batches instead of 3"'
    )
    cost_minutes: int = Field(description="how much shorter the plan would be without this cause (estimate)")
    files: list[str] = Field(description="the files (or directories) it names")
    task_ids: list[int] = Field(description="the tasks it concerns")


class PlanMetadataDoc(BaseModel):
    """How the plan was made: settings, counts, estimated durations, `overrides`, and `why`."""

    model_config = ConfigDict(extra="allow")

    why: list[ReasonDoc] = Field(
        default_factory=list,
        description="why the plan is less parallel than its dependencies allow, most costly first; "
        "empty when it is as parallel",
    )


class ExecutionPlanDoc(BaseModel):
    """The plan document (`projects.metadata.execution_plan`); `metadata.overrides` reports overrides,
    `metadata.why` what keeps it from being more parallel."""

    model_config = ConfigDict(extra="allow")

    project_id: str
    created_at: str
    version: int
    batches: list[BatchDoc]
    worktree_assignments: dict[str, str]
    predicted_conflicts: list[ConflictDoc]
    metadata: PlanMetadataDoc
    tasks: list[PlanTaskDoc]


class BatchMove(Body):
    """Move a task to another batch of the plan."""

    task_id: int
    batch_id: int


class BatchSequential(Body):
    """Run a batch's tasks one after the other in one worktree (or undo that)."""

    batch_id: int
    sequential: bool


class PlanPatch(Body):
    """Manual adjustments; kept and re-applied on every rebuild."""

    worktree_assignments: dict[str, str] = Field(
        default_factory=dict, description="task id -> worktree name of the task's batch"
    )
    batch_overrides: list[BatchMove | BatchSequential] = []


class BuildAccepted(BaseModel):
    build_id: str
    project_id: UUID
    already_running: bool = Field(description="true: a build of this project was already running; its id")


class TasksDone(Body):
    """Tasks to mark done, by key, and (optionally) the files some of them really changed."""

    keys: list[str] = Field(min_length=1, description="the keys of the project's tasks to mark done")
    files: dict[str, list[str]] | None = Field(
        default=None,
        description="per key (one of `keys`), the files that task really changed, relative to the "
        "repository's top; a task not named here has them read from its branch (named as its worktree)",
    )


class TaskRef(BaseModel):
    id: int
    key: str


class TaskMarkedDone(TaskRef):
    actual_files: list[str] | None = Field(
        description="the files recorded as what the task really changed; null: none recorded"
    )
    actual_files_source: Literal["explicit", "commits", "worktree"] | None = Field(
        description="where they came from: the body, the commits on its branch naming its key, or "
        "its branch when it was the only task of its worktree left"
    )
    note: str = Field(description="why nothing was recorded (empty when files were)")


class TasksMarkedDone(BaseModel):
    project_id: UUID
    tasks: list[TaskMarkedDone] = Field(description="the tasks marked done (each key once)")
    build_id: str = Field(description="the rebuild of the plan: follow it on the WebSocket")
    already_running: bool = Field(description="true: a build of this project was already running; its id")


# -- worktrees: real merges (planner.usecases.merge_check, merge_order) ---------------------------


class PredictedBetweenDoc(BaseModel):
    """A conflict the plan predicted between a task of one worktree and a task of the other."""

    task_ids: list[int]
    files: list[str]
    conflict_type: ConflictType
    strength: float


class PairCheckDoc(BaseModel):
    """Two worktrees merged as they are now (uncommitted and new files too)."""

    worktrees: list[str] = Field(description="the two worktrees' names")
    clean: bool
    files: list[str] = Field(description="the files that conflict (empty when clean)")
    predicted: list[PredictedBetweenDoc] = Field(description="what the plan predicted between them")


class WorktreeCheckDoc(BaseModel):
    """Every pair of a batch's existing worktrees merged for real."""

    project_id: UUID
    batch: int
    worktrees: list[str] = Field(description="the batch's worktrees that exist, compared")
    missing: list[str] = Field(description="the batch's worktrees that do not exist")
    clean: bool = Field(description="true when no pair conflicts")
    pairs: list[PairCheckDoc]


class WatchedConflictDoc(BaseModel):
    batch: int
    worktrees: list[str] = Field(description="the two worktrees")
    files: list[str] = Field(description="the files that conflict")


class WatchedConflictsDoc(BaseModel):
    """The conflicting pairs of a project's live worktrees, as the service's worktree watch last
    found them (each was announced as a `worktree_conflict` event when it was new or changed)."""

    project_id: UUID
    watching: bool = Field(
        description="whether this service watches worktrees (`worktree_check_seconds` > 0)"
    )
    every_seconds: float = Field(description="how often it checks them")
    conflicts: list[WatchedConflictDoc]


class MergeStepDoc(BaseModel):
    branch: str
    clean: bool
    files: list[str] = Field(description="the files that conflict at this step")


class PairNeedingPersonDoc(BaseModel):
    branches: list[str]
    files: list[str]


class MergeOrderDoc(BaseModel):
    """The order to merge a batch's branches with the fewest conflicts (simulated, nothing written)."""

    project_id: UUID
    batch: int
    base: str = Field(description="the commit merged into")
    order: list[MergeStepDoc]
    needs_person: list[PairNeedingPersonDoc] = Field(
        description="pairs of branches whose own merge conflicts"
    )
    missing: list[str] = Field(description="the batch's worktrees that have no branch")
    orders_tried: int
    exhaustive: bool = Field(description="true when every order was weighed (else greedy, or cut short)")


# -- plan events (WebSocket) -----------------------------------------------------------------------


class Event(BaseModel):
    """Fields every plan event has; unknown fields a newer sender adds are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    project_id: str


class PlanSummary(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    version: int
    batches: int
    tasks: int
    parallel_batches: int
    conflicts: int
    overrides_not_applied: int = 0
    why: list[str] = Field(default_factory=list, description="the texts of the plan's `metadata.why`")


class PlanBuilding(Event):
    type: Literal["execution_plan_building"]
    build_id: str | None = None
    stage: str | None = None
    """Where the build is (`planner.progress.STAGES`): absent in the event that starts it."""
    fraction: float | None = None
    """How much of that stage is done, 0 to 1."""


class PlanReady(Event):
    type: Literal["execution_plan_ready"]
    build_id: str | None = None
    summary: PlanSummary


class PlanUpdated(Event):
    type: Literal["execution_plan_updated"]
    version: int
    summary: PlanSummary


class PlanError(Event):
    type: Literal["execution_plan_error"]
    build_id: str | None = None
    error: str


class WorktreeConflict(Event):
    """A check (`execplan check`, GET …/execution-plan/check) found two worktrees that conflict."""

    type: Literal["worktree_conflict"]
    batch: int
    worktrees: list[str] = Field(description="the two worktrees")
    files: list[str] = Field(description="the files that conflict")
    files_omitted: int = Field(
        default=0, description="more conflicting files, left out to fit a notification"
    )
    predicted: list[PredictedBetweenDoc] = Field(description="what the plan predicted between them")


PlanEvent = Annotated[
    PlanBuilding | PlanReady | PlanUpdated | PlanError | WorktreeConflict, Field(discriminator="type")
]
