using System.Globalization;

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
        var rows = 1_000_000;
        int? changed = null;
        string? sluice = null;
        var keep = false;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--rows" when i + 1 < args.Count && TryCount(args[i + 1], out var n):
                    rows = n;
                    i++;
                    break;
                case "--changed" when i + 1 < args.Count && TryCount(args[i + 1], out var c):
                    changed = c;
                    i++;
                    break;
                case "--sluice" when i + 1 < args.Count:
                    sluice = Path.GetFullPath(args[++i]);
                    break;
                case "--keep":
                    keep = true;
                    break;
                default:
                    throw new ArgumentException($"diff: unknown or incomplete option '{args[i]}'");
            }
        }

        var changedRows = changed ?? Math.Max(1, rows / 100);
        if (changedRows > rows)
        {
            throw new ArgumentException($"diff: --changed {changedRows:N0} is more than --rows {rows:N0}");
        }

        return new DiffOptions { Rows = rows, Changed = changedRows, SluiceBinary = sluice, Keep = keep };
    }

    private static bool TryCount(string text, out int value) =>
        int.TryParse(text, NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out value) && value > 0;
}
