using System.Diagnostics.Metrics;
using Sluice.Postgres.Cdc;

namespace Sluice.Server.Metrics;

/// <summary>
/// What <c>sluice status</c> knows, as observable instruments read at collection time from the latest
/// <see cref="SyncHealthSnapshot"/>: the <c>/metrics</c> series of earlier versions, same names, same labels. Names
/// are given as Prometheus shows them; a counter's <c>_total</c> is the exporter's.
/// </summary>
internal static class HealthInstruments
{
    /// <summary>Creates every instrument on <paramref name="meter"/>; each reads <paramref name="snapshot"/> when collected.</summary>
    public static void Register(Meter meter, Func<SyncHealthSnapshot?> snapshot)
    {
        IEnumerable<SyncHealth> Syncs() => snapshot()?.Syncs ?? [];
        IEnumerable<SyncHealth> Cdc() => Syncs().Where(s => s.Slot?.Sample is not null);
        IEnumerable<SyncHealth> Ingest() => Syncs().Where(s => s.Ingest is not null);

        meter.CreateObservableGauge("sluice_slot_lag_bytes",
            () => Cdc().Select(s => new Measurement<long>(s.Slot!.Sample!.LagBytes, SlotTags(s))),
            description: "WAL written since the CDC slot's reader last confirmed, in bytes.");
        meter.CreateObservableGauge("sluice_slot_retained_bytes",
            () => Cdc().Select(s => new Measurement<long>(s.Slot!.Sample!.RetainedBytes, SlotTags(s))),
            description: "WAL the server keeps for the CDC slot (from its restart_lsn), in bytes.");
        meter.CreateObservableGauge("sluice_slot_lag_seconds",
            () => Cdc().Where(s => s.Slot!.LagSeconds is not null).Select(s => new Measurement<double>(s.Slot!.LagSeconds!.Value, SlotTags(s))),
            description: "How long the CDC slot has held unconfirmed WAL, in seconds (see docs/cdc.md).");
        meter.CreateObservableGauge("sluice_slot_active",
            () => Cdc().Select(s => new Measurement<long>(s.Slot!.Sample!.Active ? 1 : 0, SlotTags(s))),
            description: "1 when a reader is attached to the CDC slot, else 0.");
        meter.CreateObservableGauge("sluice_slot_over_threshold",
            () => Syncs().Where(s => s.Slot is not null).Select(s => new Measurement<long>(s.Slot!.OverThreshold ? 1 : 0, SlotTags(s))),
            description: "1 when the CDC slot is over max_lag or max_lag_time, stalled or lost, else 0.");
        meter.CreateObservableGauge("sluice_slot_stalled",
            () => Cdc().Select(s => new Measurement<long>(s.Slot!.State == SlotHealthState.Stalled ? 1 : 0, SlotTags(s))),
            description: "1 when the CDC slot holds WAL without confirming anything for longer than stall_after, else 0.");
        meter.CreateObservableGauge("sluice_orphan_slot_retained_bytes",
            () => (snapshot()?.Orphans ?? []).Where(o => o.Orphan.Kind == SlotPruner.OrphanKind.Slot)
                .Select(o => new Measurement<long>(o.Orphan.RetainedBytes ?? 0, Tag("connection", o.Connection), Tag("slot", o.Orphan.Name))),
            description: "WAL held by a Sluice slot no sync claims (run `sluice prune`), in bytes.");
        meter.CreateObservableGauge("sluice_sync_last_success_timestamp_seconds",
            () => Syncs().Where(s => s.Progress?.LastSuccessAt is not null)
                .Select(s => new Measurement<double>(s.Progress!.LastSuccessAt!.Value.ToUnixTimeMilliseconds() / 1000.0, SyncTag(s))),
            description: "When the sync last delivered (a run succeeded or a checkpoint committed), as Unix time.");
        meter.CreateObservableCounter("sluice_sync_records",
            () => Syncs().Select(s => new Measurement<long>(s.Progress?.RecordsTotal ?? 0, SyncTag(s))),
            description: "Records the sync's destinations acknowledged, over all runs.");
        meter.CreateObservableGauge("sluice_sync_info",
            () => Syncs().Select(s => new Measurement<long>(1, SyncTag(s), Tag("schedule", s.Schedule))),
            description: "1 for every sync of the config, labelled with its schedule (manual, continuous, every <duration>).");
        meter.CreateObservableGauge("sluice_sync_last_run_failed",
            () => Syncs().Select(s => new Measurement<long>(s.LastRunFailed ? 1 : 0, SyncTag(s))),
            description: "1 when the sync's latest run failed (`sluice status` shows its error), else 0.");
        meter.CreateObservableCounter("sluice_sync_runs_failed",
            () => Syncs().Select(s => new Measurement<long>(s.Status?.FailedRuns ?? 0, SyncTag(s))),
            description: "Runs of the sync that failed, over all time.");
        meter.CreateObservableGauge("sluice_sync_dead_letters",
            () => Syncs().Select(s => new Measurement<long>(s.Status?.DeadLetters ?? 0, SyncTag(s))),
            description: "Records of the sync waiting in the dead-letter queue (`sluice dlq list`).");
        meter.CreateObservableGauge("sluice_ingest_backlog_events",
            () => Ingest().Select(s => new Measurement<long>(s.Ingest!.Events, IngestTags(s))),
            description: "Events of the ingest source the sync has not read yet.");
        meter.CreateObservableGauge("sluice_ingest_backlog_oldest_seconds",
            () => Ingest().Select(s => new Measurement<double>(
                s.Ingest!.OldestReceivedAt is { } oldest ? Math.Max(0, (s.At - oldest).TotalSeconds) : 0, IngestTags(s))),
            description: "Age of the oldest event of the ingest source the sync has not read, in seconds (0 when none).");
        meter.CreateObservableCounter("sluice_ingest_events_lost",
            () => Ingest().Select(s => new Measurement<long>(s.Ingest!.Lost, IngestTags(s))),
            description: "Events of the ingest source deleted (over max_backlog) before the sync had read them.");
    }

    private static KeyValuePair<string, object?> Tag(string name, string value) => new(name, value);

    private static KeyValuePair<string, object?> SyncTag(SyncHealth sync) => Tag("sync", sync.Name);

    private static KeyValuePair<string, object?>[] SlotTags(SyncHealth sync) => [SyncTag(sync), Tag("slot", sync.Slot!.Options.Slot)];

    private static KeyValuePair<string, object?>[] IngestTags(SyncHealth sync) => [Tag("source", sync.Ingest!.Source), SyncTag(sync)];
}
