-- Named queries. Each starts with a "-- name: <name>" line and a one-line description.

-- name: migrations_create_table
-- The table that records which numbered migrations have been applied.
CREATE TABLE IF NOT EXISTS execplan_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);

-- name: migrations_lock
-- Serialises concurrent `db migrate` runs for the length of the transaction.
SELECT pg_advisory_xact_lock(hashtext('execplan_migrations'));

-- name: migrations_applied
-- Versions already applied.
SELECT version FROM execplan_migrations ORDER BY version;

-- name: migrations_record
-- Records one applied migration.
INSERT INTO execplan_migrations (version, name) VALUES (%(version)s, %(name)s);

-- name: project_by_name
-- A project by its unique name.
SELECT id, name, repo_path, metadata, created_at, updated_at FROM projects WHERE name = %(name)s;

-- name: project_by_id
-- A project by its id.
SELECT id, name, repo_path, metadata, created_at, updated_at FROM projects WHERE id = %(id)s;

-- name: projects_list
-- Every project, by name.
SELECT id, name, repo_path FROM projects ORDER BY name;

-- name: projects_with_plan
-- The ids of the projects that have a stored plan, by name.
SELECT id FROM projects WHERE metadata ? 'execution_plan' ORDER BY name;

-- name: project_upsert
-- Creates a project, or updates the repository path of the project of that name.
INSERT INTO projects (name, repo_path) VALUES (%(name)s, %(repo_path)s)
ON CONFLICT (name) DO UPDATE SET repo_path = EXCLUDED.repo_path, updated_at = now()
RETURNING id;

-- name: project_lock
-- Serialises work on one project (imports, plan builds) for the length of the transaction.
SELECT pg_advisory_xact_lock(execplan_project_lock_key_v1(%(project_id)s::uuid));

-- name: epics_upsert
-- Creates or updates a project's epics by key, from a JSON array of {key, name, description, priority}.
INSERT INTO epics (project_id, key, name, description, priority)
SELECT %(project_id)s, e.key, e.name, coalesce(e.description, ''), coalesce(e.priority, 0)
FROM jsonb_to_recordset(%(epics)s::jsonb) AS e(key text, name text, description text, priority integer)
ON CONFLICT (project_id, key) DO UPDATE
SET name = EXCLUDED.name, description = EXCLUDED.description, priority = EXCLUDED.priority
RETURNING id, key;

-- name: epics_delete_missing
-- Deletes a project's epics whose key is not in the given list.
DELETE FROM epics WHERE project_id = %(project_id)s AND NOT (key = ANY (%(keys)s::text[]));

-- name: tasks_upsert
-- Creates or updates a project's tasks by key, from a JSON array; keeps each task's id and metadata,
-- except the metadata keys the tasks file's own fields set (owned_keys), which the file replaces.
INSERT INTO tasks (project_id, epic_id, key, description, action, priority, done, metadata)
SELECT %(project_id)s, t.epic_id, t.key, coalesce(t.description, ''), coalesce(t.action, ''),
       coalesce(t.priority, 0), coalesce(t.done, false), coalesce(t.metadata, '{}'::jsonb)
FROM jsonb_to_recordset(%(tasks)s::jsonb)
     AS t(key text, epic_id integer, description text, action text, priority integer, done boolean,
          metadata jsonb)
ON CONFLICT (project_id, key) DO UPDATE
SET epic_id = EXCLUDED.epic_id, description = EXCLUDED.description, action = EXCLUDED.action,
    priority = EXCLUDED.priority, done = EXCLUDED.done,
    metadata = (tasks.metadata - %(owned_keys)s::text[]) || EXCLUDED.metadata
RETURNING id, key;

-- name: tasks_delete_missing
-- Deletes a project's tasks whose key is not in the given list.
DELETE FROM tasks WHERE project_id = %(project_id)s AND NOT (key = ANY (%(keys)s::text[]));

-- name: dependencies_delete_for_project
-- Removes every dependency between a project's tasks.
DELETE FROM task_dependencies d USING tasks t WHERE t.id = d.task_id AND t.project_id = %(project_id)s;

