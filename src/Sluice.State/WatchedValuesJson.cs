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
        if (Plain(values) is { } length)
        {
            // Nothing to escape (the common case: a model's row counts, a status): written as it is, in one string,
            // without a JSON writer and its buffers per record. The column is jsonb, which stores either spelling alike.
            return string.Create(length, values, static (span, values) =>
            {
                var at = 0;
                span[at++] = '{';
                foreach (var (column, value) in values)
                {
                    if (at > 1)
                    {
                        span[at++] = ',';
                    }

                    at = Quoted(span, at, column);
                    span[at++] = ':';
                    if (value is null)
                    {
                        "null".CopyTo(span[at..]);
                        at += 4;
                    }
                    else
                    {
                        at = Quoted(span, at, value);
                    }
                }

                span[at] = '}';
            });
        }

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

    /// <summary>The length of the JSON text when no name or value needs escaping (printable ASCII other than a quote or backslash); otherwise <c>null</c>.</summary>
    private static int? Plain(IReadOnlyDictionary<string, string?> values)
    {
        var length = 2;
        foreach (var (column, value) in values)
        {
            if (!IsPlain(column) || (value is not null && !IsPlain(value)))
            {
                return null;
            }

            length += (length > 2 ? 1 : 0) + column.Length + 3 + (value is null ? 4 : value.Length + 2);
        }

        return length;
    }

    private static int Quoted(Span<char> span, int at, string text)
    {
        span[at++] = '"';
        text.CopyTo(span[at..]);
        at += text.Length;
        span[at++] = '"';
        return at;
    }

    private static bool IsPlain(string text)
    {
        foreach (var c in text)
        {
            if (c is < ' ' or > '~' or '"' or '\\')
            {
                return false;
            }
        }

        return true;
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
