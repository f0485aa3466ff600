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
