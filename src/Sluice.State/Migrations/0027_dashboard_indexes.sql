-- Sluice state, version 27: what the dashboard looks up by record key. A page shows the landing status of the last
-- ingested events (their dead letters, by key) and `explain` in the browser finds a record's dead letters by key; both
-- scanned every dead letter of the sync before. Dead letters are written rarely, so the index costs a run nothing
-- that matters.
CREATE INDEX dead_letters_by_key ON {schema}.dead_letters (sync_id, record_key);
