using System.Globalization;

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
        var defaults = new CdcOptions();
        var (updates, users, per, rate, seconds) = (defaults.Updates, defaults.Users, defaults.PerTransaction, defaults.Rate, defaults.LatencySeconds);
        string? sluice = null;
        var keep = false;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--updates" when i + 1 < args.Count && TryCount(args[i + 1], out var n):
                    updates = n;
                    i++;
                    break;
                case "--users" when i + 1 < args.Count && TryCount(args[i + 1], out var u):
                    users = u;
                    i++;
                    break;
                case "--per-transaction" when i + 1 < args.Count && TryCount(args[i + 1], out var p):
                    per = p;
                    i++;
                    break;
                case "--rate" when i + 1 < args.Count && TryCount(args[i + 1], out var r):
                    rate = r;
                    i++;
                    break;
                case "--latency-seconds" when i + 1 < args.Count && TryCount(args[i + 1], out var s):
                    seconds = s;
                    i++;
                    break;
                case "--sluice" when i + 1 < args.Count:
                    sluice = Path.GetFullPath(args[++i]);
                    break;
                case "--keep":
                    keep = true;
                    break;
                default:
                    throw new ArgumentException($"cdc: unknown or incomplete option '{args[i]}'");
            }
        }

        if (per > users)
        {
            throw new ArgumentException($"cdc: --per-transaction {per:N0} is more than --users {users:N0}");
        }

        return new CdcOptions { Updates = updates, Users = users, PerTransaction = per, Rate = rate, LatencySeconds = seconds, SluiceBinary = sluice, Keep = keep };
    }

    private static bool TryCount(string text, out int value) =>
        int.TryParse(text, NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out value) && value > 0;
}
