-- Sluice state, version 21: why a processor skipped a record (a lookup with no match: "lookup: no match in app for
-- Email 'x'") gets a column of its own in the record ledger. Until now it was kept among the watched values under the
-- key 'sluice.left_out'; those are moved here, and the watched values keep only watched columns (an entry whose only
-- value was the reason is left with none). `sluice explain` shows the reason, and `sluice status` counts a sync's
-- entries skipped by its last run through the partial index (only skipped entries are in it).
ALTER TABLE {schema}.record_state ADD COLUMN skip_reason text;

UPDATE {schema}.record_state
SET skip_reason = watched_values ->> 'sluice.left_out',
    watched_values = nullif(watched_values - 'sluice.left_out', '{}'::jsonb)
WHERE watched_values ? 'sluice.left_out';

CREATE INDEX record_state_skipped ON {schema}.record_state (sync_id, run_id) WHERE skip_reason IS NOT NULL;
