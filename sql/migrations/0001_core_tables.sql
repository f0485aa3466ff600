-- Core tables: the orchestrator's projects, epics, tasks, dependencies and sessions,
-- plus the history of saved execution plans.

CREATE TABLE projects (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL UNIQUE,
    repo_path   text,
    metadata    jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE epics (
    id          serial PRIMARY KEY,
    project_id  uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    key         text,
    name        text NOT NULL,
    description text NOT NULL DEFAULT '',
    priority    integer NOT NULL DEFAULT 0,
    metadata    jsonb NOT NULL DEFAULT '{}'::jsonb,
    UNIQUE (project_id, key)
);
CREATE INDEX epics_project_idx ON epics (project_id);

CREATE TABLE tasks (
    id          serial PRIMARY KEY,
    project_id  uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    epic_id     integer REFERENCES epics(id) ON DELETE SET NULL,
    key         text NOT NULL,
    description text NOT NULL DEFAULT '',
    action      text NOT NULL DEFAULT '',
    priority    integer NOT NULL DEFAULT 0,
    done        boolean NOT NULL DEFAULT false,
    metadata    jsonb NOT NULL DEFAULT '{}'::jsonb,
    UNIQUE (project_id, key)
);
CREATE INDEX tasks_epic_idx ON tasks (epic_id);

CREATE TABLE task_dependencies (
    task_id            integer NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    depends_on_task_id integer NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    dependency_type    text NOT NULL DEFAULT 'hard' CHECK (dependency_type IN ('hard', 'soft')),
    PRIMARY KEY (task_id, depends_on_task_id),
    CHECK (task_id <> depends_on_task_id)
);
CREATE INDEX task_dependencies_depends_on_idx ON task_dependencies (depends_on_task_id, task_id);

CREATE TABLE sessions (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id     uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    session_number integer NOT NULL,
    type           text NOT NULL CHECK (type IN ('initializer', 'coding', 'review')),
    status         text NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'running', 'completed', 'error', 'interrupted')),
    started_at     timestamptz,
    ended_at       timestamptz,
    UNIQUE (project_id, session_number)
);

CREATE TABLE execution_plan_history (
    project_id  uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    version     integer NOT NULL,
    plan        jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, version)
);
