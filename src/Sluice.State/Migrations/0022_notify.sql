-- Sluice state, version 22: `notify:` webhooks (docs/alerting.md). One row per sync: what the last message said about it
-- (`ok`, or the kinds of reason it needs attention for, sorted and comma-separated) and when. A process that finds a
-- sync's health changed holds its row (SELECT … FOR UPDATE SKIP LOCKED) while it sends and records the message, so with
-- several `sluice run` processes each change of state is announced once.
CREATE TABLE {schema}.notify_state (
    sync         text PRIMARY KEY,
    state        text NOT NULL DEFAULT 'ok',
    reasons      jsonb NOT NULL DEFAULT '[]',
    changed_at   timestamptz,
    messages     bigint NOT NULL DEFAULT 0,
    last_error   text
);
