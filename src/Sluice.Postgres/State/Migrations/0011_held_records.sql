-- Sluice state, version 11: records held instead of sent share the dead-letter queue, told apart by `kind`:
--   'rejected'    refused for good by the encoder or the destination (every row before this version);
--   'quarantined' held back by a processor with its reason; `sluice dlq replay` never sends it;
--   'waiting'     deferred by a processor until its parent exists; `sluice dlq replay` sends it.
-- Each is written in the commit that moves the checkpoint past it, so moving past it never loses it.
-- A replay of dead letters is a run of its own: `runs.kind` 'replay' (kind is free text; no constraint to widen).
ALTER TABLE {schema}.dead_letters ADD COLUMN kind text NOT NULL DEFAULT 'rejected';
