using Sluice.Bench.Harness;

namespace Sluice.Bench.ReverseEtl;

internal sealed class ReverseEtlOptions
{
    public int Users { get; init; } = 1_000_000;

    /// <summary>The sluice binary; null means the Release build under src/Sluice.Cli.</summary>
    public string? SluiceBinary { get; init; }

    public bool Keep { get; init; }

    public static ReverseEtlOptions Parse(IReadOnlyList<string> args)
    {
        var given = BenchArguments.Parse("reverse-etl", args, "--users");
        return new ReverseEtlOptions { Users = given.Count("--users") ?? 1_000_000, SluiceBinary = given.SluiceBinary, Keep = given.Keep };
    }
}
