-- Retention (issue 16): a note or staff label removed from one record (redaction), an archived
-- year's records removed past their retention (purge), sign-in addresses blanked and old audit
-- entries removed. Records, their conflicts and the audit log stay append-only for every other
-- path.
--
-- The guarded way past the append-only triggers: the store's retention operations put one row
-- into `retention_pass` inside their own transaction and take it out again before they commit,
-- so no other transaction ever sees it. Even then the triggers allow only that operation's change:
-- a redaction empties `note` or `staff_label` and changes nothing else; a purge deletes; the
-- audit pass changes only `login` and `detail`, or deletes.
CREATE TABLE retention_pass (
    one     INTEGER PRIMARY KEY CHECK (one = 1),
    purpose TEXT NOT NULL CHECK (purpose IN ('redact', 'purge', 'audit'))
) STRICT;

DROP TRIGGER records_no_update;
CREATE TRIGGER records_no_update BEFORE UPDATE ON records
WHEN NOT (
    EXISTS (SELECT 1 FROM retention_pass WHERE purpose = 'redact')
    AND NEW.id IS OLD.id AND NEW.kind IS OLD.kind AND NEW.created_at_ms IS OLD.created_at_ms
    AND NEW.utc_offset_min IS OLD.utc_offset_min AND NEW.device_id IS OLD.device_id
    AND NEW.branch_id IS OLD.branch_id AND NEW.event_id IS OLD.event_id AND NEW.training IS OLD.training
    AND NEW.method IS OLD.method AND NEW.outcome IS OLD.outcome AND NEW.granted IS OLD.granted
    AND NEW.category_id IS OLD.category_id AND NEW.failure_reason_id IS OLD.failure_reason_id
    AND NEW.document_type_id IS OLD.document_type_id AND NEW.checklist_completed IS OLD.checklist_completed
    AND NEW.target_id IS OLD.target_id AND NEW.void_reason IS OLD.void_reason
    AND NEW.received_at_ms IS OLD.received_at_ms AND NEW.offline IS OLD.offline AND NEW.clock_off IS OLD.clock_off
    AND (NEW.note IS OLD.note OR NEW.note IS NULL)
    AND (NEW.staff_label IS OLD.staff_label OR NEW.staff_label = '')
)
BEGIN SELECT RAISE(ABORT, 'records are append-only'); END;

DROP TRIGGER records_no_delete;
CREATE TRIGGER records_no_delete BEFORE DELETE ON records
WHEN NOT EXISTS (SELECT 1 FROM retention_pass WHERE purpose = 'purge')
BEGIN SELECT RAISE(ABORT, 'records are append-only'); END;

DROP TRIGGER record_conflicts_no_update;
CREATE TRIGGER record_conflicts_no_update BEFORE UPDATE ON record_conflicts
WHEN NOT (
    EXISTS (SELECT 1 FROM retention_pass WHERE purpose = 'redact')
    AND NEW.seq IS OLD.seq AND NEW.id IS OLD.id AND NEW.device_id IS OLD.device_id
    AND NEW.received_at_ms IS OLD.received_at_ms
)
BEGIN SELECT RAISE(ABORT, 'record_conflicts is append-only'); END;

DROP TRIGGER record_conflicts_no_delete;
CREATE TRIGGER record_conflicts_no_delete BEFORE DELETE ON record_conflicts
WHEN NOT EXISTS (SELECT 1 FROM retention_pass WHERE purpose = 'purge')
BEGIN SELECT RAISE(ABORT, 'record_conflicts is append-only'); END;

DROP TRIGGER audit_log_no_update;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
WHEN NOT (
    EXISTS (SELECT 1 FROM retention_pass WHERE purpose = 'audit')
    AND NEW.id IS OLD.id AND NEW.at_ms IS OLD.at_ms AND NEW.action IS OLD.action
)
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

DROP TRIGGER audit_log_no_delete;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN NOT EXISTS (SELECT 1 FROM retention_pass WHERE purpose = 'audit')
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- Each redaction, for its act of destruction: which record, which field, when, who answers for
-- it (`by_login`), who ran it (`actor`) and why. No removed text is kept. Append-only.
CREATE TABLE redactions (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id TEXT NOT NULL,
    field     TEXT NOT NULL CHECK (field IN ('note', 'staff_label')),
    at_ms     INTEGER NOT NULL,
    by_login  TEXT NOT NULL,
    actor     TEXT NOT NULL,
    reason    TEXT NOT NULL
) STRICT;
CREATE INDEX redactions_record ON redactions (record_id);
CREATE TRIGGER redactions_no_update BEFORE UPDATE ON redactions
BEGIN SELECT RAISE(ABORT, 'redactions are append-only'); END;
CREATE TRIGGER redactions_no_delete BEFORE DELETE ON redactions
BEGIN SELECT RAISE(ABORT, 'redactions are append-only'); END;

-- Years whose records were archived and removed. Their figures stay in the count tables
-- (`check_counts`, `event_counts`), which a purge never touches; a record made in such a year
-- that arrives later is acknowledged and not stored.
CREATE TABLE purged_years (
    year           INTEGER PRIMARY KEY,
    from_ms        INTEGER NOT NULL,
    to_ms          INTEGER NOT NULL,
    records        INTEGER NOT NULL,
    archive_sha256 TEXT NOT NULL,
    at_ms          INTEGER NOT NULL,
    login          TEXT NOT NULL
) STRICT;
