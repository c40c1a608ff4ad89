-- The counts trigger (001) at about a tenth of its cost per record, the same counts, and a third
-- table of counts it keeps (`event_totals`, below):
-- - whether a new check has a void from its own device is asked once for the statement (one scan
--   of records_target for all the statement's check ids), where a subquery per check cost ~3 µs
--   each — more than a third of what a stored record cost;
-- - the changes are summed per UTC day first, and the months summed from the days: the month of
--   each day is computed once, not for every record;
-- - the counts are written in the order of their key, so two statements storing at once lock
--   the count rows they share in the same order.

-- The checks at each event per UTC day and month, and its branch, without the other keys of
-- `event_counts`: the overview's «по мероприятиям» and a branch's events read these. A year's
-- event sums read ~440,000 month rows of `event_counts` at 10,000,000 records when events spread
-- over the year (~95 ms from 008's index alone); here a row per event and month (~7,000).
-- Kept by the counts trigger with the other two; filled from `event_counts` once.
CREATE TABLE event_totals (
    level     text COLLATE "C" NOT NULL CHECK (level IN ('d', 'm')),
    bucket_ms bigint NOT NULL,
    event_id  text COLLATE "C" NOT NULL,
    branch_id text COLLATE "C" NOT NULL,
    n         bigint NOT NULL,
    PRIMARY KEY (level, bucket_ms, event_id, branch_id)
);
INSERT INTO event_totals (level, bucket_ms, event_id, branch_id, n)
SELECT level, bucket_ms, event_id, branch_id, sum(n) FROM event_counts GROUP BY 1, 2, 3, 4;

CREATE OR REPLACE FUNCTION records_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- `OFFSET 0` keeps each subquery of a void a probe of an index per void: pulled up into a
    -- join, the planner would scan all the records for a statement's few new ones.
    WITH voided AS (
        SELECT v.target_id, v.device_id FROM records v
        WHERE v.target_id = ANY (ARRAY(SELECT id FROM new_records WHERE kind = 'check' AND NOT training))
            AND v.kind = 'void'
    ),
    delta AS (
        SELECT c.created_at_ms, c.event_id, c.branch_id, c.category_id, c.method, c.outcome, c.failure_reason_id,
            c.granted, c.offline, 1 AS d
        FROM new_records c
        LEFT JOIN voided x ON x.target_id = c.id AND x.device_id = c.device_id
        WHERE c.kind = 'check' AND NOT c.training AND x.target_id IS NULL
        UNION ALL
        SELECT t.created_at_ms, t.event_id, t.branch_id, t.category_id, t.method, t.outcome, t.failure_reason_id,
            t.granted, t.offline, -1
        FROM (SELECT DISTINCT target_id, device_id FROM new_records WHERE kind = 'void') nv
        CROSS JOIN LATERAL (SELECT * FROM records r
            WHERE r.id = nv.target_id AND r.device_id = nv.device_id AND r.kind = 'check' AND NOT r.training
            OFFSET 0) t
        WHERE NOT EXISTS (SELECT 1 FROM new_records n WHERE n.id = t.id)
            AND NOT EXISTS (SELECT 1 FROM records v
                WHERE v.target_id = t.id AND v.device_id = t.device_id AND v.kind = 'void'
                    AND NOT EXISTS (SELECT 1 FROM new_records n WHERE n.id = v.id) OFFSET 0)
    ),
    days AS (
        SELECT d.created_at_ms / 86400000 * 86400000 AS day, d.event_id, d.branch_id,
            COALESCE(d.category_id, '') AS category_id, d.method, d.outcome,
            COALESCE(d.failure_reason_id, '') AS failure_reason_id, d.granted, d.offline, sum(d.d) AS n
        FROM delta d
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
    ),
    levels AS (
        SELECT 'd' AS level, day AS bucket_ms, event_id, branch_id, category_id, method, outcome,
            failure_reason_id, granted, offline, n
        FROM days
        UNION ALL
        SELECT 'm', bucket_of('m', day), event_id, branch_id, category_id, method, outcome, failure_reason_id,
            granted, offline, n
        FROM days
    ),
    totals AS (
        INSERT INTO event_totals AS k (level, bucket_ms, event_id, branch_id, n)
        SELECT level, bucket_ms, event_id, branch_id, sum(n)
        FROM levels
        WHERE event_id IS NOT NULL
        GROUP BY level, bucket_ms, event_id, branch_id
        ORDER BY level, bucket_ms, event_id, branch_id
        ON CONFLICT (level, bucket_ms, event_id, branch_id) DO UPDATE SET n = k.n + excluded.n
        RETURNING 1
    ),
    checks AS (
        INSERT INTO check_counts AS k
            (level, bucket_ms, branch_id, category_id, method, outcome, failure_reason_id, granted, offline, n)
        SELECT level, bucket_ms, branch_id, category_id, method, outcome, failure_reason_id, granted, offline, sum(n)
        FROM levels
        GROUP BY level, bucket_ms, branch_id, category_id, method, outcome, failure_reason_id, granted, offline
        ORDER BY level, bucket_ms, branch_id, category_id, method, outcome, failure_reason_id, granted, offline
        ON CONFLICT (level, bucket_ms, branch_id, category_id, method, outcome, failure_reason_id, granted, offline)
        DO UPDATE SET n = k.n + excluded.n
        RETURNING 1
    )
    INSERT INTO event_counts AS k
        (level, bucket_ms, event_id, branch_id, category_id, method, outcome, failure_reason_id, granted, offline, n)
    SELECT level, bucket_ms, event_id, branch_id, category_id, method, outcome, failure_reason_id, granted, offline,
        sum(n)
    FROM levels
    WHERE event_id IS NOT NULL
    GROUP BY level, bucket_ms, event_id, branch_id, category_id, method, outcome, failure_reason_id, granted, offline
    ORDER BY level, bucket_ms, event_id, branch_id, category_id, method, outcome, failure_reason_id, granted, offline
    ON CONFLICT (level, bucket_ms, event_id, branch_id, category_id, method, outcome, failure_reason_id, granted,
        offline)
    DO UPDATE SET n = k.n + excluded.n;
    RETURN NULL;
END $$;
