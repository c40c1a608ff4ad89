-- Events a librarian started on the phone (not published by the central office): their title and
-- date as the phone sent them with its records, so the dashboard can name them. First one wins.
CREATE TABLE phone_events (
    id            TEXT PRIMARY KEY,
    title         TEXT NOT NULL,
    date          TEXT NOT NULL,
    branch_id     TEXT NOT NULL,
    first_seen_ms INTEGER NOT NULL
) STRICT;
