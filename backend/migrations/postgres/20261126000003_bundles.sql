-- The PostgreSQL twin of sqlite/20261126000003_bundles.sql.
-- Bundle downloads, counted per design, commit and format (utilization on labor accounts).
CREATE TABLE bundle_downloads (
    design TEXT NOT NULL,
    commit_id TEXT NOT NULL,
    format TEXT NOT NULL,
    downloads BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (design, commit_id, format)
);
