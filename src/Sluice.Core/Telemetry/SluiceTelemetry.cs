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

    /// <summary>The name of the span that covers one batch, from being cut to being committed.</summary>
    public const string BatchSpan = "sync batch";

    private static readonly string? Version = typeof(SluiceTelemetry).Assembly.GetName().Version?.ToString();

    public static Meter Meter { get; } = new(Name, Version);

    public static ActivitySource ActivitySource { get; } = new(Name, Version);
}
