-- Core tables: the orchestrator's projects, epics, tasks, dependencies and sessions,
-- plus the history of saved execution plans.

CREATE TABLE projects (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL UNIQUE,
    repo_path   text,
    metadata    jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE epics (
    id          serial PRIMARY KEY,
    project_id  uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    key         text,
    name        text NOT NULL,
    description text NOT NULL DEFAULT '',
    priority    integer NOT NULL DEFAULT 0,
    metadata    jsonb NOT NULL DEFAULT '{}'::jsonb,
    UNIQUE (project_id, key)
);
CREATE INDEX epics_project_idx ON epics (project_id);

CREATE TABLE tasks (
    id          serial PRIMARY KEY,
    project_id  uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    epic_id     integer REFERENCES epics(id) ON DELETE SET NULL,
    key         text NOT NULL,
    description text NOT NULL DEFAULT '',
    action      text NOT NULL DEFAULT '',
    priority    integer NOT NULL DEFAULT 0,
    done        boolean NOT NULL DEFAULT false,
    metadata    jsonb NOT NULL DEFAULT '{}'::jsonb,
    UNIQUE (project_id, key)
);
CREATE INDEX tasks_epic_idx ON tasks (epic_id);

CREATE TABLE task_dependencies (
    task_id            integer NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    depends_on_task_id integer NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    dependency_type    text NOT NULL DEFAULT 'hard' CHECK (dependency_type IN ('hard', 'soft')),
    PRIMARY KEY (task_id, depends_on_task_id),
    CHECK (task_id <> depends_on_task_id)
);
CREATE INDEX task_dependencies_depends_on_idx ON task_dependencies (depends_on_task_id, task_id);

CREATE TABLE sessions (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id     uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    session_number integer NOT NULL,
    type           text NOT NULL CHECK (type IN ('initializer', 'coding', 'review')),
    status         text NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'running', 'completed', 'error', 'interrupted')),
    started_at     timestamptz,
    ended_at       timestamptz,
    UNIQUE (project_id, session_number)
);

CREATE TABLE execution_plan_history (
    project_id  uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    version     integer NOT NULL,
    plan        jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, version)
);
-- Dependency levels: the batching rule.
--
-- A task's level is the length of the longest chain of unfinished hard dependencies before it;
-- done tasks count as satisfied and are not levelled; soft dependencies do not order anything.
-- Computed Kahn-style by a recursive CTE: each round's working table holds the frontier (tasks
-- whose every unfinished hard dependency is levelled, remaining = 0) and the tasks still waiting
-- on some (remaining > 0, carried with their count). A round follows the frontier's outgoing
-- edges once and subtracts them from the waiting counts, so each edge is followed exactly once
-- and no path is ever enumerated. Tasks left unlevelled lie on, or behind, a dependency cycle:
-- the function then raises an error that names the tasks of one cycle.

-- The graph the levels are computed on: one row per hard dependency between unfinished tasks of
-- the project (task_id depends on depends_on_task_id), and one row with depends_on_task_id NULL
-- for each unfinished task that has none; in_degree is the task's number of such dependencies.
CREATE FUNCTION execplan_hard_dependencies_v1(p_project_id uuid)
RETURNS TABLE (task_id integer, depends_on_task_id integer, in_degree integer)
LANGUAGE plpgsql STABLE
-- Not an estimate but an instruction to the planner of the levels CTE below (a plpgsql function
-- is never inlined, so it holds): each round joins its few rows to this graph, and the graph,
-- not the round, must be the side that is hashed. A hash table of the graph is built once and
-- probed by every round; a hash table of the round's rows would read the whole graph every
-- round, depth x edges in all. The planner hashes the side it believes smaller, and guesses a
-- recursive working table at ten times its first round, so the graph declares itself smaller.
ROWS 1
AS $$
BEGIN
    RETURN QUERY
    SELECT t.id, d.depends_on_task_id, (count(d.depends_on_task_id) OVER (PARTITION BY t.id))::integer
    FROM tasks t
    LEFT JOIN (
        task_dependencies d
        JOIN tasks p ON p.id = d.depends_on_task_id AND p.project_id = p_project_id AND NOT p.done
    ) ON d.task_id = t.id AND d.dependency_type = 'hard'
    WHERE t.project_id = p_project_id AND NOT t.done;
END;
$$;