-- name: dependencies_insert
-- Inserts dependencies from a JSON array of {task_id, depends_on_task_id, dependency_type}.
INSERT INTO task_dependencies (task_id, depends_on_task_id, dependency_type)
SELECT d.task_id, d.depends_on_task_id, d.dependency_type
FROM jsonb_to_recordset(%(dependencies)s::jsonb)
     AS d(task_id integer, depends_on_task_id integer, dependency_type text);

-- name: task_levels
-- Dependency levels of a project's unfinished tasks (raises EP001 naming a cycle).
SELECT task_id, level FROM execplan_task_levels_v1(%(project_id)s) ORDER BY level, task_id;

-- name: tasks_for_planning
-- A project's unfinished tasks with their epic's text and their dependency level.
SELECT t.id, t.key, t.epic_id, t.description, t.action, t.priority, t.metadata,
       e.name AS epic_name, e.description AS epic_description, e.priority AS epic_priority,
       l.level,
       coalesce((SELECT array_agg(d.depends_on_task_id ORDER BY d.depends_on_task_id)
                 FROM task_dependencies d JOIN tasks dt ON dt.id = d.depends_on_task_id
                 WHERE d.task_id = t.id AND d.dependency_type = 'hard' AND NOT dt.done),
                '{}') AS depends_on
FROM execplan_task_levels_v1(%(project_id)s) l
JOIN tasks t ON t.id = l.task_id
LEFT JOIN epics e ON e.id = t.epic_id
ORDER BY l.level, t.priority, t.id;

-- name: epics_of_project
-- A project's epics.
SELECT id, key, name, description, priority, metadata FROM epics
WHERE project_id = %(project_id)s ORDER BY priority, id;

-- name: tasks_of_project
-- All of a project's tasks, done or not.
SELECT id, key, epic_id, description, action, priority, done, metadata FROM tasks
WHERE project_id = %(project_id)s ORDER BY id;

-- name: plan_next_version
-- The version the next saved plan of a project gets.
SELECT coalesce(max(version), 0) + 1 AS version FROM execution_plan_history
WHERE project_id = %(project_id)s;

-- name: plan_store
-- Keeps a saved plan version in the history and writes it into projects.metadata.execution_plan
-- (the document parsed once, for both).
WITH saved AS (
    INSERT INTO execution_plan_history (project_id, version, plan)
    VALUES (%(project_id)s, %(version)s, %(plan)s::jsonb)
    RETURNING plan
)
UPDATE projects
SET metadata = jsonb_set(metadata, '{execution_plan}', (SELECT plan FROM saved), true), updated_at = now()
WHERE id = %(project_id)s;

-- name: tasks_store_predicted_files
-- Writes every task's predicted files, in one statement, from a JSON array of {id, predicted_files}.
UPDATE tasks t
SET metadata = jsonb_set(t.metadata, '{predicted_files}', x.predicted_files, true)
FROM jsonb_to_recordset(%(tasks)s::jsonb) AS x(id integer, predicted_files jsonb)
WHERE t.id = x.id AND t.project_id = %(project_id)s;

-- name: plan_get
-- The stored plan document of a project, or NULL.
SELECT metadata -> 'execution_plan' AS plan FROM projects WHERE id = %(project_id)s;

-- name: plan_history_versions
-- Saved plan versions of a project, newest first.
SELECT version, created_at FROM execution_plan_history WHERE project_id = %(project_id)s
ORDER BY version DESC;

-- name: overrides_get
-- A project's stored manual overrides document, or NULL.
SELECT overrides FROM execution_plan_overrides WHERE project_id = %(project_id)s;

-- name: overrides_store
-- Stores a project's manual overrides document.
INSERT INTO execution_plan_overrides (project_id, overrides) VALUES (%(project_id)s, %(overrides)s::jsonb)
ON CONFLICT (project_id) DO UPDATE SET overrides = EXCLUDED.overrides, updated_at = now();

-- name: notify
-- Sends a notification on a channel (payloads are JSON text, under 8000 bytes).
SELECT pg_notify(%(channel)s, %(payload)s);

