-- Change proposals: a branch of a design of the same fork network proposed into a branch of the
-- target design, with its revisions, reviews and line comments. The database of record for the
-- conversation; the proposal's commits live under hidden refs of the target repository
-- (refs/proposals/{number}/head and .../rev/{revision}).
CREATE TABLE proposals (
    design TEXT NOT NULL,
    number BIGINT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    author BIGINT NOT NULL REFERENCES accounts (id),
    -- open | closed | merged
    state TEXT NOT NULL,
    draft BOOLEAN NOT NULL DEFAULT FALSE,
    source_design TEXT NOT NULL,
    source_branch TEXT NOT NULL,
    target_branch TEXT NOT NULL,
    -- the newest revision's head and the target head it was recorded against
    head TEXT NOT NULL,
    base TEXT NOT NULL,
    -- the last mergeability check: for which heads, with which result (JSON detail)
    check_head TEXT,
    check_base TEXT,
    check_state TEXT,
    check_detail TEXT,
    merged_commit TEXT,
    -- the target's head just before the merge (the diff of a merged proposal is against it)
    merged_base TEXT,
    merged_by BIGINT REFERENCES accounts (id),
    merge_method TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    closed_at BIGINT,
    PRIMARY KEY (design, number)
);
CREATE INDEX proposals_state ON proposals (design, state, number);
CREATE INDEX proposals_source ON proposals (source_design, source_branch);
CREATE INDEX proposals_target ON proposals (design, target_branch);

-- Every move of the source branch while the proposal is open.
CREATE TABLE proposal_revisions (
    design TEXT NOT NULL,
    number BIGINT NOT NULL,
    revision BIGINT NOT NULL,
    head TEXT NOT NULL,
    base TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (design, number, revision)
);

-- A review is bound to a revision; declared hours are review labor.
CREATE TABLE proposal_reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    design TEXT NOT NULL,
    number BIGINT NOT NULL,
    revision BIGINT NOT NULL,
    head TEXT NOT NULL,
    author BIGINT NOT NULL REFERENCES accounts (id),
    -- comment | approve | request_changes
    verdict TEXT NOT NULL,
    body TEXT NOT NULL,
    hours DOUBLE PRECISION,
    created_at BIGINT NOT NULL
);
CREATE INDEX proposal_reviews_proposal ON proposal_reviews (design, number, id);

-- Line comments, anchored to (revision head, path, line, side); replies point at the first
-- comment of their thread.
CREATE TABLE proposal_comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    design TEXT NOT NULL,
    number BIGINT NOT NULL,
    review BIGINT REFERENCES proposal_reviews (id),
    reply_to BIGINT REFERENCES proposal_comments (id),
    author BIGINT NOT NULL REFERENCES accounts (id),
    revision BIGINT NOT NULL,
    head TEXT NOT NULL,
    path TEXT,
    line BIGINT,
    -- old | new
    side TEXT,
    body TEXT NOT NULL,
    resolved BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);
CREATE INDEX proposal_comments_proposal ON proposal_comments (design, number, id);