CREATE FUNCTION execplan_task_levels_unchecked_v1(p_project_id uuid)
RETURNS TABLE (task_id integer, level integer)
LANGUAGE sql STABLE
-- Every round probes the one hash table of the graph (see ROWS above): no merge join (it would
-- re-read the sorted graph every round) and no nested loop (it would scan the graph once per
-- row). A hash join that spills into several batches is rebuilt on every rescan, that is every
-- round, so hash tables may take 16 x work_mem here (about a million graph rows at the default
-- 4MB). JIT compilation costs more than the whole query.
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
    rounds(id, lvl, remaining, progress) AS (
        SELECT g.task_id, 0, 0, true FROM graph g WHERE g.in_degree = 0
      UNION ALL
        SELECT merged.id, merged.lvl, merged.remaining,
               -- a round that levels no task makes no progress: what is left waits on a cycle
               bool_or(merged.remaining = 0) OVER ()
        FROM (
            SELECT
                coalesce(g.task_id, r.id) AS id,
                r.lvl + 1 AS lvl,
                -- a waiting task keeps its count, a newly reached one starts from its in-degree
                -- (min picks the count: it is below the in-degree once an edge was followed);
                -- then subtract the frontier edges that reach it this round
                min(CASE WHEN g.task_id IS NULL THEN r.remaining ELSE g.in_degree END) OVER same_task
                  - (count(g.task_id) OVER same_task)::integer AS remaining,
                -- a task reached by several rows this round is kept once
                row_number() OVER same_task AS copy
            FROM rounds r
            -- the frontier follows its outgoing edges; a waiting task looks nothing up
            LEFT JOIN graph g ON g.depends_on_task_id = CASE WHEN r.remaining = 0 THEN r.id END
            WHERE r.progress AND (r.remaining > 0 OR g.task_id IS NOT NULL)
            WINDOW same_task AS (PARTITION BY coalesce(g.task_id, r.id))
        ) merged
        WHERE merged.copy = 1
    )
    SELECT r.id, r.lvl FROM rounds r WHERE r.remaining = 0;
$$;

-- The levels of a project's unfinished tasks; raises 'dependency cycle: T3 -> T7 -> T3'
-- (SQLSTATE EP001) when some task cannot be levelled.
CREATE FUNCTION execplan_task_levels_v1(p_project_id uuid)
RETURNS TABLE (task_id integer, level integer)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    open_count integer;
    levelled integer;
BEGIN
    RETURN QUERY SELECT * FROM execplan_task_levels_unchecked_v1(p_project_id);
    GET DIAGNOSTICS levelled = ROW_COUNT;
    SELECT count(*) INTO open_count FROM tasks t WHERE t.project_id = p_project_id AND NOT t.done;
    IF levelled < open_count THEN
        RAISE EXCEPTION 'dependency cycle: %', execplan_dependency_cycle_v1(p_project_id)
            USING ERRCODE = 'EP001';
    END IF;
END;
$$;

-- One dependency cycle among the unfinished tasks of a project, as task keys joined by ' -> '
-- (each task depends on the next; the first key is repeated at the end), or NULL when there is
-- none. Every task that cannot be levelled has a hard dependency that cannot be levelled either,
-- so walking from one such task to such a dependency (the first by id) must run into a cycle:
-- the one named, from where the walk from the first such task (by id) enters it. The walk is
-- over arrays, one step in constant time, so a long chain before the cycle stays cheap.
CREATE FUNCTION execplan_dependency_cycle_v1(p_project_id uuid)
RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    stuck integer[];      -- the unfinished tasks that cannot be levelled, by id
    following integer[];  -- for each, the position in stuck of its first such dependency
    on_cycle boolean[];
    cycle integer[];
    pos integer := 1;
BEGIN
    WITH unlevelled AS MATERIALIZED (
        SELECT u.id, row_number() OVER (ORDER BY u.id) AS pos
        FROM (
            SELECT t.id FROM tasks t WHERE t.project_id = p_project_id AND NOT t.done
            EXCEPT
            SELECT l.task_id FROM execplan_task_levels_unchecked_v1(p_project_id) l
        ) u
    )
    SELECT array_agg(u.id ORDER BY u.pos), array_agg(f.pos ORDER BY u.pos) INTO stuck, following
    FROM unlevelled u
    LEFT JOIN (
        SELECT d.task_id, min(dep.pos)::integer AS pos
        FROM task_dependencies d JOIN unlevelled dep ON dep.id = d.depends_on_task_id
        WHERE d.dependency_type = 'hard'
        GROUP BY d.task_id
    ) f ON f.task_id = u.id;
    IF stuck IS NULL THEN
        RETURN NULL;
    END IF;
    IF array_position(following, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'task % cannot be levelled yet depends on no such task',
            stuck[array_position(following, NULL)];
    END IF;
    -- after as many steps as there are such tasks, the walk is on the cycle: mark it
    FOR step IN 1 .. cardinality(stuck) LOOP
        pos := following[pos];
    END LOOP;
    on_cycle := array_fill(false, ARRAY[cardinality(stuck)]);
    WHILE NOT on_cycle[pos] LOOP
        on_cycle[pos] := true;
        pos := following[pos];
    END LOOP;
    -- walk again from the first task to where it enters the cycle, and once around it
    pos := 1;
    WHILE NOT on_cycle[pos] LOOP
        pos := following[pos];
    END LOOP;
    cycle := ARRAY[pos];
    LOOP
        pos := following[pos];
        cycle := cycle || pos;
        EXIT WHEN pos = cycle[1];
    END LOOP;
    RETURN (
        SELECT string_agg(t.key, ' -> ' ORDER BY w.ord)
        FROM unnest(cycle) WITH ORDINALITY AS w(pos, ord)
        JOIN tasks t ON t.id = stuck[w.pos]
    );
END;
$$;
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
-- The analyzer's repository index, owned by the planner: parsed blobs (keyed by git blob SHA,
-- shared by every repository that holds the same content), each repository's tracked files,
-- resolved import graph and history statistics. A rebuild parses only blobs not stored yet and
-- reads only commits after `repositories.head`.

