-- The central office's web dashboard: administrators, their sessions, and the index its figures use.

-- Passwords are kept only as argon2id PHC strings. A branch head sees only their branch.
CREATE TABLE admins (
    login         TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'branch_head')),
    branch_id     TEXT REFERENCES branches (id),
    created_at    INTEGER NOT NULL,
    CHECK ((role = 'admin' AND branch_id IS NULL) OR (role = 'branch_head' AND branch_id IS NOT NULL))
) STRICT;

-- Sessions by the SHA-256 of their random cookie token; `csrf_token` goes into every form.
CREATE TABLE sessions (
    token_sha256 TEXT PRIMARY KEY,
    login        TEXT NOT NULL REFERENCES admins (login) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_expires ON sessions (expires_at);

-- The overview and the export read checks by period (and branch): a partial index on checks only.
CREATE INDEX records_check_created ON records (created_at_ms, branch_id) WHERE kind = 'check';
