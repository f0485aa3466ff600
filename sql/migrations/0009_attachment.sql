-- Attached mode (planner/storage/attached): the profile a database is attached with, and the
-- functions that refresh execplan's tables from an orchestrator's. In execplan's own database
-- the table stays empty and the functions do nothing; `execplan attach` replaces them inside
-- schema execplan (sql/attached/sync.sql).

CREATE TABLE attachment (
    profile     text PRIMARY KEY,
    definition  jsonb NOT NULL,
    root        text NOT NULL,
    attached_at timestamptz NOT NULL DEFAULT now()
);

-- The key of a project's advisory lock (planner/storage/plans.lock_project), in one place.
CREATE FUNCTION execplan_project_lock_key_v1(p_project_id uuid) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT hashtextextended('execplan_project:' || p_project_id::text, 0) $$;

CREATE FUNCTION execplan_sync_projects_v1() RETURNS void LANGUAGE plpgsql AS $$ BEGIN END; $$;

CREATE FUNCTION execplan_sync_project_v1(p_project_id uuid, p_strict boolean) RETURNS void LANGUAGE plpgsql AS $$ BEGIN END; $$;
