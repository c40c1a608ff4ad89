-- 011: training results (issue 16). A phone's finished training scenario (protocol 3, POST
-- /api/v1/training): who (the staff label of the phone), which scenario, when, the score. The
-- evidence of §5.1's training for the dashboard's «Обучение»; never a figure, never a record.
-- Stored once by id (the first version stays). Nothing here concerns a citizen.
CREATE TABLE training_results (
    id                TEXT PRIMARY KEY,
    device_id         TEXT NOT NULL,
    branch_id         TEXT NOT NULL,
    staff_label       TEXT NOT NULL,
    scenario_id       TEXT NOT NULL,
    scenario_title    TEXT NOT NULL,
    content_version   INTEGER NOT NULL CHECK (content_version >= 0),
    completed_at_ms   INTEGER NOT NULL,
    utc_offset_min    INTEGER NOT NULL,
    steps             INTEGER NOT NULL CHECK (steps > 0),
    correct_first_try INTEGER NOT NULL CHECK (correct_first_try BETWEEN 0 AND steps),
    received_at_ms    INTEGER NOT NULL
) STRICT;

CREATE INDEX training_results_branch ON training_results (branch_id, completed_at_ms);
