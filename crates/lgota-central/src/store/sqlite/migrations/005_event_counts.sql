-- The overview's checks by event, kept as fast as its other figures.
--
-- `event_counts` holds what `check_counts` (004) holds, for the valid checks made at an event,
-- with the event's id as one more key; checks without an event are not in it. So:
-- checks of one event are read from it alone; checks by event are its rows grouped by event;
-- checks without an event are `check_counts` minus `event_counts` (same keys, same buckets).
-- Kept by two triggers, the twins of 004's, in the transaction that inserts the record.
CREATE TABLE event_counts (
    level             TEXT NOT NULL CHECK (level IN ('d', 'm')),
    bucket_ms         INTEGER NOT NULL,
    event_id          TEXT NOT NULL,
    branch_id         TEXT NOT NULL,
    category_id       TEXT NOT NULL,
    method            TEXT NOT NULL,
    outcome           TEXT NOT NULL,
    failure_reason_id TEXT NOT NULL,
    granted           INTEGER NOT NULL,
    offline           INTEGER NOT NULL,
    n                 INTEGER NOT NULL,
    PRIMARY KEY (level, bucket_ms, event_id, branch_id, category_id, method, outcome, failure_reason_id, granted,
        offline)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER records_count_event_check AFTER INSERT ON records
WHEN NEW.kind = 'check' AND NEW.training = 0 AND NEW.event_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM records v WHERE v.target_id = NEW.id AND v.kind = 'void')
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
    AND (SELECT COUNT(*) FROM records v WHERE v.target_id = NEW.target_id AND v.kind = 'void') = 1
BEGIN
    INSERT INTO event_counts
        (level, bucket_ms, event_id, branch_id, category_id, method, outcome, failure_reason_id, granted, offline, n)
    SELECT l.level,
        CASE l.level WHEN 'd' THEN c.created_at_ms / 86400000 * 86400000
            ELSE CAST(strftime('%s', c.created_at_ms / 1000, 'unixepoch', 'start of month') AS INTEGER) * 1000 END,
        c.event_id, c.branch_id, COALESCE(c.category_id, ''), c.method, c.outcome, COALESCE(c.failure_reason_id, ''),
        c.granted, c.offline, -1
    FROM records c CROSS JOIN (SELECT 'd' AS level UNION ALL SELECT 'm') l
    WHERE c.id = NEW.target_id AND c.kind = 'check' AND c.training = 0 AND c.event_id IS NOT NULL
    ON CONFLICT DO UPDATE SET n = n - 1;
END;

-- The counts of records stored before this migration.
INSERT INTO event_counts
    (level, bucket_ms, event_id, branch_id, category_id, method, outcome, failure_reason_id, granted, offline, n)
SELECT l.level,
    CASE l.level WHEN 'd' THEN r.created_at_ms / 86400000 * 86400000
        ELSE CAST(strftime('%s', r.created_at_ms / 1000, 'unixepoch', 'start of month') AS INTEGER) * 1000 END,
    r.event_id, r.branch_id, COALESCE(r.category_id, ''), r.method, r.outcome, COALESCE(r.failure_reason_id, ''),
    r.granted, r.offline, COUNT(*)
FROM records r CROSS JOIN (SELECT 'd' AS level UNION ALL SELECT 'm') l
WHERE r.kind = 'check' AND r.training = 0 AND r.event_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM records v WHERE v.target_id = r.id AND v.kind = 'void')
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10;
