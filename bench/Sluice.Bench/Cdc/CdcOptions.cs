using Sluice.Bench.Harness;

namespace Sluice.Bench.Cdc;

internal sealed class CdcOptions
{
    /// <summary>Rows the workload updates (one change each).</summary>
    public int Updates { get; init; } = 1_000_000;

    /// <summary>Rows in users; the workload cycles over them when <see cref="Updates"/> is larger.</summary>
    public int Users { get; init; } = 100_000;

    /// <summary>Rows per UPDATE statement (one transaction each) in the workload.</summary>
    public int PerTransaction { get; init; } = 100;

    /// <summary>Changes per second in the latency phase, one row per transaction.</summary>
    public int Rate { get; init; } = 1_000;

    public int LatencySeconds { get; init; } = 20;

    /// <summary>The sluice binary; null means the build <c>./sluice</c> makes.</summary>
    public string? SluiceBinary { get; init; }

    public bool Keep { get; init; }

    public static CdcOptions Parse(IReadOnlyList<string> args)
    {
        var given = BenchArguments.Parse("cdc", args, "--updates", "--users", "--per-transaction", "--rate", "--latency-seconds");
        var defaults = new CdcOptions();
        var options = new CdcOptions
        {
            Updates = given.Count("--updates") ?? defaults.Updates,
            Users = given.Count("--users") ?? defaults.Users,
            PerTransaction = given.Count("--per-transaction") ?? defaults.PerTransaction,
            Rate = given.Count("--rate") ?? defaults.Rate,
            LatencySeconds = given.Count("--latency-seconds") ?? defaults.LatencySeconds,
            SluiceBinary = given.SluiceBinary,
            Keep = given.Keep,
        };
        if (options.PerTransaction > options.Users)
        {
            throw new ArgumentException($"cdc: --per-transaction {options.PerTransaction:N0} is more than --users {options.Users:N0}");
        }

        return options;
    }
}
