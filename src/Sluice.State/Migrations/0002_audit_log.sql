-- Sluice state, version 2: the audit log. What each run let out of the database: which fields (names and
-- transforms, never values) went to which destination, how many records were acknowledged, who ran it
-- and when. One row per finished run (succeeded, failed or cancelled), written in the transaction that
-- finishes the run. Rows outlive the sync they describe: no foreign key cascades them away.

CREATE TABLE {schema}.audit_log (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sync_id                bigint NOT NULL,
    sync_name              text NOT NULL,
    run_id                 bigint NOT NULL,
    status                 text NOT NULL,
    destination_connection text,
    destination            text NOT NULL,
    -- [{"target": "traits.email", "column": "email", "transform": "hash"}, …]; target null: a column the
    -- destination reads itself (an event name built from columns); transform null: sent as read.
    fields                 jsonb NOT NULL,
    acknowledged           bigint NOT NULL,
    rejected               bigint NOT NULL,
    os_user                text NOT NULL,
    host                   text NOT NULL,
    pid                    integer NOT NULL,
    started_at             timestamptz NOT NULL,
    finished_at            timestamptz NOT NULL,
    recorded_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_by_sync ON {schema}.audit_log (sync_id, id DESC);
CREATE INDEX audit_log_by_time ON {schema}.audit_log (finished_at);
