using System.Globalization;

namespace Sluice.Bench.ReverseEtl;

internal sealed class ReverseEtlOptions
{
    public int Users { get; init; } = 1_000_000;

    /// <summary>The sluice binary; null means the Release build under src/Sluice.Cli.</summary>
    public string? SluiceBinary { get; init; }

    public bool Keep { get; init; }

    public static ReverseEtlOptions Parse(IReadOnlyList<string> args)
    {
        var users = 1_000_000;
        string? sluice = null;
        var keep = false;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--users" when i + 1 < args.Count && int.TryParse(args[i + 1], NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var n) && n > 0:
                    users = n;
                    i++;
                    break;
                case "--sluice" when i + 1 < args.Count:
                    sluice = Path.GetFullPath(args[++i]);
                    break;
                case "--keep":
                    keep = true;
                    break;
                default:
                    throw new ArgumentException($"reverse-etl: unknown or incomplete option '{args[i]}'");
            }
        }

        return new ReverseEtlOptions { Users = users, SluiceBinary = sluice, Keep = keep };
    }
}
