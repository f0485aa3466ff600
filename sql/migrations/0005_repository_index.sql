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
