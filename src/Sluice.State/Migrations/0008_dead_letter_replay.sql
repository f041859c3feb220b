-- Sluice state, version 8: replaying dead letters (`sluice dlq replay`). A replay sends a letter's stored payload
-- through the sync's destination again. Delivered: `replayed_at` (from version 1) is set and the letter leaves the
-- queue. Refused again: it stays in the queue under the new reason; the reason it was first refused for is kept.
ALTER TABLE {schema}.dead_letters
    -- 'delivered' or 'refused': how the last replay went; NULL while never replayed
    ADD COLUMN replay_outcome  text,
    ADD COLUMN replay_attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN last_replay_at  timestamptz,
    -- the first reason, once a replay has replaced `reason` with a newer one
    ADD COLUMN original_reason text;

-- The queue proper: what `sluice dlq list` and `sluice status` count and page through.
CREATE INDEX dead_letters_pending ON {schema}.dead_letters (sync_id, id) WHERE replayed_at IS NULL;
