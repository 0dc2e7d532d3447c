-- The PostgreSQL twin of sqlite/20261126000002_labor.sql.
-- The labor ledger: derived from the repositories, the labor policy and the accounts; rebuilt
-- by `atelier labor recompute`, checked by `atelier labor verify`.

ALTER TABLE accounts ADD COLUMN skill_level TEXT;

CREATE TABLE labor_entries (
    id TEXT PRIMARY KEY,
    network TEXT NOT NULL,
    design TEXT NOT NULL,
    commit_id TEXT NOT NULL,
    committed_at BIGINT NOT NULL,
    contributor_name TEXT NOT NULL,
    contributor_email TEXT NOT NULL,
    account TEXT,
    work_type TEXT NOT NULL,
    hours DOUBLE PRECISION NOT NULL,
    estimated BOOLEAN NOT NULL,
    weight DOUBLE PRECISION NOT NULL,
    skill TEXT NOT NULL,
    multiplier DOUBLE PRECISION NOT NULL,
    units DOUBLE PRECISION NOT NULL,
    status TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    rule TEXT NOT NULL,
    -- newline-separated
    warnings TEXT NOT NULL
);
CREATE INDEX labor_entries_network ON labor_entries (network, commit_id);
CREATE INDEX labor_entries_account ON labor_entries (account, committed_at);
CREATE INDEX labor_entries_design ON labor_entries (design);
