-- Sluice state, version 3: what a diffing source (a query, or a table without a cursor) last handled
-- of each record. A run compares the source's rows with these fingerprints and sends only what was
-- added, changed or (when asked) deleted. A row moves only in the transaction that commits the batch
-- which handled its record, with the ledger and the checkpoint (exactly once: D2).
--
-- `record_key` is COLLATE "C" so that the primary key index returns keys in the order the source
-- sorts its own rows for the merge (byte order, see RecordKeyOrder), without a sort.
CREATE TABLE {schema}.record_state (
    sync_id     bigint NOT NULL REFERENCES {schema}.syncs (id) ON DELETE CASCADE,
    record_key  text COLLATE "C" NOT NULL,
    -- 16 bytes of SHA-256 over the record's mapped values in a canonical binary form
    fingerprint bytea NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (sync_id, record_key)
);
