-- Two indexes no query reads: every filter of records by branch walks records_check_time (the
-- figures read the count tables), and a device's records are looked up through records_target.
-- Each cost every stored record one more b-tree insert in the one writer.
DROP INDEX records_branch_created;
DROP INDEX records_device;
