using System.Diagnostics.Metrics;

namespace Sluice.Core.Telemetry;

/// <summary>
/// The engine's instruments, each tagged with <c>sync</c>. Names follow OpenTelemetry's conventions; the Prometheus
/// exporter turns them into <c>sluice_sync_records_read_total</c>, <c>sluice_sync_batch_duration_seconds</c>, …
/// (docs/metrics.md lists them).
/// </summary>
internal static class SyncInstruments
{
    /// <summary>The Prometheus label (and metric tag) that names the sync, as on every <c>sluice_sync_*</c> series.</summary>
    public const string SyncTag = "sync";

    public static readonly Counter<long> RecordsRead = SluiceTelemetry.Meter.CreateCounter<long>(
        "sluice.sync.records.read", "{record}", "Records read from the source and handled in a committed batch.");

    public static readonly Counter<long> RecordsSent = SluiceTelemetry.Meter.CreateCounter<long>(
        "sluice.sync.records.sent", "{record}", "Records the destination acknowledged, counted when their batch committed.");

    public static readonly Counter<long> RecordsRejected = SluiceTelemetry.Meter.CreateCounter<long>(
        "sluice.sync.records.rejected", "{record}", "Records dead-lettered (refused before sending or rejected by the destination).");

    public static readonly Counter<long> Retries = SluiceTelemetry.Meter.CreateCounter<long>(
        "sluice.sync.retries", "{retry}", "Sends retried after a transient failure or a request to slow down.");

    // Batches take milliseconds (a local table) to minutes (a destination that asks to slow down): OpenTelemetry's
    // default bounds are made for milliseconds and would put every batch in the first bucket.
    public static readonly Histogram<double> BatchDuration = SluiceTelemetry.Meter.CreateHistogram(
        "sluice.sync.batch.duration", "s", "Time from a batch being cut to its commit (sending and retries included).",
        tags: null,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300] });
}
