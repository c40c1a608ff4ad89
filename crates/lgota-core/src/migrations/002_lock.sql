-- The app lock (issue 7): one row. The PIN is kept only as an argon2id PHC string (salted hash);
-- wrong attempts and the back-off they earned survive a restart.
CREATE TABLE app_lock (
    id                  INTEGER PRIMARY KEY CHECK (id = 1),
    pin_hash            TEXT,
    idle_seconds        INTEGER NOT NULL DEFAULT 120 CHECK (idle_seconds > 0),
    record_while_locked INTEGER NOT NULL DEFAULT 0 CHECK (record_while_locked IN (0, 1)),
    failed_attempts     INTEGER NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    blocked_until_ms    INTEGER NOT NULL DEFAULT 0
) STRICT;

INSERT INTO app_lock (id) VALUES (1);
