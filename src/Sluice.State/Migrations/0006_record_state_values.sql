-- Sluice state, version 6: the values of the columns a destination watches (a Segment transition's column),
-- stored with each record's fingerprint so that the next run can say what a value was before it changed.
-- They move with the fingerprint, in the statement that commits the batch which handled the record (D2):
-- a transition is seen once, and a replay after a crash sees the same one again.
--
-- A JSON object of column name → the value as PostgreSQL writes it as text (NULL as null), e.g.
-- {"status": "trial"}. NULL when the sync watches no column, or stored the record before it did.
ALTER TABLE {schema}.record_state ADD COLUMN watched_values jsonb;
