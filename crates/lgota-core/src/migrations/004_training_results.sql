-- Finished training scenarios (issue 16): the evidence the central office shows that a librarian
-- was trained (§5.1). Apart from the record log: their own outbox (meta 'training_cursor'), their
-- own endpoint (protocol 3, POST /api/v1/training); never counted, never in a record's figures.
-- Nothing here concerns a citizen.
CREATE TABLE training_results (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    id                TEXT NOT NULL UNIQUE,
    device_id         TEXT NOT NULL,
    branch_id         TEXT NOT NULL,
    staff_label       TEXT NOT NULL,
    scenario_id       TEXT NOT NULL,
    scenario_title    TEXT NOT NULL,
    content_version   INTEGER NOT NULL CHECK (content_version >= 0),
    completed_at_ms   INTEGER NOT NULL,
    utc_offset_min    INTEGER NOT NULL,
    steps             INTEGER NOT NULL CHECK (steps > 0),
    correct_first_try INTEGER NOT NULL CHECK (correct_first_try BETWEEN 0 AND steps)
) STRICT;
