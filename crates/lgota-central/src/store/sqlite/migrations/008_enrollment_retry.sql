-- Enrollment that survives the field (issue #11, part 6).
--
-- Who issued a code: an administrator's code may move a phone enrolled in another branch (the
-- move is audited), a branch head's code may not. Codes issued before this migration were
-- issued with the old rules (any code moved a phone): they count as an administrator's.
ALTER TABLE enrollment_codes ADD COLUMN issuer_role TEXT NOT NULL DEFAULT 'admin'
    CHECK (issuer_role IN ('admin', 'branch_head'));
-- The login that issued it (`cli:<user>` from the command line), for the audit log of a move.
ALTER TABLE enrollment_codes ADD COLUMN issued_by TEXT;
-- The SHA-256 of the secret the phone chose for the enrollment that used the code: the same
-- phone repeating the same code with the same secret while the code is valid gets a new token
-- (the first answer may have been lost on the network).
ALTER TABLE enrollment_codes ADD COLUMN secret_sha256 TEXT;
