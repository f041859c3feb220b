using Sluice.Bench.Harness;

namespace Sluice.Bench.Records;

/// <summary>What one records run writes to bench/results. Fields only grow, so old results stay readable.</summary>
internal sealed record RecordsResult
{
    public const double FirstSyncTargetSeconds = 2.0;
    public const double CopyRatioTarget = 0.40;
    public const double ChangedTargetSeconds = 1.0;
    public const double PeakRssTargetMegabytes = 300;

    /// <summary>Grouparoo 0.9.0 on a 2 vCPU machine (issue 12): 100,000 rows table → table, and 1,000 changed rows.</summary>
    public const double GrouparooFirstSeconds = 1_740;
    public const double GrouparooChangedSeconds = 71;

    public int Version => 1;

    public string Benchmark => "records";

    public required DateTimeOffset StartedAt { get; init; }

    public required int Customers { get; init; }

    public required int Orders { get; init; }

    public required int Changed { get; init; }

    public required int NewOrders { get; init; }

    public required string SluiceBinary { get; init; }

    public required MachineInfo Machine { get; init; }

    public double LoadSeconds { get; init; }

    /// <summary>The model's result rows COPY'd (binary) out of app and into an empty copy of the destination table.</summary>
    public IReadOnlyList<RawCopyRun> CopyRuns { get; init; } = [];

    /// <summary>The faster of the COPY runs: the rate the first sync is compared with.</summary>
    public RawCopyRun? Copy { get; init; }

    /// <summary>The cluster's CPU during <see cref="Copy"/> (both ends: the model's query and the import).</summary>
    public double? CopyPostgresCpuSeconds { get; init; }

    public RecordsRun? First { get; init; }

    public RecordsRun? ChangedCustomers { get; init; }

    public RecordsRun? NewOrdersRun { get; init; }

    public double? CopyRatio => First is null || Copy is null ? null : First.RecordsPerSecond / Copy.RowsPerSecond;

    public bool? FirstTargetMet => First is null ? null : First.WallSeconds < FirstSyncTargetSecondsFor(Customers);

    /// <summary>The first-sync target: 2 s per 100,000 records, never less than 2 s (a process start is a fixed cost).</summary>
    public static double FirstSyncTargetSecondsFor(int customers) => FirstSyncTargetSeconds * Math.Max(1.0, customers / 100_000.0);

    public bool? CopyRatioTargetMet => CopyRatio is { } ratio ? ratio >= CopyRatioTarget : null;

    public bool? ChangedTargetMet => ChangedCustomers is null ? null : ChangedCustomers.WallSeconds < ChangedTargetSeconds;

    public double? PeakRssMegabytes => Runs.Count == 0 ? null : Runs.Max(r => r.PeakRssMegabytes);

    public bool? PeakRssTargetMet => PeakRssMegabytes is { } peak ? peak < PeakRssTargetMegabytes : null;

    /// <summary>Every run left the destination equal to the model's result; null before any run.</summary>
    public bool? Correct => Runs.Count == 0 ? null : Runs.All(r => r.Correct);

    private List<RecordsRun> Runs => new[] { First, ChangedCustomers, NewOrdersRun }.OfType<RecordsRun>().ToList();

    /// <summary>Why the run did not complete; null when it did.</summary>
    public string? Error { get; init; }
}
