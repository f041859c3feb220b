-- Sluice state, version 24: retention (`state.retention:`, docs/retention.md). History is pruned by age in short
-- chunks; what was pruned is remembered per sync, so that `sluice explain` can say a record's history before a time
-- is gone (rather than that it never happened), and so that run totals (sluice_sync_records_total, failed runs) keep
-- counting the runs that were pruned.
CREATE TABLE {schema}.retention_watermarks (
    sync_id                      bigint PRIMARY KEY REFERENCES {schema}.syncs (id) ON DELETE CASCADE,
    -- the newest acknowledged_at of a pruned send-ledger row: sends before it may be gone
    sends_pruned_through         timestamptz,
    -- the newest created_at of a pruned dead letter
    dead_letters_pruned_through  timestamptz,
    -- the newest finished_at of a pruned run
    runs_pruned_through          timestamptz,
    -- what the pruned runs counted, added to the totals over the runs kept
    pruned_runs_acknowledged     bigint NOT NULL DEFAULT 0,
    pruned_runs_failed           bigint NOT NULL DEFAULT 0,
    pruned_at                    timestamptz
);
-- Each chunk finds its oldest rows by time, not by a scan from the start of the table.
CREATE INDEX send_ledger_by_time ON {schema}.send_ledger (acknowledged_at);
CREATE INDEX dead_letters_resolved ON {schema}.dead_letters (replayed_at) WHERE replayed_at IS NOT NULL;
CREATE INDEX runs_by_finish ON {schema}.runs (finished_at) WHERE finished_at IS NOT NULL;
