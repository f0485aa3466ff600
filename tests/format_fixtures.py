"""Task lists in the formats execplan reads, written for these tests (no tests of its own here).

Each is small but has what its format's documentation describes: task-master tags, subtasks,
`"P.S"` references and string priorities; spec-kit phases, stories, `[P]`, `[X]` and a
Dependencies section; ccpm epics with zero-padded and cross-epic numbers, `conflicts_with` and
`parallel`; beads epics, `blocks` and `parent-child` links, an orphaned reference, a message.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import make_repo

TASKMASTER: dict[str, Any] = {
    "master": {
        "tasks": [
            {"id": 1, "title": "Set up the API server", "description": "Create the app in api/app.py",
             "details": "Use FastAPI", "testStrategy": "Call /health in tests/test_app.py", "status": "done",
             "dependencies": [], "priority": "high",
             "subtasks": [{"id": 1, "title": "App factory", "description": "api/app.py", "status": "done"},
                          {"id": 2, "title": "Health route", "description": "api/health.py", "status": "done",
                           "dependencies": [1]}]},
            {"id": 2, "title": "Orders endpoint", "description": "POST /orders in api/orders.py",
             "status": "pending", "dependencies": [1], "priority": "medium",
             "subtasks": [{"id": 1, "title": "Order model", "description": "models/order.py",
                           "status": "done", "dependencies": []},
                          {"id": 2, "title": "Route", "description": "Add the route in api/routes.py",
                           "details": "validate with api/schemas.py", "status": "pending",
                           "dependencies": [1, "3.1"]}]},
            {"id": "3", "title": "Users", "description": "GET /users in api/users.py",
             "status": "in-progress", "dependencies": ["1.2"], "priority": "LOW",
             "subtasks": [{"id": 1, "title": "User model", "description": "models/user.py",
                           "status": "pending"}]},
            {"id": 4, "title": "Dropped idea", "description": "api/legacy.py", "status": "cancelled",
             "dependencies": [2], "priority": "critical"},
            {"id": 5, "title": "Review me", "description": "api/review.py", "status": "review"},
        ],
        "metadata": {"created": "2026-01-01T00:00:00Z", "description": "Tasks for master context"},
    },
    "feature-x": {"tasks": [{"id": 1, "title": "X", "description": "x.py", "status": "pending",
                             "dependencies": []}]},
}  # fmt: skip

SPECKIT = """\
# Tasks: Shop checkout

**Input**: Design documents from `/specs/001-checkout/`

## Format: `[ID] [P?] [Story] Description`

- **[P]**: Can run in parallel (different files, no dependencies)

## Phase 1: Setup (Shared Infrastructure)

- [X] T001 Create project structure
- [ ] T002 [P] Configure linting in pyproject.toml

---

## Phase 2: Foundational (Blocking Prerequisites)

- [ ] T003 Create the database pool in src/db.py
- [ ] T004 [P] Add settings in src/settings.py

## Phase 3: User Story 1 - Place an order (Priority: P1) 🎯 MVP

**Goal**: A customer can place an order

### Implementation for User Story 1

- [ ] T005 [P] [US1] Create Order model in src/models/order.py
- [ ] T006 [US1] Implement OrderService in src/services/orders.py (depends on T005)
  - check stock in src/services/stock.py

## Phase 4: User Story 2 - Pay (Priority: P2)

- [ ] T007 [P] [US2] Payment client in src/payments.py
- [ ] T008 [US2] Checkout endpoint in src/api/checkout.py

## Phase 5: User Story 3 - Receipts (Priority: P3)

- [ ] T009 [US3] Receipt emails in src/mail.py

## Phase 6: Polish & Cross-Cutting Concerns

- [ ] T010 [P] Document checkout in docs/checkout.md

## Dependencies & Execution Order

### Phase Dependencies

- **Setup (Phase 1)**: No dependencies - can start immediately
- **User Stories (Phase 3+)**: All depend on Foundational phase completion
- **User Story 2 (P2)**: Depends on User Story 1 completion - independent of US3
- **User Story 3 (P3)**: Can start after Foundational (Phase 2) - may integrate with US1
- **Polish (Final Phase)**: Depends on all desired user stories being complete

### Within a phase

- T004 blocks T003

## Parallel Example: User Story 1

```bash
Task: "Create Order model in src/models/order.py"
- [ ] T099 [US1] an example, not a task
```

## Notes

- [ ] Verify tests fail before implementing
"""

CCPM_TASK = """\
---
name: {name}
status: {status}
created: 2026-01-01T00:00:00Z
github: https://github.com/acme/shop/issues/{number}
depends_on: {depends}
parallel: {parallel}
conflicts_with: {conflicts}
---

# Task: {name}

## Description
{text}
"""

CCPM_EPIC = """\
---
name: {name}
status: backlog
progress: 0%
---

