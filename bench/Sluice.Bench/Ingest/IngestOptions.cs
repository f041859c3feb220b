using System.Globalization;

namespace Sluice.Bench.Ingest;

internal sealed class IngestOptions
{
    /// <summary>Events posted in each saturation phase (accept only, events table, warehouse).</summary>
    public int Events { get; init; } = 200_000;

    /// <summary>Concurrent HTTP clients in the saturation phases.</summary>
    public int Clients { get; init; } = 8;

    /// <summary>Events per <c>POST /v1/batch</c>.</summary>
    public int BatchSize { get; init; } = 100;

    /// <summary>The fixed event rate of the latency phase.</summary>
    public int Rate { get; init; } = 2_000;

    public int LatencySeconds { get; init; } = 20;

    /// <summary>The sluice binary; null means the build <c>./sluice</c> makes.</summary>
    public string? SluiceBinary { get; init; }

    public bool Keep { get; init; }

    public static IngestOptions Parse(IReadOnlyList<string> args)
    {
        var defaults = new IngestOptions();
        var (events, clients, batch, rate, seconds) = (defaults.Events, defaults.Clients, defaults.BatchSize, defaults.Rate, defaults.LatencySeconds);
        string? sluice = null;
        var keep = false;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--events" when i + 1 < args.Count && TryCount(args[i + 1], out var n):
                    events = n;
                    i++;
                    break;
                case "--clients" when i + 1 < args.Count && TryCount(args[i + 1], out var c):
                    clients = c;
                    i++;
                    break;
                case "--batch" when i + 1 < args.Count && TryCount(args[i + 1], out var b):
                    batch = b;
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
                    throw new ArgumentException($"ingest: unknown or incomplete option '{args[i]}'");
            }
        }

        if (events < batch * clients)
        {
            throw new ArgumentException($"ingest: --events {events:N0} is fewer than one batch of {batch} per client ({clients})");
        }

        if (batch > 2_500)
        {
            throw new ArgumentException("ingest: --batch is at most 2500, Segment's limit per batch");
        }

        if (rate < batch)
        {
            throw new ArgumentException($"ingest: --rate {rate:N0} is less than one batch of {batch} per second");
        }

        return new IngestOptions { Events = events, Clients = clients, BatchSize = batch, Rate = rate, LatencySeconds = seconds, SluiceBinary = sluice, Keep = keep };
    }

    private static bool TryCount(string text, out int value) =>
        int.TryParse(text, NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out value) && value > 0;
}