-- name: projects_needing_plan
-- Projects whose Session 0 completed after their latest saved plan (or that have none).
SELECT p.id, p.name
FROM projects p
JOIN LATERAL (
    SELECT max(coalesce(s.ended_at, s.started_at, '-infinity'::timestamptz)) AS completed_at
    FROM sessions s
    WHERE s.project_id = p.id AND s.type = 'initializer' AND s.status = 'completed'
) done ON done.completed_at IS NOT NULL
LEFT JOIN LATERAL (
    SELECT max(h.created_at) AS planned_at FROM execution_plan_history h WHERE h.project_id = p.id
) saved ON true
WHERE saved.planned_at IS NULL OR saved.planned_at < done.completed_at
ORDER BY p.name;

-- name: session_upsert
-- Creates or updates a session of a project by its number; returns it.
INSERT INTO sessions (project_id, session_number, type, status, started_at, ended_at)
VALUES (%(project_id)s, %(session_number)s, %(type)s, %(status)s,
        CASE WHEN %(status)s <> 'pending' THEN now() END,
        CASE WHEN %(status)s IN ('completed', 'error', 'interrupted') THEN now() END)
ON CONFLICT (project_id, session_number) DO UPDATE
SET type = EXCLUDED.type, status = EXCLUDED.status,
    started_at = coalesce(sessions.started_at, EXCLUDED.started_at),
    ended_at = CASE WHEN EXCLUDED.status IN ('completed', 'error', 'interrupted')
                    THEN coalesce(EXCLUDED.ended_at, now()) END
RETURNING id, project_id, session_number, type, status, started_at, ended_at;

-- name: sessions_of_project
-- A project's sessions by number.
SELECT id, project_id, session_number, type, status, started_at, ended_at FROM sessions
WHERE project_id = %(project_id)s ORDER BY session_number;

-- name: project_needs_plan
-- Whether one project's Session 0 completed after its latest saved plan (or it has none).
SELECT EXISTS (
    SELECT 1
    FROM (
        SELECT max(coalesce(s.ended_at, s.started_at, '-infinity'::timestamptz)) AS completed_at
        FROM sessions s
        WHERE s.project_id = %(project_id)s AND s.type = 'initializer' AND s.status = 'completed'
    ) done
    WHERE done.completed_at IS NOT NULL
      AND coalesce((SELECT max(h.created_at) FROM execution_plan_history h
                    WHERE h.project_id = %(project_id)s) < done.completed_at, true)
) AS needed;

-- name: build_claim
-- Takes, without waiting, the session lock held by the server process that runs a build of the
-- project, and records that build (lock first, then the row); one row `claimed` when taken.
WITH claim AS (
    SELECT pg_try_advisory_lock(hashtextextended('execplan_build:' || %(project_id)s::text, 0)) AS locked
)
INSERT INTO running_builds (project_id, build_id, backend_pid)
SELECT %(project_id)s::uuid, %(build_id)s, pg_backend_pid() FROM claim WHERE claim.locked
ON CONFLICT (project_id) DO UPDATE
SET build_id = EXCLUDED.build_id, backend_pid = EXCLUDED.backend_pid, started_at = now()
RETURNING true AS claimed;

-- name: build_release
-- Forgets the build taken by build_claim and releases its lock.
WITH gone AS (
    DELETE FROM running_builds WHERE project_id = %(project_id)s AND build_id = %(build_id)s
)
SELECT pg_advisory_unlock(hashtextextended('execplan_build:' || %(project_id)s::text, 0)) AS unlocked;

-- name: build_running
-- The id of the build of the project that some server process runs now: its row counts only
-- while the session that took the build lock still holds it (it dies with its process).
SELECT r.build_id
FROM running_builds r
WHERE r.project_id = %(project_id)s
  AND EXISTS (
      SELECT 1 FROM pg_locks l
      WHERE l.locktype = 'advisory' AND l.granted AND l.pid = r.backend_pid AND l.objsubid = 1
        AND ((l.classid::bigint << 32) | l.objid::bigint)
            = hashtextextended('execplan_build:' || r.project_id::text, 0)
  );

