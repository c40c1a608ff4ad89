-- The dashboard over a million records.
--
-- 1. Checks in time order with their id: the records page reads newest first by keyset
--    (created_at_ms, id) without sorting, and the short stretches of records at a period's ends.
--    It replaces the index of 002 (the figures now come from the counts below). Kept narrow:
--    every stored record pays for its index entries.
DROP INDEX records_check_created;
CREATE INDEX records_check_time ON records (created_at_ms, id) WHERE kind = 'check';
-- The overview's newest records: voids in time order too (few, cheap).
CREATE INDEX records_void_time ON records (created_at_ms, id) WHERE kind = 'void';

-- 2. Counts of valid checks (not training, not voided) per UTC day ('d') and UTC month ('m')
--    and per combination of what the figures show or filter by; '' stands for no category or
--    no failure reason. Kept by the triggers below in the transaction that inserts the record
--    (records are append-only): a check adds 1 unless a void for it came first; the first void
--    of a counted check takes 1 away. A period is read as whole months and days of these
--    counts plus the records of its uneven ends (db.rs, `pieces`).
CREATE TABLE check_counts (
    level             TEXT NOT NULL CHECK (level IN ('d', 'm')),
    bucket_ms         INTEGER NOT NULL,
    branch_id         TEXT NOT NULL,
    category_id       TEXT NOT NULL,
    method            TEXT NOT NULL,
    outcome           TEXT NOT NULL,
    failure_reason_id TEXT NOT NULL,
    granted           INTEGER NOT NULL,
    offline           INTEGER NOT NULL,
    n                 INTEGER NOT NULL,
    PRIMARY KEY (level, bucket_ms, branch_id, category_id, method, outcome, failure_reason_id, granted, offline)
) STRICT, WITHOUT ROWID;

-- The bucket of a moment at a level: the UTC day's or the UTC month's first millisecond.
CREATE TRIGGER records_count_check AFTER INSERT ON records
WHEN NEW.kind = 'check' AND NEW.training = 0
    AND NOT EXISTS (SELECT 1 FROM records v WHERE v.target_id = NEW.id AND v.kind = 'void')
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
    AND (SELECT COUNT(*) FROM records v WHERE v.target_id = NEW.target_id AND v.kind = 'void') = 1
BEGIN
    INSERT INTO check_counts
        (level, bucket_ms, branch_id, category_id, method, outcome, failure_reason_id, granted, offline, n)
    SELECT l.level,
        CASE l.level WHEN 'd' THEN c.created_at_ms / 86400000 * 86400000
            ELSE CAST(strftime('%s', c.created_at_ms / 1000, 'unixepoch', 'start of month') AS INTEGER) * 1000 END,
        c.branch_id, COALESCE(c.category_id, ''), c.method, c.outcome, COALESCE(c.failure_reason_id, ''),
        c.granted, c.offline, -1
    FROM records c CROSS JOIN (SELECT 'd' AS level UNION ALL SELECT 'm') l
    WHERE c.id = NEW.target_id AND c.kind = 'check' AND c.training = 0
    ON CONFLICT DO UPDATE SET n = n - 1;
END;

-- The counts of records stored before this migration.
INSERT INTO check_counts
    (level, bucket_ms, branch_id, category_id, method, outcome, failure_reason_id, granted, offline, n)
SELECT b.level, b.bucket, b.branch_id, b.category_id, b.method, b.outcome, b.failure_reason_id, b.granted, b.offline,
    COUNT(*)
FROM (SELECT 'd' AS level, r.created_at_ms / 86400000 * 86400000 AS bucket, r.branch_id,
          COALESCE(r.category_id, '') AS category_id, r.method, r.outcome,
          COALESCE(r.failure_reason_id, '') AS failure_reason_id, r.granted, r.offline
      FROM records r
      WHERE r.kind = 'check' AND r.training = 0
          AND NOT EXISTS (SELECT 1 FROM records v WHERE v.target_id = r.id AND v.kind = 'void')
      UNION ALL
      SELECT 'm', CAST(strftime('%s', r.created_at_ms / 1000, 'unixepoch', 'start of month') AS INTEGER) * 1000,
          r.branch_id, COALESCE(r.category_id, ''), r.method, r.outcome, COALESCE(r.failure_reason_id, ''),
          r.granted, r.offline
      FROM records r
      WHERE r.kind = 'check' AND r.training = 0
          AND NOT EXISTS (SELECT 1 FROM records v WHERE v.target_id = r.id AND v.kind = 'void')) b
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;
