-- Export files that cannot be forged (SQLite's 017): the public half of each phone's
-- export-signing key (Ed25519, base64url), registered at enrollment (replacing an earlier one)
-- or, for a phone enrolled before keys existed, at its first sync that reports one (only while
-- none is registered). An import verifies a file with it. NULL: no key yet — its files are refused.
ALTER TABLE devices ADD COLUMN signing_key text COLLATE "C";
ALTER TABLE devices ADD COLUMN signing_key_at bigint;
