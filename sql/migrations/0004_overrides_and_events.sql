-- Manual plan overrides, kept apart from the computed plan, and the notifications that drive
-- automatic builds (Session 0 completed) and plan events fanned out to every server process.

-- A project's manual adjustments, re-applied on every rebuild; `version` guards concurrent edits.
CREATE TABLE execution_plan_overrides (
    project_id  uuid PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
    overrides   jsonb NOT NULL DEFAULT '{}'::jsonb,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- When the initializer session (Session 0) of a project moves to 'completed', notify channel
-- execplan_session_completed with {"project_id", "session_id"}; listeners build the plan.
CREATE FUNCTION execplan_notify_session_completed_v1()
RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.type = 'initializer' AND NEW.status = 'completed'
       AND (TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM 'completed') THEN
        PERFORM pg_notify(
            'execplan_session_completed',
            json_build_object('project_id', NEW.project_id, 'session_id', NEW.id)::text
        );
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER execplan_session_completed
AFTER INSERT OR UPDATE OF status ON sessions
FOR EACH ROW EXECUTE FUNCTION execplan_notify_session_completed_v1();

CREATE INDEX sessions_initializer_completed_idx ON sessions (project_id, ended_at)
WHERE type = 'initializer' AND status = 'completed';
