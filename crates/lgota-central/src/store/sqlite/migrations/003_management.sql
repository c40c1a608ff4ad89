-- Management from the dashboard: the audit log, what phones report about their outbox, and
-- content packs uploaded and checked before they are published.

-- Every administrative action: who, what, when. Append-only like the records.
CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms  INTEGER NOT NULL,
    login  TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
) STRICT;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- A phone says on each pull how many records it still holds unsent (after its push).
ALTER TABLE devices ADD COLUMN pending INTEGER;
ALTER TABLE devices ADD COLUMN last_push_at INTEGER;

-- A content envelope whose signature and contents were checked on upload; publishing copies it
-- into `reference`.
CREATE TABLE content_uploads (
    id             TEXT PRIMARY KEY,
    uploaded_at_ms INTEGER NOT NULL,
    login          TEXT NOT NULL,
    version        INTEGER NOT NULL,
    key_id         TEXT NOT NULL,
    summary        TEXT NOT NULL,
    body           TEXT NOT NULL,
    published_at_ms INTEGER
) STRICT;
