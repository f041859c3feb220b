using Sluice.Bench.Harness;

namespace Sluice.Bench.Diff;

internal sealed class DiffOptions
{
    public int Rows { get; init; } = 1_000_000;

    /// <summary>Rows changed between the two runs; default 1% of <see cref="Rows"/>.</summary>
    public int Changed { get; init; } = 10_000;

    /// <summary>The sluice binary; null means the build <c>./sluice</c> makes.</summary>
    public string? SluiceBinary { get; init; }

    public bool Keep { get; init; }

    public static DiffOptions Parse(IReadOnlyList<string> args)
    {
        var given = BenchArguments.Parse("diff", args, "--rows", "--changed");
        var rows = given.Count("--rows") ?? 1_000_000;
        var changed = given.Count("--changed") ?? Math.Max(1, rows / 100);
        if (changed > rows)
        {
            throw new ArgumentException($"diff: --changed {changed:N0} is more than --rows {rows:N0}");
        }

        return new DiffOptions { Rows = rows, Changed = changed, SluiceBinary = given.SluiceBinary, Keep = given.Keep };
    }
}
