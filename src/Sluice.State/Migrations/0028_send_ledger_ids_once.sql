-- Sluice state, version 28: the send ledger stores an id once where a record's key is its message id.
--
-- An ingested event lands in an events table under its event id, which is both its record key and its message id:
-- every acknowledged batch wrote that uuid twice as text (≈ 37 bytes each, two arrays, ≈ 80 KB per 1,000 events),
-- the largest part of PostgreSQL's cost for the commit of a landed batch after the destination's own write.
-- A row now takes one of three shapes (rows written before keep the first):
--   record_keys text[], message_ids text[]      keys and message ids differ (a table synced to Segment, Salesforce)
--   record_keys text[], message_ids NULL        each message id is its record's key
--   record_uuids uuid[], both text arrays NULL   each message id is its record's key, and every key is a uuid in
--                                                PostgreSQL's own text form (record_uuids::text[] gives the keys back)
-- Readers take the keys as coalesce(record_keys, record_uuids::text[]) and the message ids as
-- coalesce(message_ids, record_keys, record_uuids::text[]).
-- The check is NOT VALID: every existing row has its keys as text and no uuids, and validating would read the whole
-- table under the migration's lock; new rows are checked.
ALTER TABLE {schema}.send_ledger
    ADD COLUMN record_uuids uuid[],
    ALTER COLUMN record_keys DROP NOT NULL,
    ALTER COLUMN message_ids DROP NOT NULL,
    ADD CONSTRAINT send_ledger_keys_once CHECK ((record_keys IS NULL) <> (record_uuids IS NULL) AND (record_keys IS NOT NULL OR message_ids IS NULL)) NOT VALID;
-- As the text arrays (0026): random ids do not compress.
ALTER TABLE {schema}.send_ledger ALTER COLUMN record_uuids SET STORAGE EXTERNAL;
