using Sluice.Bench.Harness;

namespace Sluice.Bench.Dashboard;

internal sealed class DashboardOptions
{
    /// <summary>Syncs in the config and the state store (the 100).</summary>
    public int Syncs { get; init; } = 100;

    /// <summary>Rows in the send ledger and in the record ledger each, spread over the syncs (the 1,000,000).</summary>
    public int LedgerRows { get; init; } = 1_000_000;

    /// <summary>Requests per page measured, after a warm-up.</summary>
    public int Requests { get; init; } = 30;

    public bool Keep { get; init; }

    public static DashboardOptions Parse(IReadOnlyList<string> args)
    {
        var given = BenchArguments.Parse("dashboard", args, "--syncs", "--ledger-rows", "--requests");
        var defaults = new DashboardOptions();
        return new DashboardOptions
        {
            Syncs = given.Count("--syncs") ?? defaults.Syncs,
            LedgerRows = given.Count("--ledger-rows") ?? defaults.LedgerRows,
            Requests = given.Count("--requests") ?? defaults.Requests,
            Keep = given.Keep,
        };
    }
}
