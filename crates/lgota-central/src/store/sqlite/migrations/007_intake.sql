-- Field-proof intake (protocol 2).
--
-- 1. The server database's identity, created with it: every answer to a phone names it, and a
--    phone that meets another identity than last time sends everything it holds again.
CREATE TABLE server_identity (
    one           INTEGER PRIMARY KEY CHECK (one = 1),
    server_id     TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
) STRICT;
INSERT INTO server_identity (one, server_id, created_at_ms)
VALUES (1, lower(hex(randomblob(16))), CAST(unixepoch('subsec') * 1000 AS INTEGER));

-- 2. A record is never refused for its time: one dated more than 24 h after its receipt, or
--    before 2025, is stored with this flag (the phone's clock was off).
ALTER TABLE records ADD COLUMN clock_off INTEGER NOT NULL DEFAULT 0;
CREATE INDEX records_clock_off ON records (received_at_ms) WHERE clock_off = 1;

-- What each phone's clock said against the server's at its last push (ms, phone minus server).
ALTER TABLE devices ADD COLUMN clock_skew_ms INTEGER;

-- 3. The same record id with other content: the later version is kept here, for the central
--    office («Расхождения»), and never counted. Append-only, like records.
CREATE TABLE record_conflicts (
    seq            INTEGER PRIMARY KEY,
    id             TEXT NOT NULL,
    device_id      TEXT NOT NULL,
    received_at_ms INTEGER NOT NULL,
    body           TEXT NOT NULL,
    UNIQUE (id, body)
);
CREATE TRIGGER record_conflicts_no_update BEFORE UPDATE ON record_conflicts
BEGIN SELECT RAISE(ABORT, 'record_conflicts is append-only'); END;
CREATE TRIGGER record_conflicts_no_delete BEFORE DELETE ON record_conflicts
BEGIN SELECT RAISE(ABORT, 'record_conflicts is append-only'); END;

-- 4. A void counts only for a record of its own device. The intake refuses a void of another
--    device's stored record; a void that arrived before its target (import order) and names
--    another device's record is inert. The count triggers of 004 and 005, with that condition.
DROP TRIGGER records_count_check;
DROP TRIGGER records_count_void;
DROP TRIGGER records_count_event_check;
DROP TRIGGER records_count_event_void;

CREATE TRIGGER records_count_check AFTER INSERT ON records
WHEN NEW.kind = 'check' AND NEW.training = 0
    AND NOT EXISTS (SELECT 1 FROM records v
        WHERE v.target_id = NEW.id AND v.kind = 'void' AND v.device_id = NEW.device_id)
BEGIN
    INSERT INTO check_counts
        (level, bucket_ms, branch_id, category_id, method, outcome, failure_reason_id, granted, offline, n)
    SELECT l.level,
        CASE l.level WHEN 'd' THEN NEW.created_at_ms / 86400000 * 86400000
            ELSE CAST(strftime('%s', NEW.created_at_ms / 1000, 'unixepoch', 'start of month') AS INTEGER) * 1000 END,
        NEW.branch_id, COALESCE(NEW.category_id, ''), NEW.method, NEW.outcome, COALESCE(NEW.failure_reason_id, ''),
        NEW.granted, NEW.offline, 1
    FROM (SELECT 'd' AS level UNION ALL SELECT 'm') l
    WHERE true
    ON CONFLICT DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER records_count_void AFTER INSERT ON records
WHEN NEW.kind = 'void'
    AND (SELECT COUNT(*) FROM records v
        WHERE v.target_id = NEW.target_id AND v.kind = 'void' AND v.device_id = NEW.device_id) = 1
BEGIN
    INSERT INTO check_counts
        (level, bucket_ms, branch_id, category_id, method, outcome, failure_reason_id, granted, offline, n)
    SELECT l.level,
        CASE l.level WHEN 'd' THEN c.created_at_ms / 86400000 * 86400000
            ELSE CAST(strftime('%s', c.created_at_ms / 1000, 'unixepoch', 'start of month') AS INTEGER) * 1000 END,
        c.branch_id, COALESCE(c.category_id, ''), c.method, c.outcome, COALESCE(c.failure_reason_id, ''),
        c.granted, c.offline, -1
    FROM records c CROSS JOIN (SELECT 'd' AS level UNION ALL SELECT 'm') l
    WHERE c.id = NEW.target_id AND c.device_id = NEW.device_id AND c.kind = 'check' AND c.training = 0
    ON CONFLICT DO UPDATE SET n = n - 1;
END;

CREATE TRIGGER records_count_event_check AFTER INSERT ON records
WHEN NEW.kind = 'check' AND NEW.training = 0 AND NEW.event_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM records v
        WHERE v.target_id = NEW.id AND v.kind = 'void' AND v.device_id = NEW.device_id)
BEGIN
    INSERT INTO event_counts
        (level, bucket_ms, event_id, branch_id, category_id, method, outcome, failure_reason_id, granted, offline, n)
    SELECT l.level,
        CASE l.level WHEN 'd' THEN NEW.created_at_ms / 86400000 * 86400000
            ELSE CAST(strftime('%s', NEW.created_at_ms / 1000, 'unixepoch', 'start of month') AS INTEGER) * 1000 END,
        NEW.event_id, NEW.branch_id, COALESCE(NEW.category_id, ''), NEW.method, NEW.outcome,
        COALESCE(NEW.failure_reason_id, ''), NEW.granted, NEW.offline, 1
    FROM (SELECT 'd' AS level UNION ALL SELECT 'm') l
    WHERE true
    ON CONFLICT DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER records_count_event_void AFTER INSERT ON records
WHEN NEW.kind = 'void'
    AND (SELECT COUNT(*) FROM records v
        WHERE v.target_id = NEW.target_id AND v.kind = 'void' AND v.device_id = NEW.device_id) = 1
BEGIN
    INSERT INTO event_counts
        (level, bucket_ms, event_id, branch_id, category_id, method, outcome, failure_reason_id, granted, offline, n)
    SELECT l.level,
        CASE l.level WHEN 'd' THEN c.created_at_ms / 86400000 * 86400000
            ELSE CAST(strftime('%s', c.created_at_ms / 1000, 'unixepoch', 'start of month') AS INTEGER) * 1000 END,
        c.event_id, c.branch_id, COALESCE(c.category_id, ''), c.method, c.outcome, COALESCE(c.failure_reason_id, ''),
        c.granted, c.offline, -1
    FROM records c CROSS JOIN (SELECT 'd' AS level UNION ALL SELECT 'm') l
    WHERE c.id = NEW.target_id AND c.device_id = NEW.device_id AND c.kind = 'check' AND c.training = 0 AND c.event_id IS NOT NULL
    ON CONFLICT DO UPDATE SET n = n - 1;
END;
