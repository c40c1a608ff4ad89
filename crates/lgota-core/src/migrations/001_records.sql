-- Settings of this device: device_id, branch_id, staff_label, current_event_id, training_mode,
-- outbox_cursor, content_refusal.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- Reference data newer than what is bundled: 'config' and 'content' (the verified pack payload).
CREATE TABLE reference (
    name    TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    body    TEXT NOT NULL
) STRICT;

CREATE TABLE events (
    id            TEXT PRIMARY KEY,
    title         TEXT NOT NULL,
    date          TEXT NOT NULL,
    branch_id     TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    -- 'local': started on this device; 'central': published by the central office (sync).
    origin        TEXT NOT NULL DEFAULT 'local' CHECK (origin IN ('local', 'central'))
) STRICT;

-- The record log. Append-only: a correction is a 'void' row that names its target.
-- Nothing here identifies a citizen (DOMAIN.md): no names, numbers, photos or QR contents.
CREATE TABLE records (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    id                TEXT NOT NULL UNIQUE,
    kind              TEXT NOT NULL CHECK (kind IN ('check', 'void')),
    created_at_ms     INTEGER NOT NULL,
    utc_offset_min    INTEGER NOT NULL,
    device_id         TEXT NOT NULL,
    branch_id         TEXT NOT NULL,
    event_id          TEXT,
    staff_label       TEXT NOT NULL,
    training          INTEGER NOT NULL DEFAULT 0 CHECK (training IN (0, 1)),
    method            TEXT CHECK (method IN ('digital_id', 'paper', 'svo_qr', 'none')),
    outcome           TEXT CHECK (outcome IN ('confirmed', 'paper_shown', 'no_document', 'refused', 'paper_rejected')),
    granted           INTEGER CHECK (granted IN (0, 1)),
    category_id       TEXT,
    failure_reason_id TEXT,
    document_type_id  TEXT,
    checklist_completed INTEGER CHECK (checklist_completed IN (0, 1)),
    note              TEXT,
    target_id         TEXT,
    void_reason       TEXT,
    CHECK (kind = 'void' OR (method IS NOT NULL AND outcome IS NOT NULL AND granted IS NOT NULL)),
    CHECK (kind = 'check' OR (target_id IS NOT NULL AND void_reason IS NOT NULL))
) STRICT;

CREATE INDEX records_created ON records (created_at_ms);
CREATE INDEX records_event ON records (event_id) WHERE event_id IS NOT NULL;
-- At most one void per record.
CREATE UNIQUE INDEX records_one_void ON records (target_id) WHERE kind = 'void';

CREATE TRIGGER records_no_update BEFORE UPDATE ON records
BEGIN SELECT RAISE(ABORT, 'records are append-only'); END;
CREATE TRIGGER records_no_delete BEFORE DELETE ON records
BEGIN SELECT RAISE(ABORT, 'records are append-only'); END;
