-- Retention (issue 16) and a revoked phone forgetting (issue 17): the only way a record leaves
-- the log. The trigger of 001 refused every DELETE; this one refuses every DELETE but of a record
-- that is acknowledged by the server (at or before the outbox cursor, not waiting in «Требуют
-- внимания»), not a training record, and made before the cut-off the deleting transaction opened
-- (meta 'purge_before_ms', removed before it commits). Unacknowledged records can never be
-- deleted, whatever the code above asks. UPDATE stays refused.
DROP TRIGGER records_no_delete;
CREATE TRIGGER records_no_delete BEFORE DELETE ON records
WHEN OLD.training = 1
    OR OLD.seq > COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'outbox_cursor'), 0)
    OR EXISTS (SELECT 1 FROM sync_attention WHERE record_id = OLD.id)
    OR OLD.created_at_ms >= COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'purge_before_ms'), -9223372036854775808)
BEGIN SELECT RAISE(ABORT, 'only acknowledged records past their retention may be deleted'); END;
