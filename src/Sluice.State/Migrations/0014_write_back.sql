-- Sluice state, version 14: write-back of destination ids into the source database (`write_back:`).
-- When the source database is not the state database, the commit that stores a record's destination id also marks it
-- pending; the engine writes the id back right after the commit and clears the mark. A process that dies in between
-- leaves the mark, and the next run writes the id back first — so an acknowledged id is never lost.
ALTER TABLE {schema}.record_state ADD COLUMN write_back_pending boolean NOT NULL DEFAULT false;
CREATE INDEX record_state_write_back_pending ON {schema}.record_state (sync_id) WHERE write_back_pending;
