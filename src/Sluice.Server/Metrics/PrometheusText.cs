using System.Globalization;
using System.Text;
using Sluice.Postgres.Cdc;

namespace Sluice.Server.Metrics;

/// <summary>
/// A <see cref="SyncHealthSnapshot"/> in Prometheus' text exposition format (version 0.0.4), the format every
/// scraper reads: <c># HELP</c>, <c># TYPE</c>, then one <c>name{labels} value</c> line per series.
/// </summary>
public static class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static string Render(SyncHealthSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var text = new StringBuilder();
        var cdc = snapshot.Syncs.Where(s => s.Slot?.Sample is not null).ToList();

        Family(text, "sluice_slot_lag_bytes", "gauge", "WAL written since the CDC slot's reader last confirmed, in bytes.",
            cdc.Select(s => (SlotLabels(s), (double?)s.Slot!.Sample!.LagBytes)));
        Family(text, "sluice_slot_retained_bytes", "gauge", "WAL the server keeps for the CDC slot (from its restart_lsn), in bytes.",
            cdc.Select(s => (SlotLabels(s), (double?)s.Slot!.Sample!.RetainedBytes)));
        Family(text, "sluice_slot_lag_seconds", "gauge", "How long the CDC slot has held unconfirmed WAL, in seconds (see docs/cdc.md).",
            cdc.Select(s => (SlotLabels(s), s.Slot!.LagSeconds)));
        Family(text, "sluice_slot_active", "gauge", "1 when a reader is attached to the CDC slot, else 0.",
            cdc.Select(s => (SlotLabels(s), (double?)(s.Slot!.Sample!.Active ? 1 : 0))));
        Family(text, "sluice_slot_over_threshold", "gauge", "1 when the CDC slot is over max_lag or max_lag_time, stalled or lost, else 0.",
            snapshot.Syncs.Where(s => s.Slot is not null).Select(s => (SlotLabels(s), (double?)(s.Slot!.OverThreshold ? 1 : 0))));
        Family(text, "sluice_slot_stalled", "gauge", "1 when the CDC slot holds WAL without confirming anything for longer than stall_after, else 0.",
            cdc.Select(s => (SlotLabels(s), (double?)(s.Slot!.State == SlotHealthState.Stalled ? 1 : 0))));
        Family(text, "sluice_orphan_slot_retained_bytes", "gauge", "WAL held by a Sluice slot no sync claims (run `sluice prune`), in bytes.",
            snapshot.Orphans.Where(o => o.Orphan.Kind == SlotPruner.OrphanKind.Slot)
                .Select(o => (Labels(("connection", o.Connection), ("slot", o.Orphan.Name)), (double?)(o.Orphan.RetainedBytes ?? 0))));
        Family(text, "sluice_sync_last_success_timestamp_seconds", "gauge", "When the sync last delivered (a run succeeded or a checkpoint committed), as Unix time.",
            snapshot.Syncs.Where(s => s.Progress?.LastSuccessAt is not null)
                .Select(s => (Labels(("sync", s.Name)), (double?)s.Progress!.LastSuccessAt!.Value.ToUnixTimeMilliseconds() / 1000.0)));
        Family(text, "sluice_sync_records_total", "counter", "Records the sync's destinations acknowledged, over all runs.",
            snapshot.Syncs.Select(s => (Labels(("sync", s.Name)), (double?)(s.Progress?.RecordsTotal ?? 0))));
        Family(text, "sluice_sync_info", "gauge", "1 for every sync of the config, labelled with its schedule (manual, continuous, every <duration>).",
            snapshot.Syncs.Select(s => (Labels(("sync", s.Name), ("schedule", s.Schedule)), (double?)1)));
        Family(text, "sluice_sync_last_run_failed", "gauge", "1 when the sync's latest run failed (`sluice status` shows its error), else 0.",
            snapshot.Syncs.Select(s => (Labels(("sync", s.Name)), (double?)(s.LastRunFailed ? 1 : 0))));
        Family(text, "sluice_sync_runs_failed_total", "counter", "Runs of the sync that failed, over all time.",
            snapshot.Syncs.Select(s => (Labels(("sync", s.Name)), (double?)(s.Status?.FailedRuns ?? 0))));
        Family(text, "sluice_sync_dead_letters", "gauge", "Records of the sync waiting in the dead-letter queue (`sluice dlq list`).",
            snapshot.Syncs.Select(s => (Labels(("sync", s.Name)), (double?)(s.Status?.DeadLetters ?? 0))));
        var ingest = snapshot.Syncs.Where(s => s.Ingest is not null).ToList();
        Family(text, "sluice_ingest_backlog_events", "gauge", "Events of the ingest source the sync has not read yet.",
            ingest.Select(s => (IngestLabels(s), (double?)s.Ingest!.Events)));
        Family(text, "sluice_ingest_backlog_oldest_seconds", "gauge", "Age of the oldest event of the ingest source the sync has not read, in seconds (0 when none).",
            ingest.Select(s => (IngestLabels(s), (double?)(s.Ingest!.OldestReceivedAt is { } oldest ? Math.Max(0, (snapshot.At - oldest).TotalSeconds) : 0))));
        Family(text, "sluice_ingest_events_lost_total", "counter", "Events of the ingest source deleted (over max_backlog) before the sync had read them.",
            ingest.Select(s => (IngestLabels(s), (double?)s.Ingest!.Lost)));
        return text.ToString();
    }

    private static string IngestLabels(SyncHealth sync) => Labels(("source", sync.Ingest!.Source), ("sync", sync.Name));

    private static void Family(StringBuilder text, string name, string type, string help, IEnumerable<(string Labels, double? Value)> series)
    {
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
        text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        foreach (var (labels, value) in series)
        {
            if (value is { } v)
            {
                text.Append(name).Append(labels).Append(' ').Append(v.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
            }
        }
    }

    private static string SlotLabels(SyncHealth sync) => Labels(("sync", sync.Name), ("slot", sync.Slot!.Options.Slot));

    private static string Labels(params (string Name, string Value)[] labels) =>
        "{" + string.Join(",", labels.Select(l => $"{l.Name}=\"{Escape(l.Value)}\"")) + "}";

    // The format's label values escape exactly these three.
    private static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
