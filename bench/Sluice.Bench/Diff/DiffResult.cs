using Sluice.Bench.Harness;

namespace Sluice.Bench.Diff;

/// <summary>What one diff run writes to bench/results. Fields only grow, so old results stay readable.</summary>
internal sealed record DiffResult
{
    public const double IncrementalTargetSeconds = 5;
    public const double ScanRatioTarget = 0.50;

    public int Version => 1;

    public string Benchmark => "diff";

    public required DateTimeOffset StartedAt { get; init; }

    public required int Rows { get; init; }

    public required int Changed { get; init; }

    public required string SluiceBinary { get; init; }

    public required MachineInfo Machine { get; init; }

    public double LoadSeconds { get; init; }

    /// <summary>Every COPY of the query's columns as written (no ORDER BY), the cold first and the warm second of each format.</summary>
    public IReadOnlyList<RawCopyRun> RawRuns { get; init; } = [];

    /// <summary>The faster format's warm run: PostgreSQL's raw read rate, the denominator of the scan ratio.</summary>
    public RawCopyRun? Raw { get; init; }

    /// <summary>
    /// The same columns as the source reads them: sorted by key text (<c>ORDER BY id::text COLLATE "C"</c>), binary, warm.
    /// Not the denominator; it shows what PostgreSQL's sort alone costs.
    /// </summary>
    public RawCopyRun? RawSorted { get; init; }

    /// <summary>The first run: no checkpoint, every row added and sent.</summary>
    public ChildRun? First { get; init; }

    public double UpdateSeconds { get; init; }

    /// <summary>The <c>VACUUM (ANALYZE)</c> of the first run's ledger before the plan and the incremental run (0 in results before it).</summary>
    public double SettleSeconds { get; init; }

    /// <summary><c>sluice plan</c> after the update: the same diff, encoded, nothing sent.</summary>
    public ChildRun? Plan { get; init; }

    /// <summary>The incremental run after the update: finds and sends the changed rows.</summary>
    public ChildRun? Incremental { get; init; }

    /// <summary>Rows compared per second in the incremental run: all rows ÷ the run's own time (from its summary; its wall time when missing).</summary>
    public double? ScanRowsPerSecond => Incremental is { } run ? Rows / (run.EngineSeconds ?? run.WallSeconds) : null;

    public double? ScanRatio => ScanRowsPerSecond is { } scan && Raw is { } raw ? scan / raw.RowsPerSecond : null;

    /// <summary>The first run's process CPU (user + system) per row read and sent, in microseconds.</summary>
    public double? FirstCpuMicrosPerRow => First is { } run ? run.CpuSeconds * 1e6 / Rows : null;

    /// <summary>The plan's process CPU per row of the source (each one diffed, by fingerprint or by change signal), in microseconds.</summary>
    public double? PlanCpuMicrosPerRow => Plan is { } run ? run.CpuSeconds * 1e6 / Rows : null;

    /// <summary>The incremental run's process CPU per row of the source, in microseconds: start-up and sending the changes included.</summary>
    public double? IncrementalCpuMicrosPerRow => Incremental is { } run ? run.CpuSeconds * 1e6 / Rows : null;

    /// <summary>PostgreSQL's CPU (the whole local cluster) during the plan, per row of the source, in microseconds.</summary>
    public double? PlanPostgresCpuMicrosPerRow => Plan?.PostgresCpuSeconds is { } cpu ? cpu * 1e6 / Rows : null;

    /// <summary>PostgreSQL's CPU (the whole local cluster) during the incremental run, per row of the source, in microseconds.</summary>
    public double? IncrementalPostgresCpuMicrosPerRow => Incremental?.PostgresCpuSeconds is { } cpu ? cpu * 1e6 / Rows : null;

    public bool? IncrementalTargetMet => Incremental is { } run ? run.WallSeconds < IncrementalTargetSeconds : null;

    public bool? ScanRatioTargetMet => ScanRatio is { } ratio ? ratio >= ScanRatioTarget : null;

    /// <summary>Both runs delivered exactly what they should: every row, then exactly the changed ones.</summary>
    public bool? Correct => First is null || Incremental is null ? null
        : First.Acknowledged == Rows && Incremental.Acknowledged == Changed && Incremental.EmulatorUnique == (long)Rows + Changed
          && (Plan is null || Plan.Read == Changed);

    /// <summary>Why the run did not complete; null when it did.</summary>
    public string? Error { get; init; }
}