-- name: dependencies_of_project
-- Every dependency between a project's tasks.
SELECT d.task_id, d.depends_on_task_id, d.dependency_type
FROM task_dependencies d JOIN tasks t ON t.id = d.task_id
WHERE t.project_id = %(project_id)s ORDER BY d.task_id, d.depends_on_task_id;

-- name: repository_lock
-- Serialises index refreshes of one repository path until the end of the transaction.
SELECT pg_advisory_xact_lock(hashtextextended('execplan_repository:' || %(path)s, 0));

-- name: repository_upsert
-- The index row of a repository path (created when new).
INSERT INTO repositories (path) VALUES (%(path)s)
ON CONFLICT (path) DO UPDATE SET path = EXCLUDED.path
RETURNING id, head, history_settings, total_commits, total_weight;

-- name: repository_set_history
-- Records the commit the stored history reaches and its totals.
UPDATE repositories
SET head = %(head)s, history_settings = %(settings)s::jsonb, total_commits = %(total_commits)s,
    total_weight = %(total_weight)s, indexed_at = now()
WHERE id = %(repository_id)s;

-- name: repository_touch
-- Records when a repository's index was last refreshed.
UPDATE repositories SET indexed_at = now() WHERE id = %(repository_id)s;

-- name: blobs_known
-- Which of the given blob SHAs are already parsed at this index version.
SELECT blob_sha FROM analyzer_blobs
WHERE blob_sha = ANY (%(shas)s::text[]) AND index_version = %(version)s;

-- name: blobs_insert
-- Stores parsed blob records from a JSON array; returns the SHAs this call inserted.
INSERT INTO analyzer_blobs (blob_sha, index_version, language, skipped, decode_errors, words)
SELECT b.blob_sha, %(version)s, b.language, b.skipped, b.decode_errors, b.words
FROM jsonb_to_recordset(%(blobs)s::jsonb)
     AS b(blob_sha text, language text, skipped text, decode_errors boolean, words jsonb)
ON CONFLICT (blob_sha, index_version) DO NOTHING
RETURNING blob_sha;

-- name: symbols_copy
-- Bulk load of symbols.
COPY analyzer_symbols (blob_sha, index_version, name, qualified_name, kind, line) FROM STDIN;

-- name: imports_copy
-- Bulk load of imports as written.
COPY analyzer_imports (blob_sha, index_version, position, kind, target, names) FROM STDIN;

-- name: blobs_load
-- Parsed blob records for the given SHAs.
SELECT blob_sha, language, skipped, decode_errors, words FROM analyzer_blobs
WHERE blob_sha = ANY (%(shas)s::text[]) AND index_version = %(version)s;

-- name: symbols_load
-- Symbols of the given blobs, in file order.
SELECT blob_sha, name, qualified_name, kind, line FROM analyzer_symbols
WHERE blob_sha = ANY (%(shas)s::text[]) AND index_version = %(version)s
ORDER BY blob_sha, line, qualified_name;

-- name: imports_load
-- Imports of the given blobs, in file order.
SELECT blob_sha, kind, target, names FROM analyzer_imports
WHERE blob_sha = ANY (%(shas)s::text[]) AND index_version = %(version)s
ORDER BY blob_sha, position;

-- name: repository_files_delete
-- Forgets a repository's tracked files.
DELETE FROM repository_files WHERE repository_id = %(repository_id)s;

-- name: repository_files_copy
-- Bulk load of a repository's tracked files.
COPY repository_files (repository_id, path, blob_sha, size, mode) FROM STDIN;

-- name: repository_files_load
-- A repository's tracked files as last stored.
SELECT path, blob_sha, size, mode FROM repository_files WHERE repository_id = %(repository_id)s ORDER BY path;

-- name: repository_imports_delete
-- Forgets a repository's resolved import graph.
DELETE FROM repository_imports WHERE repository_id = %(repository_id)s;

-- name: repository_imports_copy
-- Bulk load of a repository's resolved import graph.
COPY repository_imports (repository_id, path, imported_path) FROM STDIN;

