using Sluice.Bench.Harness;

namespace Sluice.Bench.Cdc;

/// <summary>What one cdc run writes to bench/results. Fields only grow, so old results stay readable.</summary>
internal sealed record CdcResult
{
    public const double RatioTarget = 0.40;
    public const double P50TargetMilliseconds = 50;
    public const double P99TargetMilliseconds = 250;
    public const int LatencyTargetRate = 1_000;

    public int Version => 1;

    public string Benchmark => "cdc";

    public required DateTimeOffset StartedAt { get; init; }

    public required long Users { get; init; }

    public required int Updates { get; init; }

    public required int PerTransaction { get; init; }

    public required string SluiceBinary { get; init; }

    public required MachineInfo Machine { get; init; }

    public double LoadSeconds { get; init; }

    public double WorkloadSeconds { get; init; }

    /// <summary>WAL position after the workload: where every decode stops.</summary>
    public string? EndLsn { get; init; }

    /// <summary>Both pg_recvlogical runs, each from its own slot created before the workload.</summary>
    public IReadOnlyList<DecodeRun> DecodeRuns { get; init; } = [];

    /// <summary>The faster decode (the second reads WAL the first left in the page cache, as Sluice does after them).</summary>
    public DecodeRun? Decode => DecodeRuns.MaxBy(r => r.ChangesPerSecond);

    public CatchUpRun? Sluice { get; init; }

    public CdcLatency? Latency { get; init; }

    public double? Ratio => Sluice is { } s && Decode is { } d ? s.SustainedPerSecond / d.ChangesPerSecond : null;

    public bool? RatioTargetMet => Ratio is { } r ? r >= RatioTarget : null;

    /// <summary>Judged only at the target's own rate and when every change arrived.</summary>
    public bool? LatencyTargetMet => Latency is { Milliseconds: { } l, Missing: 0 } run && run.Rate == LatencyTargetRate
        ? l.P50 < P50TargetMilliseconds && l.P99 < P99TargetMilliseconds
        : null;

    /// <summary>Why the run did not complete; null when it did.</summary>
    public string? Error { get; init; }
}
