-- Sluice state, version 18: the quarantine of a sync's `validate:` rules (S5). Quarantined events are rows of
-- dead_letters with kind 'quarantined' (written by the commit stage, with every failed rule in `reason`); this adds:
--   dropped_reason  why a person dropped it (`sluice quarantine drop --reason`); replay_outcome is then 'dropped'.
-- A release (`sluice quarantine release`) re-validates: a now-valid event is sent and leaves the quarantine
-- (replayed_at set, replay_outcome 'delivered'); one still failing stays, `reason` replaced by today's failed rules
-- (the first reason kept in original_reason), replay_outcome 'refused'.
ALTER TABLE {schema}.dead_letters ADD COLUMN dropped_reason text;

-- `sluice quarantine list|release`, and the counts of `sluice status` and the dashboard.
CREATE INDEX dead_letters_quarantined ON {schema}.dead_letters (sync_id, id) WHERE kind = 'quarantined' AND replayed_at IS NULL;

-- `sluice explain SYNC MESSAGE_ID`: an ingested event is known to its sender by its messageId.
CREATE INDEX dead_letters_by_message_id ON {schema}.dead_letters (sync_id, message_id) WHERE message_id IS NOT NULL;

-- The quarantine as a table to query: what is held back, why, and what became of it.
CREATE VIEW {schema}.quarantine AS
SELECT d.id, s.name AS sync, d.record_key, d.message_id, d.reason, d.original_reason, d.payload, d.created_at,
       d.replayed_at, d.replay_outcome, d.replay_attempts, d.dropped_reason
FROM {schema}.dead_letters d JOIN {schema}.syncs s ON s.id = d.sync_id
WHERE d.kind = 'quarantined';
