-- Everything attach made: the trigger on the orchestrator's sessions table, then schema execplan.
DROP TRIGGER IF EXISTS execplan_session_completed ON {sessions};
DROP SCHEMA IF EXISTS execplan CASCADE;
