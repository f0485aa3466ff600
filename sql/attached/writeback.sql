-- What execplan writes goes on into the orchestrator's documents, in the same transaction:
-- triggers on execplan's own mirror tables set only the plan key of the project's metadata and
-- only the predicted-files key of each task's (jsonb_set on the row as it is then, so a
-- concurrent writer of another key loses nothing); no other key, no other column.

CREATE FUNCTION execplan.execplan_write_plan_v1()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
BEGIN
    IF NEW.metadata ? 'execution_plan' THEN
        UPDATE {projects} p
        SET {p_meta} = jsonb_set(
            CASE WHEN jsonb_typeof(p.{p_meta}) = 'object' THEN p.{p_meta} ELSE '{{}}'::jsonb END,
            ARRAY[{plan_key}], NEW.metadata -> 'execution_plan', true)
        WHERE p.{p_id} = NEW.id;
    ELSE
        UPDATE {projects} p SET {p_meta} = p.{p_meta} - {plan_key}
        WHERE p.{p_id} = NEW.id AND p.{p_meta} ? {plan_key};
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER execplan_write_plan
AFTER UPDATE OF metadata ON execplan.projects
FOR EACH ROW
WHEN (OLD.metadata -> 'execution_plan' IS DISTINCT FROM NEW.metadata -> 'execution_plan')
EXECUTE FUNCTION execplan.execplan_write_plan_v1();

CREATE FUNCTION execplan.execplan_write_predictions_v1()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
BEGIN
    UPDATE {tasks} t
    SET {t_meta} = jsonb_set(
        CASE WHEN jsonb_typeof(t.{t_meta}) = 'object' THEN t.{t_meta} ELSE '{{}}'::jsonb END,
        ARRAY[{predicted_files_key}], n.metadata -> 'predicted_files', true)
    FROM new_rows n
    WHERE t.{t_id} = n.id
      AND n.metadata ? 'predicted_files'
      AND t.{t_meta} -> {predicted_files_key} IS DISTINCT FROM n.metadata -> 'predicted_files';
    RETURN NULL;
END;
$$;

CREATE TRIGGER execplan_write_predictions
AFTER UPDATE ON execplan.tasks
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT
EXECUTE FUNCTION execplan.execplan_write_predictions_v1();

-- Session 0 of the orchestrator completed: the one thing execplan puts in the orchestrator's
-- schema, a trigger on its sessions table (its function lives in schema execplan), notifying the
-- channel execplan's own sessions notify (sql/migrations/0004).
CREATE FUNCTION execplan.execplan_source_session_completed_v1()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
BEGIN
    IF NEW.{s_type}::text = {initializer} AND NEW.{s_status}::text = {completed}
       AND (TG_OP = 'INSERT' OR OLD.{s_status}::text IS DISTINCT FROM {completed}) THEN
        PERFORM pg_notify(
            'execplan_session_completed',
            json_build_object('project_id', NEW.{s_project}, 'session_id', NEW.{s_id})::text
        );
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER execplan_session_completed
AFTER INSERT OR UPDATE OF {s_status} ON {sessions}
FOR EACH ROW EXECUTE FUNCTION execplan.execplan_source_session_completed_v1();
