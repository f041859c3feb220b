using Sluice.Bench.Harness;

namespace Sluice.Bench.SalesforceSource;

/// <summary>What one salesforce-source run measured; written to bench/results as JSON.</summary>
internal sealed record SalesforceSourceResult
{
    /// <summary>Sluice's initial load against jsforce's bulk2 query + COPY, in rows per second.</summary>
    public const double RatioTarget = 1.0;

    /// <summary>The 95th percentile of change latency, in milliseconds.</summary>
    public const double P95TargetMs = 2_000;

    public DateTimeOffset StartedAt { get; init; }

    public int Rows { get; init; }

    public int Followed { get; init; }

    public int Changes { get; init; }

    public int Rate { get; init; }

    public string SluiceBinary { get; init; } = "";

    public MachineInfo Machine { get; init; } = null!;

    /// <summary>Seconds the untimed seed (jsforce's bulk2 insert) took.</summary>
    public double? SeedSeconds { get; init; }

    public SourceLoad? Sluice { get; init; }

    public SourceLoad? Jsforce { get; init; }

    /// <summary>Rows in either table with no equal row in the other (0: both loads wrote the same).</summary>
    public long? TableDifferences { get; init; }

    public StreamLatency? Latency { get; init; }

    public string? Error { get; init; }

    public double? Ratio => Sluice?.RowsPerSecond is { } s && Jsforce?.RowsPerSecond is { } j && j > 0 ? s / j : null;

    public bool? RatioTargetMet => Ratio is { } r ? r >= RatioTarget : null;

    public bool? LatencyTargetMet => Latency?.P95Ms is { } p95 ? p95 < P95TargetMs : null;

    public bool? Correct => Sluice is null || Jsforce is null || Latency is null ? null
        : Sluice.Rows == Rows && Jsforce.Rows == Rows && TableDifferences == 0 && Latency.Heard == Changes;
}

/// <summary>One initial load, timed from process start to exit: wall, the client process's CPU (user + system), memory.</summary>
internal sealed record SourceLoad(string Name, string Command, double WallSeconds, double CpuSeconds, double PeakRssMegabytes, long Rows)
{
    public double RowsPerSecond => WallSeconds > 0 ? Rows / WallSeconds : 0;

    /// <summary>CPU per row, in microseconds.</summary>
    public double CpuMicrosecondsPerRow => Rows > 0 ? CpuSeconds * 1e6 / Rows : 0;
}

/// <summary>Changes through the streaming sync: how many were heard, their latency, and the sync's CPU while they came.</summary>
internal sealed record StreamLatency(int Changes, int Heard, double ChangeSeconds, double P50Ms, double P95Ms, double P99Ms, double MaxMs, double MeanMs, double CpuSeconds)
{
    public double AchievedRate => ChangeSeconds > 0 ? Changes / ChangeSeconds : 0;

    /// <summary>The sync process's CPU per change, in milliseconds.</summary>
    public double CpuMillisecondsPerChange => Changes > 0 ? CpuSeconds * 1e3 / Changes : 0;

    public static StreamLatency Of(int changes, double changeSeconds, IReadOnlyList<double> latencies, double cpuSeconds)
    {
        var sorted = latencies.Order().ToArray();
        double Rank(double q) => sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new StreamLatency(changes, sorted.Length, changeSeconds, Rank(0.50), Rank(0.95), Rank(0.99), sorted.Length == 0 ? double.NaN : sorted[^1],
            sorted.Length == 0 ? double.NaN : sorted.Average(), cpuSeconds);
    }
}
