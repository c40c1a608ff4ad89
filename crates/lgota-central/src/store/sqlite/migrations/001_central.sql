-- The central records server. Nothing here identifies a citizen (DOMAIN.md).

CREATE TABLE branches (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL
) STRICT;

-- A phone enrolled with a one-time code. Only the SHA-256 of its bearer token is kept.
CREATE TABLE devices (
    id              TEXT PRIMARY KEY,
    branch_id       TEXT NOT NULL REFERENCES branches (id),
    token_sha256    TEXT NOT NULL UNIQUE,
    enrolled_at     INTEGER NOT NULL,
    revoked_at      INTEGER,
    last_seen_at    INTEGER
) STRICT;

-- One-time, expiring enrollment codes; only their SHA-256 is kept.
CREATE TABLE enrollment_codes (
    code_sha256 TEXT PRIMARY KEY,
    branch_id   TEXT NOT NULL REFERENCES branches (id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    device_id   TEXT
) STRICT;

-- Every record of every phone, stored once by id (INSERT ... ON CONFLICT(id) DO NOTHING).
CREATE TABLE records (
    id                  TEXT PRIMARY KEY,
    kind                TEXT NOT NULL CHECK (kind IN ('check', 'void')),
    created_at_ms       INTEGER NOT NULL,
    utc_offset_min      INTEGER NOT NULL,
    device_id           TEXT NOT NULL,
    branch_id           TEXT NOT NULL,
    event_id            TEXT,
    staff_label         TEXT NOT NULL,
    training            INTEGER NOT NULL CHECK (training IN (0, 1)),
    method              TEXT CHECK (method IN ('digital_id', 'paper', 'svo_qr', 'none')),
    outcome             TEXT CHECK (outcome IN ('confirmed', 'paper_shown', 'no_document', 'refused', 'paper_rejected')),
    granted             INTEGER CHECK (granted IN (0, 1)),
    category_id         TEXT,
    failure_reason_id   TEXT,
    document_type_id    TEXT,
    checklist_completed INTEGER CHECK (checklist_completed IN (0, 1)),
    note                TEXT,
    target_id           TEXT,
    void_reason         TEXT,
    received_at_ms      INTEGER NOT NULL,
    -- Received more than 10 minutes after it was made.
    offline             INTEGER NOT NULL CHECK (offline IN (0, 1)),
    CHECK (kind = 'void' OR (method IS NOT NULL AND outcome IS NOT NULL AND granted IS NOT NULL)),
    CHECK (kind = 'check' OR (target_id IS NOT NULL AND void_reason IS NOT NULL))
) STRICT;

CREATE INDEX records_branch_created ON records (branch_id, created_at_ms);
CREATE INDEX records_device ON records (device_id);
CREATE INDEX records_event ON records (event_id) WHERE event_id IS NOT NULL;
CREATE INDEX records_target ON records (target_id) WHERE target_id IS NOT NULL;

CREATE TRIGGER records_no_update BEFORE UPDATE ON records
BEGIN SELECT RAISE(ABORT, 'records are append-only'); END;
CREATE TRIGGER records_no_delete BEFORE DELETE ON records
BEGIN SELECT RAISE(ABORT, 'records are append-only'); END;

-- Events published by the central office; `seq` is the pull cursor.
CREATE TABLE events (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL UNIQUE,
    title         TEXT NOT NULL,
    date          TEXT NOT NULL,
    branch_id     TEXT NOT NULL REFERENCES branches (id),
    created_at_ms INTEGER NOT NULL
) STRICT;

-- 'config' (configuration JSON) and 'content' (a signed content envelope JSON), newest only.
CREATE TABLE reference (
    name    TEXT PRIMARY KEY CHECK (name IN ('config', 'content')),
    version INTEGER NOT NULL,
    body    TEXT NOT NULL
) STRICT;
