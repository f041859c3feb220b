-- Sluice state, version 13: waiting records (dead_letters.kind 'waiting') are offered again at the start of each run
-- of their sync, and a newer version of a record committed by a run supersedes its waiting one. No new column: a
-- re-offer counts in `replay_attempts` and `last_replay_at`, the last reason replaces `reason` (the first is kept in
-- `original_reason`), and `replay_outcome` grows two values:
--   'waiting'    offered again and still waiting (it stays in the queue);
--   'superseded' a newer version of the record was committed (it left the queue unsent: an old version must never be
--                sent after a new one).
-- A waiting record past the sync's max_wait becomes kind 'rejected', with the reason.
-- Every commit of a sync that has waiting records looks its batch's keys up here, so this index holds only those.
CREATE INDEX dead_letters_waiting ON {schema}.dead_letters (sync_id, record_key) WHERE kind = 'waiting' AND replayed_at IS NULL;
