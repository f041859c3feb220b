-- Sluice state, version 10: record_state grows into the sync's record ledger — one row per sync and record key, for
-- every sync that keeps per-record memory (a table or query source; a streaming sync only when its destination asks),
-- not only diffing ones. A row still moves only in the transaction that commits the batch which handled its record,
-- with the send ledger and the checkpoint (D2). Rows stored before this version keep their values and read as
-- status NULL (unknown: sent or left out), no destination id, no origin.
ALTER TABLE {schema}.record_state
    -- a sync that does not diff (a table read by cursor) remembers a record without a fingerprint
    ALTER COLUMN fingerprint DROP NOT NULL,
    -- what the last run that handled the record did with it: 'sent', 'dead_lettered', 'left_out', 'quarantined', 'waiting'
    ADD COLUMN status         text,
    -- the id the destination gave the record (a Salesforce Id, the target row's key); kept when a later version fails
    ADD COLUMN destination_id text,
    -- the sync that wrote the record, for echo suppression in two-way syncs
    ADD COLUMN origin         text,
    -- the run whose commit last stored the row (updated_at is when)
    ADD COLUMN run_id         bigint;