-- name: repository_history_delete
-- Forgets a repository's history statistics (before storing them anew).
WITH changes AS (DELETE FROM repository_file_changes WHERE repository_id = %(repository_id)s),
     pairs AS (DELETE FROM repository_cochange WHERE repository_id = %(repository_id)s),
     words AS (DELETE FROM repository_words WHERE repository_id = %(repository_id)s),
     recent AS (DELETE FROM repository_recent_commits WHERE repository_id = %(repository_id)s)
DELETE FROM repository_file_words WHERE repository_id = %(repository_id)s;

-- name: file_changes_copy
-- Bulk load of how often each file changed.
COPY repository_file_changes (repository_id, path, commits, weight) FROM STDIN;

-- name: cochange_copy
-- Bulk load of co-change pairs (path_a < path_b).
COPY repository_cochange (repository_id, path_a, path_b, commits, weight) FROM STDIN;

-- name: words_copy
-- Bulk load of commit-message words.
COPY repository_words (repository_id, word, commits, weight) FROM STDIN;

-- name: file_words_copy
-- Bulk load of which message words went with which files.
COPY repository_file_words (repository_id, path, word, commits, weight) FROM STDIN;

-- name: file_changes_load
-- How often each file of a repository changed.
SELECT path, commits, weight FROM repository_file_changes WHERE repository_id = %(repository_id)s;

-- name: cochange_load
-- A repository's co-change pairs.
SELECT path_a, path_b, commits, weight FROM repository_cochange WHERE repository_id = %(repository_id)s;

-- name: words_load
-- A repository's commit-message words.
SELECT word, commits, weight FROM repository_words WHERE repository_id = %(repository_id)s;

-- name: file_words_load
-- Which message words went with which files of a repository.
SELECT path, word, commits, weight FROM repository_file_words WHERE repository_id = %(repository_id)s;

-- name: plan_document_text
-- A project's stored plan as JSON text and its version (NULLs without a plan; no row for no project).
SELECT (metadata -> 'execution_plan')::text AS plan,
       (metadata -> 'execution_plan' ->> 'version')::integer AS version
FROM projects WHERE id = %(project_id)s;

-- name: recent_commits_copy
-- Bulk load of the recent commits kept whole.
COPY repository_recent_commits (repository_id, position, sha, words, paths) FROM STDIN;

-- name: recent_commits_load
-- A repository's recent commits kept whole, oldest first.
SELECT sha, words, paths FROM repository_recent_commits WHERE repository_id = %(repository_id)s ORDER BY position;

-- name: projects_overview
-- Every project, by name, with its stored plan's version and batch count (NULL without a plan)
-- and its task counts.
SELECT p.id, p.name, p.repo_path,
       (p.metadata -> 'execution_plan' ->> 'version')::integer AS plan_version,
       jsonb_array_length(p.metadata -> 'execution_plan' -> 'batches') AS batches,
       (SELECT count(*) FROM tasks t WHERE t.project_id = p.id) AS tasks,
       (SELECT count(*) FROM tasks t WHERE t.project_id = p.id AND t.done) AS tasks_done
FROM projects p ORDER BY p.name;

-- name: project_delete
-- Deletes a project; its epics, tasks, sessions, plans and overrides go with it (ON DELETE CASCADE).
DELETE FROM projects WHERE id = %(project_id)s;

-- name: tasks_with_keys
-- The tasks of a project whose key is in the given list.
SELECT id, key, done FROM tasks WHERE project_id = %(project_id)s AND key = ANY (%(keys)s::text[])
ORDER BY id;

-- name: tasks_mark_done
-- Marks the tasks of a project whose key is in the given list done; a task not done yet keeps the
-- files predicted for it then in metadata.predicted_files_at_done (what calibration compares).
UPDATE tasks
SET done = true,
    metadata = CASE WHEN NOT done AND metadata ? 'predicted_files'
                    THEN jsonb_set(metadata, '{predicted_files_at_done}', metadata -> 'predicted_files', true)
                    ELSE metadata END
WHERE project_id = %(project_id)s AND key = ANY (%(keys)s::text[]);

