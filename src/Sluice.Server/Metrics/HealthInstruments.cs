using System.Diagnostics.Metrics;
using Sluice.Core.Connectors;

namespace Sluice.Server.Metrics;

/// <summary>
/// What <c>sluice status</c> knows, as observable instruments read at collection time from the latest
/// <see cref="SyncHealthSnapshot"/>: the <c>/metrics</c> series of earlier versions, same names, same labels. Names
/// are given as Prometheus shows them; a counter's <c>_total</c> is the exporter's.
/// </summary>
internal static class HealthInstruments
{
    /// <summary>
    /// Creates every instrument on <paramref name="meter"/>, one gauge for each of <paramref name="metrics"/> (the
    /// connectors' health lines); each reads <paramref name="snapshot"/> when collected.
    /// </summary>
    public static void Register(Meter meter, IReadOnlyList<HealthMetric> metrics, Func<SyncHealthSnapshot?> snapshot)
    {
        IEnumerable<SyncHealth> Syncs() => snapshot()?.Syncs ?? [];
        IEnumerable<SyncHealth> Ingest() => Syncs().Where(s => s.Ingest is not null);
        IEnumerable<HealthLine> Lines(string name) => snapshot() is { } now
            ? now.Syncs.Where(s => s.Health is not null).Select(s => s.Health!).Concat(now.Findings).SelectMany(r => r.Lines).Where(l => l.Name == name)
            : [];

        // The connectors' series first, in the order they declare them (a CDC slot's lag, a forgotten slot's WAL).
        foreach (var metric in metrics)
        {
            if (metric.Whole)
            {
                meter.CreateObservableGauge(metric.Name, () => Lines(metric.Name).Select(l => new Measurement<long>((long)l.Value, Tags(l))), description: metric.Description);
            }
            else
            {
                meter.CreateObservableGauge(metric.Name, () => Lines(metric.Name).Select(l => new Measurement<double>(l.Value, Tags(l))), description: metric.Description);
            }
        }

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
        meter.CreateObservableGauge("sluice_sync_dead_letters_last_run",
            () => Syncs().Select(s => new Measurement<long>(s.Status?.LastRunDeadLetters ?? 0, SyncTag(s))),
            description: "Dead letters the sync's latest run added, still waiting: dead letters growing.");
        meter.CreateObservableGauge("sluice_sync_quarantined_events",
            () => Syncs().Select(s => new Measurement<long>(s.Status?.Quarantined ?? 0, SyncTag(s))),
            description: "Events the sync's validate: rules hold in the quarantine, waiting for a release or a drop (`sluice quarantine list`).");
        meter.CreateObservableGauge("sluice_sync_needs_attention",
            () => Syncs().Select(s => new Measurement<long>(s.NeedsAttention ? 1 : 0, SyncTag(s))),
            description: "1 when `sluice status` says the sync needs attention (a failed run, new dead letters, a threshold of attention: crossed), else 0.");
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

    private static KeyValuePair<string, object?>[] Tags(HealthLine line) => [.. line.Labels.Select(l => Tag(l.Key, l.Value))];

    private static KeyValuePair<string, object?>[] IngestTags(SyncHealth sync) => [Tag("source", sync.Ingest!.Source), SyncTag(sync)];
}
