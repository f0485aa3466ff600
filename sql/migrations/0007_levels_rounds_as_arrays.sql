-- Dependency levels, one row per round: the same Kahn-style recursive CTE, the same results.
--
-- Until now each round's working table held one row per task (the frontier, and the tasks still
-- waiting with their counts), and a round merged its rows with a sort and two window passes.
-- Now a round is one row: its level, the frontier as an array, and the waiting tasks with their
-- counts as two parallel arrays. The next round unnests the frontier, follows its outgoing edges
-- through the same once-built hash table of the graph, adds the waiting tasks and groups by task
-- in one hash aggregate: no sort, no window, no per-task rows between rounds. The arrays are
-- unnested in select lists, which stream their rows, not in FROM, where a function scan stores
-- them first. The recursion ends on the first round with an empty frontier, so a cycle needs no
-- separate progress check: what is still waiting then lies on, or behind, a cycle and is not
-- levelled. Each edge is still followed exactly once and no path is ever enumerated.
--
-- Every round probes the one hash table of the graph (see ROWS in 0002_levels.sql): no merge
-- join (it would re-read the sorted graph every round) and no nested loop for the edges (it
-- would scan the graph once per frontier task; the nested loops the plan must have, a round
-- with its own arrays, stay). A hash join that spills into several batches is rebuilt on every
-- rescan, that is every round, so hash tables may take 16 x work_mem here (about a million graph
-- rows at the default 4MB). JIT compilation costs more than the whole query.
CREATE OR REPLACE FUNCTION execplan_task_levels_unchecked_v1(p_project_id uuid)
RETURNS TABLE (task_id integer, level integer)
LANGUAGE sql STABLE
SET enable_mergejoin = off
SET enable_nestloop = off
SET hash_mem_multiplier = 16
SET jit = off
AS $$
    WITH RECURSIVE
    graph AS MATERIALIZED (
        SELECT g.task_id, g.depends_on_task_id, g.in_degree
        FROM execplan_hard_dependencies_v1(p_project_id) g
    ),
    -- frontier: the tasks of level lvl (NULL when there are none: the rounds end);
    -- waiting[i]: a task some of whose dependencies are levelled, remaining[i] of them are not
    rounds(lvl, frontier, waiting, remaining) AS (
        SELECT 0, array_agg(g.task_id), '{}'::integer[], '{}'::integer[]
        FROM graph g WHERE g.in_degree = 0
      UNION ALL
        SELECT r.lvl + 1, n.frontier, n.waiting, n.remaining
        FROM rounds r
        CROSS JOIN LATERAL (
            SELECT
                array_agg(c.id) FILTER (WHERE c.remaining = 0) AS frontier,
                coalesce(array_agg(c.id) FILTER (WHERE c.remaining > 0), '{}') AS waiting,
                coalesce(array_agg(c.remaining) FILTER (WHERE c.remaining > 0), '{}') AS remaining
            FROM (
                -- a waiting task starts from its count, a newly reached one from its in-degree
                -- (min picks the count: it is below the in-degree once an edge was followed);
                -- then subtract the frontier edges that reach it this round
                SELECT x.id, (min(x.remaining) - count(x.followed))::integer AS remaining
                FROM (
                    SELECT g.task_id AS id, g.in_degree AS remaining, true AS followed
                    FROM (SELECT unnest(r.frontier) AS id) f
                    JOIN graph g ON g.depends_on_task_id = f.id
                  UNION ALL
                    SELECT unnest(r.waiting), unnest(r.remaining), NULL
                ) x
                GROUP BY x.id
            ) c
        ) n
        WHERE r.frontier IS NOT NULL
    )
    SELECT unnest(r.frontier), r.lvl FROM rounds r;
$$;
