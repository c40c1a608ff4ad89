-- The dashboard reads checks by period: one covering partial index serves the overview's figures,
-- the records page (newest first, keyset by (created_at_ms, id)) and the monthly summary without
-- touching the table. It replaces the narrower index of 002.
DROP INDEX records_check_created;
CREATE INDEX records_check_cover ON records (
    created_at_ms, id, branch_id, training, method, outcome, granted, category_id, failure_reason_id, event_id, offline
) WHERE kind = 'check';
