-- Sluice state, version 20: two-way syncs (`two_way:`, docs/salesforce.md#two-way-sync). For each pair of syncs and
-- each linked record (the link is the Salesforce Id), the field values both sides last agreed on — what Sluice itself
-- last wrote or saw — so that a change equal to them is an echo of Sluice's own write, and a field that differs from
-- them on both sides is a conflict. Written in the transaction that commits the batch which handled the record.
CREATE TABLE {schema}.two_way_records (
    pair       text NOT NULL,
    link       text NOT NULL,
    agreed     jsonb NOT NULL,
    sync_id    bigint NOT NULL,
    run_id     bigint,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pair, link)
);

-- Every conflict a two-way sync resolved: both values, when each side last changed, the rule and the winner.
CREATE TABLE {schema}.two_way_conflicts (
    id                   bigserial PRIMARY KEY,
    pair                 text NOT NULL,
    link                 text NOT NULL,
    sync_id              bigint NOT NULL,
    record_key           text NOT NULL,
    run_id               bigint,
    field                text NOT NULL,
    source_side          text NOT NULL,
    source_value         text,
    source_modified      timestamptz,
    destination_side     text NOT NULL,
    destination_value    text,
    destination_modified timestamptz,
    rule                 text NOT NULL,
    winner               text NOT NULL,
    resolved_at          timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX two_way_conflicts_link ON {schema}.two_way_conflicts (link);
CREATE INDEX two_way_conflicts_record ON {schema}.two_way_conflicts (sync_id, record_key);
