-- A stored check is counted by the store in the transaction that stores it, added up over its
-- batch and written once per row of the counts (store/sqlite/counts.rs), instead of by a trigger
-- writing two rows per check: the triggers were a third of an insert's cost, and the one writer's
-- inserts bound how many records the server takes per second. A void still takes its target
-- away by 007's triggers (records_count_void, records_count_event_void).
DROP TRIGGER records_count_check;
DROP TRIGGER records_count_event_check;
