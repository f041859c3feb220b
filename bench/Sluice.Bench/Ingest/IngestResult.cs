using Sluice.Bench.Harness;

namespace Sluice.Bench.Ingest;

/// <summary>What one ingest run writes to bench/results. Fields only grow, so old results stay readable.</summary>
internal sealed record IngestResult
{
    public const double AcceptRatioTarget = 0.50;
    public const double EventsLandingRatioTarget = 0.40;
    public const double LatencyP99TargetMilliseconds = 50;
    public const int LatencyTargetRate = 2_000;
    public const double AcceptCpuTargetMicroseconds = 10;

    public int Version => 1;

    public string Benchmark => "ingest";

    public required DateTimeOffset StartedAt { get; init; }

    public required int Events { get; init; }

    public required int Clients { get; init; }

    public required int BatchSize { get; init; }

    public required string SluiceBinary { get; init; }

    public required MachineInfo Machine { get; init; }

    /// <summary>Mean size of one event's JSON, in bytes.</summary>
    public double EventBytes { get; init; }

    public IReadOnlyList<RawWriteRun> RawRuns { get; init; } = [];

    /// <summary>The faster binary COPY into the ingest queue's shape: the denominator of the accepted rate.</summary>
    public RawWriteRun? RawQueue => Best(RawWrite.QueueShape);

    /// <summary>The faster binary COPY into the events table's shape: the denominator of the landing rates.</summary>
    public RawWriteRun? RawEvents => Best(RawWrite.EventsShape);

    /// <summary><c>sluice run</c> with the ingest source and no sync: the API and the queue alone.</summary>
    public IngestPhase? AcceptOnly { get; init; }

    /// <summary><c>sluice run</c> with a sync from the ingest source to <c>public.events</c>.</summary>
    public IngestPhase? EventsTable { get; init; }

    /// <summary><c>sluice run</c> with a sync from the ingest source to the Segment warehouse schema.</summary>
    public IngestPhase? Warehouse { get; init; }

    /// <summary>The open-loop phase, run in the events-table process after its landing.</summary>
    public FixedRateRun? Latency { get; init; }

    public double? AcceptRatio => AcceptOnly is { } a && RawQueue is { } raw ? a.Accept.AcceptedPerSecond / raw.RowsPerSecond : null;

    public double? EventsLandingRatio => EventsTable?.LandedPerSecond is { } rate && RawEvents is { } raw ? rate / raw.RowsPerSecond : null;

    public double? WarehouseLandingRatio => Warehouse?.LandedPerSecond is { } rate && RawEvents is { } raw ? rate / raw.RowsPerSecond : null;

    public bool? AcceptTargetMet => AcceptRatio is { } r ? r >= AcceptRatioTarget : null;

    public bool? EventsLandingTargetMet => EventsLandingRatio is { } r ? r >= EventsLandingRatioTarget : null;

    /// <summary>Judged only at the target's own rate: at another <c>--rate</c> the p99 is printed without a verdict.</summary>
    public bool? LatencyTargetMet => Latency is { RequestMilliseconds: { } l } run && (int)run.EventsPerSecond == LatencyTargetRate && run.Accepted == run.Sent
        ? l.P99 < LatencyP99TargetMilliseconds
        : null;

    /// <summary>Why the run did not complete; null when it did.</summary>
    public string? Error { get; init; }

    private RawWriteRun? Best(string shape) => RawRuns.Where(r => r.Shape == shape).MaxBy(r => r.RowsPerSecond);
}
