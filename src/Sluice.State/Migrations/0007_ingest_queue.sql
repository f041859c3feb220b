-- Sluice state, version 7: the ingest queue. The ingest API answers 200 only once an event is a committed row
-- here; every sync that reads an ingest source follows this table with its own checkpoint.
--
-- Reading order is (xid, position), not position alone: identity values are handed out when a row is written,
-- not when its transaction commits, so a writer that commits late leaves a smaller position behind rows already
-- read. A reader only reads rows whose writing transaction is older than every transaction still running
-- (xid < pg_snapshot_xmin(pg_current_snapshot())): those rows can no longer appear or vanish, so everything
-- before a checkpoint in (xid, position) order has been seen for good.
CREATE TABLE {schema}.ingest_queue (
    position    bigint GENERATED ALWAYS AS IDENTITY,
    -- the top-level transaction that wrote the row (one per group commit)
    xid         xid8 NOT NULL DEFAULT pg_current_xact_id(),
    source      text NOT NULL,
    event_id    uuid NOT NULL,
    kind        text NOT NULL,
    type        text NOT NULL,
    event       text,
    received_at timestamptz NOT NULL,
    -- the event's JSON as UTF-8 bytes, already validated by the API. bytea is the cheapest to write: no parse (jsonb)
    -- and no encoding check or client-side decoding (text); measured with 1 KB events, 100,000 rows in 5,000-row
    -- COPYs took about 2/3 of the time of text or jsonb. In psql: convert_from(payload, 'UTF8')::jsonb.
    payload     bytea NOT NULL
);

-- Serves the readers: one source's rows in (xid, position) order, from a checkpoint.
CREATE INDEX ingest_queue_by_source ON {schema}.ingest_queue (source, xid, position);

-- Serves retention. Rows arrive in received_at order, so a BRIN index finds the old block ranges at almost no
-- cost per insert (a second btree would cost every write as much as the reader's index does).
CREATE INDEX ingest_queue_by_age ON {schema}.ingest_queue USING brin (received_at);
