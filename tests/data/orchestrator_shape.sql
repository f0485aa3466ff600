-- An orchestrator's schema of the shape execplan's `yokeflow` profile reads, written from the
-- facts of YokeFlowEvo's schema (schema/postgresql/schema.sql, parallel_execution.sql): enums for
-- session type and status, uuid projects and sessions, serial epics and tasks, jsonb metadata,
-- tasks.depends_on integer[] beside the metadata strings, and columns execplan must not touch.
CREATE TYPE session_type AS ENUM ('initializer', 'coding', 'review');
CREATE TYPE session_status AS ENUM ('pending', 'running', 'completed', 'error', 'interrupted');
CREATE TYPE task_status AS ENUM ('pending', 'in_progress', 'completed', 'blocked');

CREATE TABLE projects (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name varchar(255) UNIQUE NOT NULL,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now(),
    spec_file_path text,
    total_time_seconds integer DEFAULT 0,
    metadata jsonb DEFAULT '{}'
);

CREATE TABLE sessions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    session_number integer NOT NULL,
    type session_type NOT NULL,
    model text NOT NULL,
    status session_status DEFAULT 'pending',
    started_at timestamptz,
    ended_at timestamptz,
    metrics jsonb DEFAULT '{}',
    UNIQUE (project_id, session_number)
);

CREATE TABLE epics (
    id serial PRIMARY KEY,
    project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name varchar(255) NOT NULL,
    description text,
    priority integer DEFAULT 0,
    status task_status DEFAULT 'pending',
    depends_on_epics integer[] DEFAULT '{}',
    metadata jsonb DEFAULT '{}',
    UNIQUE (project_id, name)
);

CREATE TABLE tasks (
    id serial PRIMARY KEY,
    epic_id integer NOT NULL REFERENCES epics(id) ON DELETE CASCADE,
    project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    description text NOT NULL,
    action text,
    priority integer DEFAULT 0,
    done boolean DEFAULT false,
    session_id uuid REFERENCES sessions(id) ON DELETE SET NULL,
    session_notes text,
    metadata jsonb DEFAULT '{}',
    depends_on integer[] DEFAULT '{}',
    dependency_type varchar(20) DEFAULT 'hard'
);
CREATE INDEX idx_tasks_project_id ON tasks (project_id);
