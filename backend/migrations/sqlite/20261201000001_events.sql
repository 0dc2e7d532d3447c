-- The durable event log (the outbox): one row per ref move and design life-cycle step, appended
-- by whoever moved the ref right after the move. Consumers (search, labor, bundles, design rows)
-- keep their own cursor and replay from it at start.
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    actor BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    design TEXT NOT NULL,
    kind TEXT NOT NULL,
    -- JSON object, its fields depend on `kind`
    payload TEXT NOT NULL
);
CREATE INDEX events_design ON events (design, seq);

-- The last announced head of every ref, written with each event: the start-up reconcile compares
-- the repositories with it and appends what a crash kept from being announced.
CREATE TABLE event_heads (
    design TEXT NOT NULL,
    refname TEXT NOT NULL,
    head TEXT NOT NULL,
    PRIMARY KEY (design, refname)
);

-- The last event each consumer applied.
CREATE TABLE event_cursors (
    consumer TEXT PRIMARY KEY,
    seq BIGINT NOT NULL
);

-- Designs as rows: derived from the repositories by the `catalog` consumer, so that lists,
-- fork counts, network trees and profiles never open every repository. `atelier reindex`
-- rebuilds it.
CREATE TABLE designs (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    slug TEXT NOT NULL,
    network TEXT NOT NULL,
    parent TEXT,
    forked_at TEXT,
    created_at BIGINT NOT NULL,
    default_branch TEXT NOT NULL,
    head TEXT NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    function TEXT NOT NULL,
    license TEXT,
    version TEXT,
    readiness TEXT,
    manifest_error TEXT,
    updated BIGINT NOT NULL,
    forks BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX designs_owner ON designs (owner, id);
CREATE INDEX designs_network ON designs (network, id);
CREATE INDEX designs_parent ON designs (parent);
CREATE INDEX designs_updated ON designs (updated DESC, id);
CREATE INDEX designs_name ON designs (name_key, id);
CREATE INDEX designs_forks ON designs (forks DESC, id);
