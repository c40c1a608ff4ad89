-- An index no query reads (a device's records are looked up through records_target): it cost
-- every stored record one more b-tree insert.
DROP INDEX IF EXISTS records_device;
