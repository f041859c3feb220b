using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Sluice.State;

/// <summary>
/// The <c>record_state.watched_values</c> column: <c>{"status": "trial", "plan": null}</c>, each watched column's
/// value as PostgreSQL writes it as text. A stored format: a reader ignores what it does not know.
/// </summary>
internal static class WatchedValuesJson
{
    public static string Write(IReadOnlyDictionary<string, string?> values)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (column, value) in values)
            {
                writer.WriteString(column, value);
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static IReadOnlyDictionary<string, string?> Read(string json)
    {
        using var document = JsonDocument.Parse(json);
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            return values;
        }

        foreach (var property in document.RootElement.EnumerateObject())
        {
            values[property.Name] = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString(),
                JsonValueKind.Null => null,
                _ => property.Value.GetRawText(),
            };
        }

        return values;
    }
}
