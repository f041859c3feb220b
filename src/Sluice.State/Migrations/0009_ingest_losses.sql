-- Sluice state, version 9: events of an ingest source deleted before a sync had read them. Retention holds back
-- every event a sync of the config has not read; only a source's `max_backlog` deletes unread events, and each one
-- it deletes is counted here, per sync, in the same transaction as the delete. `sluice status`, `/metrics`
-- (sluice_ingest_events_lost_total) and the dashboard read this table. Keyed by the sync's name, not its id: a sync
-- that never ran has no row in `syncs`, and its events are lost all the same.
CREATE TABLE {schema}.ingest_losses (
    source        text NOT NULL,
    sync          text NOT NULL,
    -- only grows: a Prometheus counter
    events        bigint NOT NULL,
    first_lost_at timestamptz NOT NULL,
    last_lost_at  timestamptz NOT NULL,
    PRIMARY KEY (source, sync)
);
