-- Accounts, commit identities, sessions, API tokens and design maintainers.
-- Portable SQL: the PostgreSQL copy differs only in the identity columns.

CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    -- argon2id PHC string; '!' for system accounts, which cannot sign in.
    password_hash TEXT NOT NULL,
    is_admin BOOLEAN NOT NULL DEFAULT FALSE,
    is_system BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);

-- The addresses an account commits with; position 0 is its own (sign-up) email.
CREATE TABLE account_emails (
    email TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    verified BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);
CREATE INDEX account_emails_account ON account_emails (account_id);

CREATE TABLE sessions (
    -- sha256 of the cookie value; the value itself is never stored.
    id_hash TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- sha256 of the token; the token is shown once and never stored.
    token_hash TEXT NOT NULL UNIQUE,
    -- space-separated scopes
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX api_tokens_account ON api_tokens (account_id);

-- Maintainers of a design besides its owner (the account named by the id's owner part).
CREATE TABLE design_maintainers (
    design TEXT NOT NULL,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (design, account_id)
);
