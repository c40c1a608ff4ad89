-- Export files that cannot be forged (issue 17): the phone's own Ed25519 key, made once when
-- the log is opened. Its private half never leaves this file (never exported, never logged);
-- the public half goes to the server at enrollment and in the device report, and export files
-- are signed with it (docs/protocol.md, «Offline export»).
CREATE TABLE signing_key (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    secret BLOB NOT NULL CHECK (length(secret) = 32),
    created_at_ms INTEGER NOT NULL
);