CREATE TABLE analyzer_blobs (
    blob_sha      text NOT NULL,
    index_version integer NOT NULL,
    language      text NOT NULL,
    skipped       text NOT NULL DEFAULT '',
    decode_errors boolean NOT NULL DEFAULT false,
    words         jsonb NOT NULL DEFAULT '[]'::jsonb,  -- [[word, count], ...] sorted by word
    PRIMARY KEY (blob_sha, index_version)
);

CREATE TABLE analyzer_symbols (
    blob_sha       text NOT NULL,
    index_version  integer NOT NULL,
    name           text NOT NULL,
    qualified_name text NOT NULL,
    kind           text NOT NULL,
    line           integer NOT NULL,
    FOREIGN KEY (blob_sha, index_version) REFERENCES analyzer_blobs ON DELETE CASCADE
);
CREATE INDEX analyzer_symbols_blob_idx ON analyzer_symbols (blob_sha, index_version);
CREATE INDEX analyzer_symbols_name_idx ON analyzer_symbols (name);

CREATE TABLE analyzer_imports (
    blob_sha      text NOT NULL,
    index_version integer NOT NULL,
    position      integer NOT NULL,
    kind          text NOT NULL,
    target        text NOT NULL,
    names         text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (blob_sha, index_version, position),
    FOREIGN KEY (blob_sha, index_version) REFERENCES analyzer_blobs ON DELETE CASCADE
);

CREATE TABLE repositories (
    id               serial PRIMARY KEY,
    path             text NOT NULL UNIQUE,
    head             text NOT NULL DEFAULT '',
    history_settings jsonb,
    total_commits    integer NOT NULL DEFAULT 0,
    total_weight     double precision NOT NULL DEFAULT 0,
    indexed_at       timestamptz
);

CREATE TABLE repository_files (
    repository_id integer NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    path          text NOT NULL,
    blob_sha      text NOT NULL,
    size          bigint NOT NULL,
    mode          text NOT NULL,
    PRIMARY KEY (repository_id, path)
);
CREATE INDEX repository_files_blob_idx ON repository_files (blob_sha);

CREATE TABLE repository_imports (
    repository_id integer NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    path          text NOT NULL,
    imported_path text NOT NULL,
    PRIMARY KEY (repository_id, path, imported_path)
);

CREATE TABLE repository_file_changes (
    repository_id integer NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    path          text NOT NULL,
    commits       integer NOT NULL,
    weight        double precision NOT NULL,
    PRIMARY KEY (repository_id, path)
);

CREATE TABLE repository_cochange (
    repository_id integer NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    path_a        text NOT NULL,
    path_b        text NOT NULL,
    commits       integer NOT NULL,
    weight        double precision NOT NULL,
    PRIMARY KEY (repository_id, path_a, path_b),
    CHECK (path_a < path_b)
);

CREATE TABLE repository_words (
    repository_id integer NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    word          text NOT NULL,
    commits       integer NOT NULL,
    weight        double precision NOT NULL,
    PRIMARY KEY (repository_id, word)
);

CREATE TABLE repository_file_words (
    repository_id integer NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    path          text NOT NULL,
    word          text NOT NULL,
    commits       integer NOT NULL,
    weight        double precision NOT NULL,
    PRIMARY KEY (repository_id, path, word)
);

-- The most recent commits kept whole (message words, files under their current names), oldest
-- first by position, for the "similar past commits" and "recent change rate" signals.
CREATE TABLE repository_recent_commits (
    repository_id integer NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    position      integer NOT NULL,
    sha           text NOT NULL,
    words         text[] NOT NULL,
    paths         text[] NOT NULL,
    PRIMARY KEY (repository_id, position)
);

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

-- The build of a project running now, and the server session that runs it: the process holds
-- the project's build lock (a session advisory lock) for as long as the build runs, so the row
-- counts only while that session is alive (`build_running`); a server killed mid-build leaves a
-- row that no longer counts, replaced by the next build of the project.
CREATE TABLE running_builds (
    project_id  uuid PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
    build_id    text NOT NULL,
    backend_pid integer NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now()
);
