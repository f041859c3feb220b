using Sluice.Bench.Harness;

namespace Sluice.Bench.SalesforceSource;

internal sealed class SalesforceSourceBenchOptions
{
    /// <summary>Opportunities in the emulator, each load reads them all.</summary>
    public int Rows { get; init; } = 200_000;

    /// <summary>Of <see cref="Rows"/>, those the streaming sync follows and the changes touch, in turn.</summary>
    public int Followed { get; init; } = 1_000;

    /// <summary>Changes made while the streaming sync runs.</summary>
    public int Changes { get; init; } = 3_000;

    /// <summary>Changes per second.</summary>
    public int Rate { get; init; } = 100;

    /// <summary>The sluice binary; null means the build <c>./sluice</c> makes.</summary>
    public string? SluiceBinary { get; init; }

    public bool Keep { get; init; }

    public static SalesforceSourceBenchOptions Parse(IReadOnlyList<string> args)
    {
        var given = BenchArguments.Parse("salesforce-source", args, "--rows", "--changes", "--rate");
        var rows = given.Count("--rows") ?? 200_000;
        var options = new SalesforceSourceBenchOptions
        {
            Rows = rows,
            Followed = Math.Min(1_000, Math.Max(1, rows / 10)),
            Changes = given.Count("--changes") ?? 3_000,
            Rate = given.Count("--rate") ?? 100,
            SluiceBinary = given.SluiceBinary,
            Keep = given.Keep,
        };
        if (options.Rate < 1 || options.Changes < 1)
        {
            throw new ArgumentException("salesforce-source: --changes and --rate must be at least 1");
        }

        return options;
    }
}
