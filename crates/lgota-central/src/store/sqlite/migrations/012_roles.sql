-- Least privilege (issue 16): a totals-only role, `observer` (a director, the founder, a
-- ministry observer: figures only, every branch), and a branch head's grant to see the
-- individual records of their branch (`records`, off by default: an upgrade takes it from every
-- branch head until an administrator grants it).
--
-- SQLite cannot change a CHECK constraint: the table is made anew. Dropping `admins` deletes the
-- sessions through their foreign key's cascade, so they are kept aside and put back.
CREATE TABLE sessions_kept AS SELECT * FROM sessions;

CREATE TABLE admins_new (
    login         TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'branch_head', 'observer')),
    branch_id     TEXT REFERENCES branches (id),
    created_at    INTEGER NOT NULL,
    disabled_at   INTEGER,
    records       INTEGER NOT NULL DEFAULT 0 CHECK (records IN (0, 1)),
    CHECK ((role = 'branch_head' AND branch_id IS NOT NULL) OR (role <> 'branch_head' AND branch_id IS NULL)),
    CHECK (role = 'branch_head' OR records = 0)
) STRICT;
INSERT INTO admins_new (login, password_hash, role, branch_id, created_at, disabled_at, records)
SELECT login, password_hash, role, branch_id, created_at, disabled_at, 0 FROM admins;
DROP TABLE admins;
ALTER TABLE admins_new RENAME TO admins;

INSERT INTO sessions SELECT * FROM sessions_kept;
DROP TABLE sessions_kept;
