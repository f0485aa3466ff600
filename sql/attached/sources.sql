-- The orchestrator's tables as execplan reads them: one view each in schema execplan, composed
-- at attach time from the profile (every name an identifier, every value a literal; see
-- planner/storage/attached/install.py). Placeholders in braces; literal braces doubled.

CREATE VIEW execplan.source_projects AS
SELECT p.{p_id} AS id,
       p.{p_name}::text AS name,
       CASE
           WHEN nullif(p.{p_meta} ->> {local_path_key}, '') IS NULL
               THEN {generations} || '/' || p.{p_name}::text
           WHEN left(p.{p_meta} ->> {local_path_key}, 1) = '/' THEN p.{p_meta} ->> {local_path_key}
           ELSE {root} || '/' || (p.{p_meta} ->> {local_path_key})
       END AS repo_path
FROM {projects} p;

CREATE VIEW execplan.source_epics AS
SELECT e.{e_id} AS id,
       e.{e_project} AS project_id,
       e.{e_name}::text AS name,
       coalesce(e.{e_description}::text, '') AS description,
       coalesce(e.{e_priority}, 0)::integer AS priority
FROM {epics} e;

CREATE VIEW execplan.source_tasks AS
SELECT t.{t_id} AS id,
       t.{t_project} AS project_id,
       t.{t_epic} AS epic_id,
       coalesce(t.{t_description}::text, '') AS description,
       coalesce(t.{t_action}::text, '') AS action,
       coalesce(t.{t_priority}, 0)::integer AS priority,
       coalesce(t.{t_done}, false) AS done,
       CASE WHEN jsonb_typeof(t.{t_meta}) = 'object' THEN t.{t_meta} - {predicted_files_key}
            ELSE '{{}}'::jsonb END AS metadata
FROM {tasks} t;

-- every dependency a task names, from the array column (when there is one) and the metadata key
-- (a JSON array of ids as numbers or strings, or one id), merged; as text, checked when synced
CREATE VIEW execplan.source_dependencies AS
SELECT t.{t_id} AS task_id,
       t.{t_project} AS project_id,
       btrim(d.dep) AS depends_on,
       CASE WHEN t.{t_meta} ->> {dependency_type_key} = 'soft' THEN 'soft' ELSE 'hard' END AS dependency_type
FROM {tasks} t
CROSS JOIN LATERAL (
    {array_dependencies}
    SELECT value
    FROM jsonb_array_elements_text(
        CASE jsonb_typeof(t.{t_meta} -> {depends_on_key})
            WHEN 'array' THEN t.{t_meta} -> {depends_on_key}
            WHEN 'string' THEN jsonb_build_array(t.{t_meta} -> {depends_on_key})
            WHEN 'number' THEN jsonb_build_array(t.{t_meta} -> {depends_on_key})
            ELSE '[]'::jsonb
        END
    )
) AS d(dep);

CREATE VIEW execplan.source_sessions AS
SELECT s.{s_id} AS id,
       s.{s_project} AS project_id,
       s.{s_number}::integer AS session_number,
       CASE WHEN s.{s_type}::text = {initializer} THEN 'initializer' ELSE 'coding' END AS type,
       CASE WHEN s.{s_status}::text = {completed} THEN 'completed' ELSE 'pending' END AS status,
       s.{s_started}::timestamptz AS started_at,
       s.{s_ended}::timestamptz AS ended_at
FROM {sessions} s;
