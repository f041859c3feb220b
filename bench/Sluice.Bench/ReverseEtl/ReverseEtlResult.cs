using Sluice.Bench.Harness;

namespace Sluice.Bench.ReverseEtl;

/// <summary>What one reverse-etl run writes to bench/results. Fields only grow, so old results stay readable.</summary>
internal sealed record ReverseEtlResult
{
    public const double RatioTarget = 0.30;
    public const double PeakRssTargetMegabytes = 300;

    public int Version => 1;

    public string Benchmark => "reverse-etl";

    public required DateTimeOffset StartedAt { get; init; }

    public required int Users { get; init; }

    public required string SluiceBinary { get; init; }

    public required MachineInfo Machine { get; init; }

    public double LoadSeconds { get; init; }

    /// <summary>Every COPY run, the cold first and the warm second of each format.</summary>
    public IReadOnlyList<RawCopyRun> RawRuns { get; init; } = [];

    /// <summary>The faster format's warm run: the read rate a sync is compared with.</summary>
    public RawCopyRun? Raw { get; init; }

    public SyncMeasurement? Sync { get; init; }

    public double? Ratio => Sync is null || Raw is null ? null : Sync.RowsPerSecond / Raw.RowsPerSecond;

    public bool? RatioTargetMet => Ratio is { } ratio ? ratio >= RatioTarget : null;

    public bool? PeakRssTargetMet => Sync is null ? null : Sync.PeakRssMegabytes < PeakRssTargetMegabytes;

    public bool? AllDelivered => Sync is null ? null : Sync.Unique == Users;

    /// <summary>Why the run did not complete; null when it did.</summary>
    public string? Error { get; init; }
}
