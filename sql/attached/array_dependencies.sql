-- The array-column half of execplan.source_dependencies (sources.sql), when the tasks table has one.
SELECT x::text FROM unnest(t.{t_depends_on}) AS u(x)
UNION
