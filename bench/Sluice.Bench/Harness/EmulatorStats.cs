using System.Text.Json;

namespace Sluice.Bench.Harness;

/// <summary>
/// The Segment emulator's <c>GET /__emulator/stats</c>: how many messages it received and how many distinct ones
/// that was. Found by exact name anywhere in the document, so the emulator may nest or extend them; the
/// received count is <c>received</c>, or <c>events</c> as the emulator calls it today.
/// </summary>
internal sealed record EmulatorStats(long? Received, long? Unique, string Json)
{
    public static async Task<EmulatorStats> FetchAsync(HttpClient http, Uri emulator, CancellationToken ct)
    {
        var json = await http.GetStringAsync(new Uri(emulator, "/__emulator/stats"), ct);
        using var document = JsonDocument.Parse(json);
        return new EmulatorStats(
            Find(document.RootElement, "received") ?? Find(document.RootElement, "events"),
            Find(document.RootElement, "unique"),
            json);
    }

    private static long? Find(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        foreach (var property in element.EnumerateObject())
        {
            if (property.Name.Equals(name, StringComparison.OrdinalIgnoreCase)
                && property.Value.ValueKind == JsonValueKind.Number
                && property.Value.TryGetInt64(out var value))
            {
                return value;
            }
        }

        foreach (var property in element.EnumerateObject())
        {
            if (Find(property.Value, name) is { } nested)
            {
                return nested;
            }
        }

        return null;
    }
}