-- name: tasks_record_actual_files
-- Records the files tasks really changed, from a JSON array of {id, files, source, branch}.
UPDATE tasks t
SET metadata = t.metadata || jsonb_build_object(
        'actual_files', x.files, 'actual_files_source', x.source, 'actual_files_branch', x.branch)
FROM jsonb_to_recordset(%(tasks)s::jsonb) AS x(id integer, files jsonb, source text, branch text)
WHERE t.id = x.id AND t.project_id = %(project_id)s;

-- name: task_worktrees
-- The worktrees the given tasks were assigned in every stored plan version, newest first.
SELECT a.key::integer AS task_id, a.value AS worktree, max(h.version) AS version
FROM execution_plan_history h, jsonb_each_text(h.plan -> 'worktree_assignments') AS a
WHERE h.project_id = %(project_id)s AND a.key = ANY (%(task_ids)s::text[])
GROUP BY a.key, a.value
ORDER BY task_id, version DESC;

-- name: worktree_members
-- Every task any stored plan version assigned to one of the given worktrees.
SELECT DISTINCT a.value AS worktree, a.key::integer AS task_id
FROM execution_plan_history h, jsonb_each_text(h.plan -> 'worktree_assignments') AS a
WHERE h.project_id = %(project_id)s AND a.value = ANY (%(worktrees)s::text[])
ORDER BY worktree, task_id;

-- name: tasks_done_with_actual_files
-- A project's done tasks whose actual files are recorded, with the files predicted for them.
SELECT id, key, description, action, metadata ->> 'title' AS title,
       metadata -> 'actual_files' AS actual_files,
       coalesce(metadata -> 'predicted_files_at_done', metadata -> 'predicted_files') AS predicted_files
FROM tasks
WHERE project_id = %(project_id)s AND done AND jsonb_typeof(metadata -> 'actual_files') = 'array'
ORDER BY id;

-- name: attachment_get
-- The profile this database is attached with, if any (attached mode: schema execplan).
SELECT profile, definition, root, attached_at FROM attachment LIMIT 1;

-- name: attachment_store
-- Records the profile a database is attached with.
INSERT INTO attachment (profile, definition, root) VALUES (%(profile)s, %(definition)s, %(root)s);

-- name: attached_schema_exists
-- Whether execplan is attached to this database (its own schema execplan holds the attachment).
SELECT to_regclass('execplan.attachment') IS NOT NULL AS attached;

-- name: schema_exists
-- Whether a schema of that name exists.
SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = %(name)s) AS found;

-- name: table_columns
-- The columns of a table, by name.
SELECT column_name::text AS name
FROM information_schema.columns
WHERE table_schema = %(schema)s AND table_name = %(table)s
ORDER BY ordinal_position;

-- name: create_attached_schema
-- The schema of execplan's own tables in an orchestrator's database.
CREATE SCHEMA execplan;

-- name: use_attached_schema
-- This transaction's statements name execplan's tables in schema execplan.
SET LOCAL search_path = execplan, pg_catalog;

-- name: drop_mirror_session_trigger
-- Attached: execplan's own sessions table is a mirror; the orchestrator's table notifies instead.
DROP TRIGGER execplan_session_completed ON execplan.sessions;

-- name: sync_projects
-- Attached mode: refresh execplan's projects and sessions from the orchestrator's (else nothing).
SELECT execplan_sync_projects_v1();

-- name: sync_project
-- Attached mode: refresh one project's epics, tasks and dependencies (else nothing); under its lock.
SELECT execplan_sync_project_v1(%(project_id)s, true);

-- name: sync_project_if_free
-- Attached mode, for reads: refresh one project unless work on it holds its lock (a build, which
-- refreshes it itself); a dependency that cannot be read is left out, not refused.
SELECT execplan_sync_project_v1(%(project_id)s::uuid, false)
WHERE pg_try_advisory_xact_lock(execplan_project_lock_key_v1(%(project_id)s::uuid));

-- name: sync_projects_if_free
-- Attached mode, for the overview: refresh every project no work holds, as sync_project_if_free.
SELECT execplan_sync_project_v1(p.id, false)
FROM projects p
WHERE pg_try_advisory_xact_lock(execplan_project_lock_key_v1(p.id));
