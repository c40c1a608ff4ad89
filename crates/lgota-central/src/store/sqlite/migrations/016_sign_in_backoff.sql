-- 016: the sign-in back-off in the database (issue 18), no longer in one process's memory: every
-- server process on the database sees the same waits (`AdminStore::reserve_sign_in`). Per key
-- (`login:…`, `ip:…`): failures, no attempt before `next_at_ms`, the last attempt. (Numbered 016:
-- 011–015 came first.)
CREATE TABLE sign_in_backoff (
    key        TEXT PRIMARY KEY,
    failures   INTEGER NOT NULL,
    next_at_ms INTEGER NOT NULL,
    last_at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX sign_in_backoff_last ON sign_in_backoff (last_at_ms);
