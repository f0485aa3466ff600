-- Attached mode: execplan's own tables in schema execplan mirror the orchestrator's (read
-- through the source_* views of sources.sql), so that every query of execplan runs unchanged.
-- These replace the no-op functions of sql/migrations/0009. Only rows that differ are written.

-- Every project and session (for listings and the sweep): projects' names and folders, and
-- their sessions; a project gone from the orchestrator goes from the mirror with all it holds.
CREATE OR REPLACE FUNCTION execplan.execplan_sync_projects_v1()
RETURNS void
LANGUAGE plpgsql
SET search_path = execplan, pg_catalog
AS $$
BEGIN
    INSERT INTO projects AS m (id, name, repo_path)
    SELECT s.id, s.name, s.repo_path FROM source_projects s
    ON CONFLICT (id) DO UPDATE SET name = excluded.name, repo_path = excluded.repo_path
    WHERE (m.name, m.repo_path) IS DISTINCT FROM (excluded.name, excluded.repo_path);
    DELETE FROM projects m WHERE NOT EXISTS (SELECT 1 FROM source_projects s WHERE s.id = m.id);

    INSERT INTO sessions AS m (id, project_id, session_number, type, status, started_at, ended_at)
    SELECT s.id, s.project_id, s.session_number, s.type, s.status, s.started_at, s.ended_at
    FROM source_sessions s
    ON CONFLICT (id) DO UPDATE
    SET session_number = excluded.session_number, type = excluded.type, status = excluded.status,
        started_at = excluded.started_at, ended_at = excluded.ended_at
    WHERE (m.session_number, m.type, m.status, m.started_at, m.ended_at)
          IS DISTINCT FROM (excluded.session_number, excluded.type, excluded.status,
                            excluded.started_at, excluded.ended_at);
    DELETE FROM sessions m WHERE NOT EXISTS (SELECT 1 FROM source_sessions s WHERE s.id = m.id);
END;
$$;

-- One project's epics, tasks and dependencies (call under the project's lock). A dependency
-- that names no task of the project, or the task itself, is refused (SQLSTATE EP002), naming
-- both, and the caller's transaction then writes nothing; or, not `p_strict` (for reads), left out.
CREATE OR REPLACE FUNCTION execplan.execplan_sync_project_v1(p_project_id uuid, p_strict boolean)
RETURNS void
LANGUAGE plpgsql
SET search_path = execplan, pg_catalog
AS $$
DECLARE
    bad record;
BEGIN
    PERFORM execplan_sync_projects_v1();
    IF NOT EXISTS (SELECT 1 FROM projects WHERE id = p_project_id) THEN
        RETURN;
    END IF;

    SELECT d.task_id, d.depends_on INTO bad
    FROM source_dependencies d
    WHERE d.project_id = p_project_id
      AND (d.depends_on = d.task_id::text
           OR NOT EXISTS (SELECT 1 FROM source_tasks o
                          WHERE o.project_id = p_project_id AND o.id::text = d.depends_on))
    ORDER BY d.task_id, d.depends_on
    LIMIT 1;
    IF FOUND AND p_strict THEN
        RAISE EXCEPTION USING ERRCODE = 'EP002', MESSAGE = CASE
            WHEN bad.depends_on = bad.task_id::text
                THEN format('task %s depends on itself', bad.task_id)
            ELSE format('task %s depends on %s, which is not a task of project %s',
                        bad.task_id, to_json(bad.depends_on), p_project_id)
        END;
    END IF;

    INSERT INTO epics AS m (id, project_id, key, name, description, priority)
    SELECT s.id, s.project_id, s.id::text, s.name, s.description, s.priority
    FROM source_epics s WHERE s.project_id = p_project_id
    ON CONFLICT (id) DO UPDATE
    SET project_id = excluded.project_id, key = excluded.key, name = excluded.name,
        description = excluded.description, priority = excluded.priority
    WHERE (m.project_id, m.key, m.name, m.description, m.priority)
          IS DISTINCT FROM (excluded.project_id, excluded.key, excluded.name,
                            excluded.description, excluded.priority);
    DELETE FROM epics m
    WHERE m.project_id = p_project_id
      AND NOT EXISTS (SELECT 1 FROM source_epics s WHERE s.id = m.id AND s.project_id = p_project_id);

    INSERT INTO tasks AS m (id, project_id, epic_id, key, description, action, priority, done, metadata)
    SELECT s.id, s.project_id, s.epic_id, s.id::text, s.description, s.action, s.priority, s.done,
           s.metadata
    FROM source_tasks s WHERE s.project_id = p_project_id
    ON CONFLICT (id) DO UPDATE
    SET project_id = excluded.project_id, epic_id = excluded.epic_id, key = excluded.key,
        description = excluded.description, action = excluded.action,
        priority = excluded.priority, done = excluded.done,
        -- the orchestrator's keys, and the predictions execplan keeps
        metadata = excluded.metadata || jsonb_strip_nulls(
            jsonb_build_object('predicted_files', m.metadata -> 'predicted_files'))
    WHERE (m.project_id, m.epic_id, m.key, m.description, m.action, m.priority, m.done,
           m.metadata - 'predicted_files')
          IS DISTINCT FROM (excluded.project_id, excluded.epic_id, excluded.key,
                            excluded.description, excluded.action, excluded.priority,
                            excluded.done, excluded.metadata);
    DELETE FROM tasks m
    WHERE m.project_id = p_project_id
      AND NOT EXISTS (SELECT 1 FROM source_tasks s WHERE s.id = m.id AND s.project_id = p_project_id);

    DELETE FROM task_dependencies d
    USING tasks t
    WHERE t.id = d.task_id AND t.project_id = p_project_id;
    INSERT INTO task_dependencies (task_id, depends_on_task_id, dependency_type)
    SELECT DISTINCT ON (d.task_id, o.id) d.task_id, o.id, d.dependency_type
    FROM source_dependencies d
    JOIN source_tasks o ON o.project_id = p_project_id AND o.id::text = d.depends_on
    WHERE d.project_id = p_project_id AND o.id <> d.task_id
    ORDER BY d.task_id, o.id, d.dependency_type;
END;
$$;
