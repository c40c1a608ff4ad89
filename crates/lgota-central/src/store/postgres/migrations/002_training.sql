-- Training results (SQLite's 011): a phone's finished training scenario (protocol 3), the
-- evidence of §5.1's training for the dashboard's «Обучение»; never a figure, never a record.
-- Stored once by id (the first version stays). Nothing here concerns a citizen.
CREATE TABLE training_results (
    id                text COLLATE "C" PRIMARY KEY,
    device_id         text COLLATE "C" NOT NULL,
    branch_id         text COLLATE "C" NOT NULL,
    staff_label       text COLLATE "C" NOT NULL,
    scenario_id       text COLLATE "C" NOT NULL,
    scenario_title    text COLLATE "C" NOT NULL,
    content_version   bigint NOT NULL CHECK (content_version >= 0),
    completed_at_ms   bigint NOT NULL,
    utc_offset_min    integer NOT NULL,
    steps             bigint NOT NULL CHECK (steps > 0),
    correct_first_try bigint NOT NULL CHECK (correct_first_try BETWEEN 0 AND steps),
    received_at_ms    bigint NOT NULL
);
CREATE INDEX training_results_branch ON training_results (branch_id, completed_at_ms);
