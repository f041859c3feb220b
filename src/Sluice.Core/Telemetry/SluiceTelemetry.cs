using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Sluice.Core.Telemetry;

/// <summary>
/// The engine's meter and activity source, both named <see cref="Name"/>. They cost nothing until a listener (an
/// OpenTelemetry provider in <c>sluice run</c>, a test) subscribes to that name.
/// </summary>
public static class SluiceTelemetry
{
    /// <summary>The name of the meter and of the activity source: what an OpenTelemetry provider adds to listen.</summary>
    public const string Name = "Sluice";

    /// <summary>The span and metric attribute that carries the sync's name on spans.</summary>
    public const string SyncAttribute = "sluice.sync";

    /// <summary>The name of the span that covers one run of a sync.</summary>
    public const string RunSpan = "sync run";

    /// <summary>
    /// The name of the span that covers one batch, from being cut to being committed. Its destination writes are its
    /// children; it links to the traced ingest requests its events came in.
    /// </summary>
    public const string BatchSpan = "sync batch";

    /// <summary>
    /// Links a batch's span keeps to the ingest requests that brought its events (each trace once). A batch of a
    /// streaming ingest sync holds up to thousands of events from as many requests; a span with thousands of links is
    /// cut or refused by collectors (OpenTelemetry's default span limits keep 128 links, and every link travels with
    /// the span), and a trace viewer shows a few dozen at best. 32 keep the span small and still lead from a batch to
    /// requests that fed it.
    /// </summary>
    public const int MaxBatchLinks = 32;

    /// <summary>The name of the span around one write to a destination (a child of the batch's span).</summary>
    public const string DestinationWriteSpan = "destination write";

    /// <summary>The span attribute that names the destination written to.</summary>
    public const string DestinationAttribute = "sluice.destination";

    /// <summary>The span attribute that says how a write ended: ok, rejected, partly rejected, or the error's class.</summary>
    public const string OutcomeAttribute = "sluice.outcome";

    private static readonly string? Version = typeof(SluiceTelemetry).Assembly.GetName().Version?.ToString();

    public static Meter Meter { get; } = new(Name, Version);

    public static ActivitySource ActivitySource { get; } = new(Name, Version);
}
