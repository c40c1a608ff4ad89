-- Records the server answered but did not store (protocol 2): refused with a reason, or a
-- conflict (the server holds another record under the same id). The outbox moves past them so
-- that they never hold back later records; they wait here, in the sync panel's «Требуют
-- внимания», until the librarian voids or exports them. A record the server stores later (after
-- a resend) leaves this table.
CREATE TABLE sync_attention (
    record_id TEXT PRIMARY KEY REFERENCES records (id),
    status    TEXT NOT NULL CHECK (status IN ('refused', 'conflict')),
    code      TEXT NOT NULL,
    message   TEXT NOT NULL,
    at_ms     INTEGER NOT NULL
) STRICT;
