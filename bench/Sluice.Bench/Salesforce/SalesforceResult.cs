using Sluice.Bench.Harness;

namespace Sluice.Bench.Salesforce;

/// <summary>What one salesforce run writes to bench/results. Fields only grow, so old results stay readable.</summary>
internal sealed record SalesforceResult
{
    /// <summary>Sluice's Bulk path must load at least as fast as jsforce's bulk2 upsert of a ready CSV.</summary>
    public const double RatioTarget = 1.0;

    /// <summary>API requests the Bulk path may use per started 100,000 rows.</summary>
    public const int RequestsPer100kTarget = 10;

    public const double IncrementalTargetSeconds = 3;

    public int Version => 1;

    public string Benchmark => "salesforce";

    public required DateTimeOffset StartedAt { get; init; }

    public required int Rows { get; init; }

    public required int Changed { get; init; }

    public required string SluiceBinary { get; init; }

    public required MachineInfo Machine { get; init; }

    public double LoadSeconds { get; init; }

    /// <summary>Size of the CSV jsforce uploads.</summary>
    public long CsvBytes { get; init; }

    /// <summary>(a) <c>sluice sync accounts_bulk --full</c>: Bulk API 2.0.</summary>
    public LoadRun? Bulk { get; init; }

    /// <summary>(b) <c>sluice sync accounts_collections --full</c>: sObject Collections.</summary>
    public LoadRun? Collections { get; init; }

    /// <summary>(c) jsforce 3.10.16 <c>conn.bulk2.loadAndWaitForResults</c> of the CSV.</summary>
    public LoadRun? Jsforce { get; init; }

    /// <summary>(d) <c>sluice sync accounts_bulk</c> after <see cref="Changed"/> rows changed, on (a)'s emulator.</summary>
    public LoadRun? Incremental { get; init; }

    /// <summary>Sluice's Bulk path rows/s ÷ jsforce's bulk2 rows/s, both by wall time of the process.</summary>
    public double? BulkRatio => Bulk is { } bulk && Jsforce is { } jsforce ? bulk.RecordsPerSecond / jsforce.RecordsPerSecond : null;

    /// <summary>The API requests the Bulk path may use for <see cref="Rows"/>: 10 per started 100,000 (10 for up to 100,000 rows).</summary>
    public int RequestsAllowed => RequestsPer100kTarget * Math.Max(1, (Rows + 99_999) / 100_000);

    public bool? RatioTargetMet => BulkRatio is { } ratio ? ratio >= RatioTarget : null;

    public bool? RequestsTargetMet => Bulk is { } bulk ? bulk.ApiRequests <= RequestsAllowed : null;

    public bool? IncrementalTargetMet => Incremental is { } run ? run.WallSeconds < IncrementalTargetSeconds : null;

    /// <summary>Every run left exactly the expected Accounts in its emulator, and every writer acknowledged every record.</summary>
    public bool? Correct => Bulk is null || Collections is null || Jsforce is null || Incremental is null ? null
        : new[] { Bulk, Collections, Jsforce, Incremental }.All(r => r.Correct && r.Acknowledged == r.Records);

    /// <summary>Why the run did not complete; null when it did.</summary>
    public string? Error { get; init; }
}
