-- Conflicts in merge-friendly files only (changelogs, lock files) are marked in the plan
-- document (`merge_friendly`); the conflicts view shows the mark (false in older plans).
CREATE OR REPLACE VIEW execplan_plan_conflicts_v1 AS
SELECT
    p.id AS project_id,
    p.name AS project_name,
    c.position AS conflict_number,
    c.conflict ->> 'conflict_type' AS conflict_type,
    (c.conflict ->> 'strength')::double precision AS strength,
    ARRAY(SELECT jsonb_array_elements_text(c.conflict -> 'task_ids')::integer) AS task_ids,
    ARRAY(SELECT t.key FROM jsonb_array_elements_text(c.conflict -> 'task_ids') WITH ORDINALITY AS x(id, n)
          JOIN tasks t ON t.id = x.id::integer ORDER BY x.n) AS task_keys,
    ARRAY(SELECT jsonb_array_elements_text(c.conflict -> 'predicted_files')) AS files,
    coalesce((c.conflict ->> 'merge_friendly')::boolean, false) AS merge_friendly
FROM projects p
CROSS JOIN LATERAL jsonb_array_elements(p.metadata -> 'execution_plan' -> 'predicted_conflicts')
    WITH ORDINALITY AS c(conflict, position)
WHERE p.metadata ? 'execution_plan';
