-- 010: backups (issue 14). Each backup the server or its command line made: when, which file,
-- its size and record count, and whether `PRAGMA integrity_check` passed on the copy. The
-- dashboard shows the newest. (Numbered 010: 009 is the sign-in hardening's.)
CREATE TABLE backups (
    id      INTEGER PRIMARY KEY,
    at_ms   INTEGER NOT NULL,
    file    TEXT NOT NULL,
    bytes   INTEGER NOT NULL,
    records INTEGER NOT NULL,
    ok      INTEGER NOT NULL CHECK (ok IN (0, 1)),
    -- «ok», or what the check found.
    detail  TEXT NOT NULL
) STRICT;
