using Sluice.Bench.Harness;

namespace Sluice.Bench.Ingest;

internal sealed class IngestOptions
{
    /// <summary>Events posted in each saturation phase (accept only, events table, warehouse).</summary>
    public int Events { get; init; } = 200_000;

    /// <summary>Concurrent HTTP clients in the saturation phases.</summary>
    public int Clients { get; init; } = 8;

    /// <summary>Events per <c>POST /v1/batch</c>.</summary>
    public int BatchSize { get; init; } = 100;

    /// <summary>The fixed event rate of the latency phase.</summary>
    public int Rate { get; init; } = 2_000;

    public int LatencySeconds { get; init; } = 20;

    /// <summary>
    /// <c>--settle N</c>: events the accept-only phase sends from all clients, unmeasured, between the warm-up and the
    /// timed load, so that the timed load meets the server in its steady state (the runtime's tier-1 re-compilation of
    /// the request path done), as the raw COPY it is compared with is its warm run. Default 50,000; <c>--no-settle</c>
    /// times the load from a cold process, as before session 10. The settling load's own rate and CPU are printed.
    /// </summary>
    public int SettleEvents { get; init; } = 50_000;

    /// <summary>The sluice binary; null means the build <c>./sluice</c> makes.</summary>
    public string? SluiceBinary { get; init; }

    public bool Keep { get; init; }

    /// <summary>
    /// <c>--validate</c>: instead of the landing phases, forward to the Segment emulator twice — as is, and through
    /// <c>validate:</c> rules against two reference tables — to price the validation gateway (S5).
    /// </summary>
    public bool Validate { get; init; }

    /// <summary><c>--accept-only</c>: the raw COPY and the accept phase only, with the latency phase in the same process (no sync).</summary>
    public bool AcceptOnly { get; init; }

    /// <summary><c>--no-warehouse</c>: the raw COPY, accept-only and events-table phases only (to compare landing builds quickly).</summary>
    public bool NoWarehouse { get; init; }

    /// <summary><c>--warehouse-only</c>: the accept-only and warehouse phases only, no raw COPY (to compare warehouse builds quickly).</summary>
    public bool WarehouseOnly { get; init; }

    public static IngestOptions Parse(IReadOnlyList<string> args)
    {
        var validate = args.Contains("--validate");
        var acceptOnly = args.Contains("--accept-only");
        var noWarehouse = args.Contains("--no-warehouse");
        var warehouseOnly = args.Contains("--warehouse-only");
        var noSettle = args.Contains("--no-settle");
        args = args.Where(a => a is not "--validate" and not "--accept-only" and not "--no-warehouse" and not "--warehouse-only" and not "--no-settle").ToList();
        var given = BenchArguments.Parse("ingest", args, "--events", "--clients", "--batch", "--rate", "--latency-seconds", "--settle");
        var defaults = new IngestOptions();
        var options = new IngestOptions
        {
            Events = given.Count("--events") ?? defaults.Events,
            Clients = given.Count("--clients") ?? defaults.Clients,
            BatchSize = given.Count("--batch") ?? defaults.BatchSize,
            Rate = given.Count("--rate") ?? defaults.Rate,
            LatencySeconds = given.Count("--latency-seconds") ?? defaults.LatencySeconds,
            SettleEvents = noSettle ? 0 : given.Count("--settle") ?? defaults.SettleEvents,
            SluiceBinary = given.SluiceBinary,
            Keep = given.Keep,
            Validate = validate,
            AcceptOnly = acceptOnly,
            NoWarehouse = noWarehouse,
            WarehouseOnly = warehouseOnly,
        };
        if (options.NoWarehouse && options.WarehouseOnly)
        {
            throw new ArgumentException("ingest: --no-warehouse and --warehouse-only exclude each other");
        }

        if (options.Events < options.BatchSize * options.Clients)
        {
            throw new ArgumentException($"ingest: --events {options.Events:N0} is fewer than one batch of {options.BatchSize} per client ({options.Clients})");
        }

        if (options.BatchSize > 2_500)
        {
            throw new ArgumentException("ingest: --batch is at most 2500, Segment's limit per batch");
        }

        if (options.Rate < options.BatchSize)
        {
            throw new ArgumentException($"ingest: --rate {options.Rate:N0} is less than one batch of {options.BatchSize} per second");
        }

        return options;
    }
}