# Epic: {name}

{text}
"""


def write_ccpm(root: Path) -> Path:
    """A repository planned with ccpm: two synced epics and an archived one; returns its root."""
    epics = root / ".claude" / "epics"
    files = {
        "checkout/epic.md": CCPM_EPIC.format(name="checkout", text="Orders and carts."),
        "checkout/10.md": CCPM_TASK.format(name="Order model", status="closed", number=10, depends="[]",
                                           parallel="true", conflicts="[12]", text="Create models/order.py"),
        "checkout/11.md": CCPM_TASK.format(name="Order API", status="open", number=11, depends="[010]",
                                           parallel="false  # waits for the model", conflicts="[]",
                                           text="POST /orders in api/orders.py"),
        "checkout/11-analysis.md": "---\nissue: 11\n---\n\n## Stream A\n"
                                   "Files: api/orders.py, api/routes.py\n",
        "checkout/12.md": CCPM_TASK.format(name="Cart", status="in-progress", number=12, depends="[001]",
                                           parallel="true", conflicts="[10, 12]", text="Cart in api/cart.py"),
        "checkout/github-mapping.md": "# GitHub Issue Mapping\n",
        "payments/epic.md": CCPM_EPIC.format(name="payments", text="Card payments."),
        "payments/20.md": CCPM_TASK.format(name="Pay", status="open", number=20, depends="[11]",
                                           parallel="true", conflicts="[]", text="Charge in api/pay.py"),
        "archived/old/epic.md": CCPM_EPIC.format(name="old", text="Done long ago."),
        "archived/old/10.md": CCPM_TASK.format(name="Old", status="closed", number=10, depends="[]",
                                               parallel="true", conflicts="[]", text="old.py"),
    }  # fmt: skip
    for name, text in files.items():
        (epics / name).parent.mkdir(parents=True, exist_ok=True)
        (epics / name).write_text(text)
    return root


BEADS: list[dict[str, Any]] = [
    {"id": "bd-1", "title": "Checkout", "description": "Orders", "issue_type": "epic", "status": "open",
     "priority": 1},
    {"id": "bd-2", "title": "Order model", "description": "models/order.py", "design": "a dataclass",
     "acceptance_criteria": "tests pass", "notes": "see bd-3", "status": "closed", "priority": 2,
     "issue_type": "task",
     "dependencies": [{"issue_id": "bd-2", "depends_on_id": "bd-1", "type": "parent-child"}]},
    {"id": "bd-3", "title": "Order route", "description": "api/orders.py", "status": "in_progress",
     "priority": 0, "issue_type": "feature", "estimated_minutes": 45,
     "dependencies": [{"issue_id": "bd-3", "depends_on_id": "bd-1", "type": "parent-child"},
                      {"issue_id": "bd-3", "depends_on_id": "bd-2", "type": "blocks"},
                      {"issue_id": "bd-3", "depends_on_id": "bd-4", "type": "related"},
                      {"issue_id": "bd-3", "depends_on_id": "bd-gone", "type": "blocks"}]},
    {"id": "bd-3.1", "title": "Route tests", "status": "open", "priority": 3, "issue_type": "task",
     "dependencies": [{"issue_id": "bd-3.1", "depends_on_id": "bd-3", "type": "parent-child"}]},
    {"id": "bd-4", "title": "Docs", "status": "open", "priority": 4, "issue_type": "chore",
     "dependencies": [{"issue_id": "bd-4", "depends_on_id": "bd-5", "type": "discovered-from"},
                      {"issue_id": "bd-4", "depends_on_id": "bd-1", "type": "blocks"}]},
    {"id": "bd-5", "title": "Ping", "issue_type": "message", "status": "open", "priority": 2},
    {"id": "bd-6", "title": "Payments", "issue_type": "epic", "status": "open", "priority": 2,
     "dependencies": [{"issue_id": "bd-6", "depends_on_id": "bd-1", "type": "blocks"}]},
    {"id": "bd-7", "title": "Pay", "status": "open", "priority": 2, "issue_type": "task", "parent": "bd-6"},
]  # fmt: skip


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def write_taskmaster(root: Path, doc: dict[str, Any] | None = None) -> Path:
    return write(root / ".taskmaster" / "tasks" / "tasks.json", json.dumps(doc or TASKMASTER, indent=2))


def write_beads(root: Path, issues: list[dict[str, Any]] | None = None) -> Path:
    lines = [json.dumps(issue) for issue in issues or BEADS]
    return write(
        root / ".beads" / "issues.jsonl", "\n".join(lines[:3]) + "\n\n" + "\n".join(lines[3:]) + "\n"
    )


def shop_repo(root: Path) -> Path:
    """A real git repository for a task list to live in."""
    return make_repo(root, {"README.md": "# shop\n", "api/orders.py": "def create():\n    pass\n"})
