using System.Globalization;
using System.Text.Json;

namespace Sluice.Bench.Cdc;

/// <summary>
/// The emulator's retained identify calls (<c>GET /__emulator/messages</c>, paged), reduced to what the latency needs:
/// the <c>bench_seq</c> trait of each and when the emulator received it (its <c>receivedAt</c>, UTC, to the millisecond).
/// A sequence received more than once keeps its first arrival.
/// </summary>
internal static class ReceivedSequences
{
    private const int PageSize = 5_000;

    public static async Task<Dictionary<long, DateTime>> FetchAsync(HttpClient http, Uri emulator, string trait, CancellationToken ct)
    {
        var received = new Dictionary<long, DateTime>();
        for (var offset = 0; ; offset += PageSize)
        {
            var uri = new Uri(emulator, $"/__emulator/messages?type=identify&offset={offset.ToString(CultureInfo.InvariantCulture)}&limit={PageSize.ToString(CultureInfo.InvariantCulture)}");
            using var document = JsonDocument.Parse(await http.GetStringAsync(uri, ct));
            var page = 0;
            foreach (var message in document.RootElement.EnumerateArray())
            {
                page++;
                if (Sequence(message, trait) is { } sequence
                    && message.TryGetProperty("receivedAt", out var at)
                    && DateTime.TryParse(at.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var time))
                {
                    received.TryAdd(sequence, time);
                }
            }

            if (page < PageSize)
            {
                return received;
            }
        }
    }

    /// <summary>The trait as the mapping sent it: a JSON number, or a string of digits.</summary>
    private static long? Sequence(JsonElement message, string trait)
    {
        if (!message.TryGetProperty("event", out var e) || !e.TryGetProperty("traits", out var traits) || traits.ValueKind != JsonValueKind.Object
            || !traits.TryGetProperty(trait, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.Number when value.TryGetInt64(out var n) => n,
            JsonValueKind.String when long.TryParse(value.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) => n,
            _ => null,
        };
    }
}
