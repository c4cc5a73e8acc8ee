-- The shared store's first schema: projects side by side in one database, each row versioned.
-- depends:
CREATE TABLE projects (
    id SERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    data_root TEXT NOT NULL,
    data_version BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE documents (
    project_id INTEGER NOT NULL REFERENCES projects ON DELETE CASCADE,
    kind TEXT NOT NULL, key TEXT NOT NULL, data TEXT NOT NULL,
    version BIGINT NOT NULL, modified_by TEXT NOT NULL,
    PRIMARY KEY (project_id, kind, key)
);
CREATE TABLE frames (
    project_id INTEGER NOT NULL REFERENCES projects ON DELETE CASCADE,
    id BIGINT NOT NULL, idx INTEGER NOT NULL, name TEXT NOT NULL, data TEXT NOT NULL, pose TEXT,
    version BIGINT NOT NULL, modified_by TEXT NOT NULL,
    PRIMARY KEY (project_id, id)
);
CREATE TABLE tracks (
    project_id INTEGER NOT NULL REFERENCES projects ON DELETE CASCADE,
    id BIGINT NOT NULL, class_name TEXT NOT NULL, attributes TEXT,
    version BIGINT NOT NULL, modified_by TEXT NOT NULL,
    PRIMARY KEY (project_id, id)
);
CREATE TABLE annotations (
    project_id INTEGER NOT NULL REFERENCES projects ON DELETE CASCADE,
    id BIGINT NOT NULL, frame_id BIGINT NOT NULL, track_id BIGINT, class_name TEXT NOT NULL,
    kind TEXT NOT NULL, source TEXT NOT NULL, review TEXT NOT NULL, score DOUBLE PRECISION, model_id TEXT,
    model_version TEXT, keyframe INTEGER NOT NULL, camera TEXT,
    g0 DOUBLE PRECISION, g1 DOUBLE PRECISION, g2 DOUBLE PRECISION, g3 DOUBLE PRECISION,
    g4 DOUBLE PRECISION, g5 DOUBLE PRECISION, g6 DOUBLE PRECISION, g7 DOUBLE PRECISION,
    g8 DOUBLE PRECISION, extra TEXT,
    version BIGINT NOT NULL, modified_by TEXT NOT NULL,
    PRIMARY KEY (project_id, id)
);
CREATE INDEX annotations_by_frame ON annotations (project_id, frame_id);
CREATE TABLE change_log (
    project_id INTEGER NOT NULL REFERENCES projects ON DELETE CASCADE,
    version BIGINT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL
);
CREATE INDEX change_log_by_version ON change_log (project_id, version);
-- Undo stays per user: each annotator has a history and a position in it.
CREATE TABLE history (
    seq BIGSERIAL PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects ON DELETE CASCADE,
    user_name TEXT NOT NULL, label TEXT NOT NULL, changes TEXT NOT NULL
);
CREATE INDEX history_by_user ON history (project_id, user_name, seq);
CREATE TABLE history_position (
    project_id INTEGER NOT NULL REFERENCES projects ON DELETE CASCADE,
    user_name TEXT NOT NULL, done BIGINT NOT NULL,
    PRIMARY KEY (project_id, user_name)
);
CREATE TABLE leases (
    project_id INTEGER NOT NULL REFERENCES projects ON DELETE CASCADE,
    frame_id BIGINT NOT NULL, holder TEXT NOT NULL, expires_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (project_id, frame_id)
);
