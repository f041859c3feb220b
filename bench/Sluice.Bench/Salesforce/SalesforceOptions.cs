using Sluice.Bench.Harness;

namespace Sluice.Bench.Salesforce;

internal sealed class SalesforceOptions
{
    /// <summary>Rows in <c>accounts</c>, and Accounts each load must leave in the emulator.</summary>
    public int Rows { get; init; } = 100_000;

    /// <summary>Rows changed before the incremental run.</summary>
    public int Changed { get; init; } = 1_000;

    /// <summary>The sluice binary; null means the build <c>./sluice</c> makes.</summary>
    public string? SluiceBinary { get; init; }

    public bool Keep { get; init; }

    public static SalesforceOptions Parse(IReadOnlyList<string> args)
    {
        var given = BenchArguments.Parse("salesforce", args, "--rows", "--changed");
        var rows = given.Count("--rows") ?? 100_000;
        var changed = given.Count("--changed") ?? Math.Min(1_000, rows);
        if (changed > rows)
        {
            throw new ArgumentException($"salesforce: --changed {changed:N0} is more than --rows {rows:N0}");
        }

        return new SalesforceOptions { Rows = rows, Changed = changed, SluiceBinary = given.SluiceBinary, Keep = given.Keep };
    }
}
