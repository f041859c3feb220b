-- Sluice state, version 26: cheaper ledger writes for large batches (a 100,000-row Bulk API job commits 100,000
-- record_state entries and one send_ledger row with two 100,000-element arrays in one transaction).
--
-- 1. record_state loses its foreign key to syncs. PostgreSQL checks a foreign key row by row (a lookup and a lock of
--    the syncs row per ledger entry): 100,000 entries took 3.2 s with it and 1.9 s without it on the same (loaded)
--    machine. What the key protected still holds without it:
--    - no entry for a sync that does not exist: every ledger write commits in the transaction that moves the sync's
--      checkpoint, which fails for a sync that is gone (the first checkpoint's insert checks its own key to syncs; a
--      later one updates `WHERE generation = …` and rolls back when no row matched), so the entries roll back with it;
--    - no entry left behind when a sync is deleted: `sluice prune --state` deletes the sync's record ledger in the
--      statement that deletes the sync, as it already did for send_ledger, which never had a key.
--    Retention deletes entries by age and never relied on the cascade.
-- 2. send_ledger's arrays are stored out of line without compression. Record keys next to message ids (hex hashes)
--    barely compress: pglz spent ≈ 0.4 s on a 100,000-record row only to store it as it was. Rows written before
--    stay as they are.
ALTER TABLE {schema}.record_state DROP CONSTRAINT IF EXISTS record_state_sync_id_fkey;
ALTER TABLE {schema}.send_ledger ALTER COLUMN record_keys SET STORAGE EXTERNAL, ALTER COLUMN message_ids SET STORAGE EXTERNAL;
