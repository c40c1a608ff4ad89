-- Least privilege (SQLite's 012): a totals-only role, `observer` (figures only, every branch),
-- and a branch head's grant to see the individual records of their branch (`records`, off by
-- default).
ALTER TABLE admins DROP CONSTRAINT admins_role_check;
ALTER TABLE admins DROP CONSTRAINT admins_check;
ALTER TABLE admins ADD COLUMN records boolean NOT NULL DEFAULT false;
ALTER TABLE admins ADD CONSTRAINT admins_role_check CHECK (role IN ('admin', 'branch_head', 'observer'));
ALTER TABLE admins ADD CONSTRAINT admins_branch_check
    CHECK ((role = 'branch_head' AND branch_id IS NOT NULL) OR (role <> 'branch_head' AND branch_id IS NULL));
ALTER TABLE admins ADD CONSTRAINT admins_records_check CHECK (role = 'branch_head' OR NOT records);
