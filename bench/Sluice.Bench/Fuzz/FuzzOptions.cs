using Sluice.Bench.Harness;

namespace Sluice.Bench.Fuzz;

internal sealed class FuzzOptions
{
    /// <summary>Requests generated and sent (the suite's test sends 250).</summary>
    public int Requests { get; init; } = 20_000;

    /// <summary>The generator's seed: the same seed sends the same requests.</summary>
    public int Seed { get; init; } = 1;

    public string? SluiceBinary { get; init; }

    public bool Keep { get; init; }

    public static FuzzOptions Parse(IReadOnlyList<string> args)
    {
        var given = BenchArguments.Parse("fuzz", args, "--requests", "--seed");
        var defaults = new FuzzOptions();
        return new FuzzOptions
        {
            Requests = given.Count("--requests") ?? defaults.Requests,
            Seed = given.Count("--seed") ?? defaults.Seed,
            SluiceBinary = given.SluiceBinary,
            Keep = given.Keep,
        };
    }
}
