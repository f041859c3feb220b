-- Sluice state, version 19: metric alerts (`alerts:`, docs/config.md). One row per alert: its state (ok or firing), the
-- last value read, how many times it crossed, and when it last fired and recovered. An evaluation holds its row
-- (SELECT … FOR UPDATE SKIP LOCKED) from reading the state to writing it, so with several `sluice run` processes one
-- evaluates at a time and each crossing's Track event is sent once.
CREATE TABLE {schema}.alerts (
    name              text PRIMARY KEY,
    state             text NOT NULL DEFAULT 'ok',
    last_value        double precision,
    last_evaluated_at timestamptz,
    evaluations       bigint NOT NULL DEFAULT 0,
    crossings         bigint NOT NULL DEFAULT 0,
    last_fired_at     timestamptz,
    last_fired_value  double precision,
    last_recovered_at timestamptz,
    last_error        text
);
