-- Sluice state, version 4: every committed batch of every run, for run history (`sluice backfill` points
-- here when it finishes). Written in the transaction that commits the batch, with the ledger and the
-- checkpoint, so a row here means the batch is durably done. A batch covers the rows after the previous
-- batch's `position` (or the run's start) up to and including its own.
CREATE TABLE {schema}.run_batches (
    run_id        bigint NOT NULL REFERENCES {schema}.runs (id) ON DELETE CASCADE,
    batch_seq     bigint NOT NULL,
    records_read  integer NOT NULL,
    acknowledged  integer NOT NULL,
    rejected      integer NOT NULL,
    -- the checkpoint after the batch's last record, as stored in checkpoints.value
    position      text NOT NULL,
    committed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, batch_seq)
);
