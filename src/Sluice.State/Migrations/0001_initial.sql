-- Sluice state, version 1. Stored formats only grow: later migrations add, never rewrite.

CREATE TABLE {schema}.syncs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per sync. `generation` guards every move: UPDATE … WHERE generation = <the one we read>.
CREATE TABLE {schema}.checkpoints (
    sync_id     bigint PRIMARY KEY REFERENCES {schema}.syncs (id) ON DELETE CASCADE,
    format      text NOT NULL,
    version     integer NOT NULL,
    value       text NOT NULL,
    generation  bigint NOT NULL,
    run_id      bigint,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE {schema}.runs (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sync_id      bigint NOT NULL REFERENCES {schema}.syncs (id) ON DELETE CASCADE,
    kind         text NOT NULL,
    status       text NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    records_read bigint NOT NULL DEFAULT 0,
    acknowledged bigint NOT NULL DEFAULT 0,
    rejected     bigint NOT NULL DEFAULT 0,
    batches      bigint NOT NULL DEFAULT 0,
    error        text,
    host         text NOT NULL,
    pid          integer NOT NULL
);
CREATE INDEX runs_by_sync ON {schema}.runs (sync_id, id DESC);

-- What each destination acknowledged, under which message ids: one row per acknowledged batch with
-- its records as parallel arrays (a row per record would cost PostgreSQL more than the sync itself).
-- Written in the same transaction as the checkpoint that moves past it.
CREATE TABLE {schema}.send_ledger (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sync_id         bigint NOT NULL,
    run_id          bigint NOT NULL,
    batch_seq       bigint NOT NULL,
    record_keys     text[] NOT NULL,
    message_ids     text[] NOT NULL,
    -- one letter per record, in order: u = upsert, d = delete
    operations      text NOT NULL,
    acknowledged_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX send_ledger_by_run ON {schema}.send_ledger (sync_id, run_id, batch_seq);

CREATE TABLE {schema}.dead_letters (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sync_id     bigint NOT NULL REFERENCES {schema}.syncs (id) ON DELETE CASCADE,
    run_id      bigint NOT NULL,
    record_key  text NOT NULL,
    message_id  text,
    reason      text NOT NULL,
    payload     text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    replayed_at timestamptz
);
CREATE INDEX dead_letters_by_sync ON {schema}.dead_letters (sync_id, id);
