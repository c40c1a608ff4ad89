-- The checks at each event of a period (the overview's «по мероприятиям», every page of a year)
-- summed from this index alone: the month rows of a year of `event_counts` are ~440,000 at
-- 10,000,000 records when events spread over the year, and reading them from the table took
-- ~500 ms; an index-only scan of (level, bucket_ms, event_id, n) ~80–160 ms. Its price: a count's
-- change writes this index too (no heap-only update of `n`).
CREATE INDEX event_counts_event_sums ON event_counts (level, bucket_ms, event_id) INCLUDE (n);
