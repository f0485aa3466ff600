-- Views for ad-hoc inspection with psql: the stored plan, its predicted conflicts, and the live
-- dependency levels of unfinished tasks.

-- One row per (batch, task, worktree) of each project's stored plan.
CREATE VIEW execplan_plan_tasks_v1 AS
SELECT
    p.id AS project_id,
    p.name AS project_name,
    (p.metadata -> 'execution_plan' ->> 'version')::integer AS plan_version,
    (b.batch ->> 'batch_id')::integer AS batch_id,
    (b.batch ->> 'can_parallel')::boolean AS can_parallel,
    t.id AS task_id,
    t.key AS task_key,
    t.epic_id,
    p.metadata -> 'execution_plan' -> 'worktree_assignments' ->> t.id::text AS worktree,
    b.position AS batch_position,
    tid.position AS position_in_batch,
    t.description
FROM projects p
CROSS JOIN LATERAL jsonb_array_elements(p.metadata -> 'execution_plan' -> 'batches')
    WITH ORDINALITY AS b(batch, position)
CROSS JOIN LATERAL jsonb_array_elements_text(b.batch -> 'task_ids') WITH ORDINALITY AS tid(id, position)
JOIN tasks t ON t.id = tid.id::integer AND t.project_id = p.id
WHERE p.metadata ? 'execution_plan';

-- One row per predicted conflict of each project's stored plan.
CREATE VIEW execplan_plan_conflicts_v1 AS
SELECT
    p.id AS project_id,
    p.name AS project_name,
    c.position AS conflict_number,
    c.conflict ->> 'conflict_type' AS conflict_type,
    (c.conflict ->> 'strength')::double precision AS strength,
    ARRAY(SELECT jsonb_array_elements_text(c.conflict -> 'task_ids')::integer) AS task_ids,
    ARRAY(SELECT t.key FROM jsonb_array_elements_text(c.conflict -> 'task_ids') WITH ORDINALITY AS x(id, n)
          JOIN tasks t ON t.id = x.id::integer ORDER BY x.n) AS task_keys,
    ARRAY(SELECT jsonb_array_elements_text(c.conflict -> 'predicted_files')) AS files
FROM projects p
CROSS JOIN LATERAL jsonb_array_elements(p.metadata -> 'execution_plan' -> 'predicted_conflicts')
    WITH ORDINALITY AS c(conflict, position)
WHERE p.metadata ? 'execution_plan';

-- Live dependency levels of every unfinished task, computed now from task_dependencies
-- (not from the stored plan), once per project. level is NULL for a task on, or behind, a
-- dependency cycle.
CREATE VIEW execplan_live_levels_v1 AS
SELECT
    p.id AS project_id,
    p.name AS project_name,
    x.task_id,
    x.task_key,
    x.epic_id,
    x.level
FROM projects p
CROSS JOIN LATERAL (
    SELECT t.id AS task_id, t.key AS task_key, t.epic_id, l.level
    FROM tasks t
    LEFT JOIN execplan_task_levels_unchecked_v1(p.id) l ON l.task_id = t.id
    WHERE t.project_id = p.id AND NOT t.done
) x;
