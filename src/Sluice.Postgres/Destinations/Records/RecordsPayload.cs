using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Sluice.Postgres.Destinations.Records;

/// <summary>
/// A row as JSON, the payload a dead letter keeps and a replay writes from:
/// <c>{"key":"42","delete":false,"columns":[["id","bigint",42],["email","text","a@b"]],"groups":["high_value"]}</c>.
/// Each column carries its staging type, so a replay stages it as the run did.
/// </summary>
internal static class RecordsPayload
{
    /// <summary>The most bytes JSON takes per UTF-16 character: an escaped one (<c>\u00e9</c>).</summary>
    private const int EscapedChar = 6;

    /// <summary>The most bytes a scalar value other than text takes: a decimal's 29 digits, sign and point; a timestamp.</summary>
    private const int ScalarBytes = 40;

    private static readonly AsyncLocal<int> DeferredBuilds = new();

    [ThreadStatic]
    private static (ArrayBufferWriter<byte> Buffer, Utf8JsonWriter Json)? _writer;

    /// <summary>How many deferred payloads were built in this flow of control, for tests: a batch written from its rows builds none.</summary>
    internal static int Built => DeferredBuilds.Value;

    /// <summary>
    /// A size <see cref="Write"/> never exceeds for <paramref name="row"/>, without writing it: what a batch counts the
    /// record as until (unless) its payload is built. An array value, rare, is measured by writing the payload.
    /// </summary>
    public static int SizeBound(RecordsRow row)
    {
        var bytes = 64 + (EscapedChar * row.Key.Length);
        for (var i = 0; i < row.Values.Length; i++)
        {
            var (column, type) = row.Layout.Columns[i];
            bytes += 8 + (EscapedChar * (column.Length + type.Name.Length));
            switch (row.Values[i])
            {
                case string text:
                    bytes += 2 + (EscapedChar * text.Length);
                    break;
                case Array:
                    return Write(row).Length;
                case null or bool or long or int or short or decimal or double or DateTime or DateOnly or Guid:
                    bytes += ScalarBytes;
                    break;
                case { } other:
                    bytes += 2 + (EscapedChar * (Convert.ToString(other, CultureInfo.InvariantCulture)?.Length ?? 0));
                    break;
            }
        }

        foreach (var group in row.Groups)
        {
            bytes += 3 + (EscapedChar * group.Length);
        }

        return bytes;
    }

    /// <summary>Writes a payload whose building was deferred (<see cref="Built"/> counts these).</summary>
    public static ReadOnlyMemory<byte> WriteDeferred(RecordsRow row)
    {
        DeferredBuilds.Value++;
        return Write(row);
    }

    public static byte[] Write(RecordsRow row)
    {
        // One buffer and writer per thread, reset for each row: a writer per row was most of the payload's allocations.
        var (buffer, json) = _writer ??= NewWriter();
        buffer.ResetWrittenCount();
        json.Reset(buffer);
        {
            json.WriteStartObject();
            json.WriteString("key", row.Key);
            json.WriteBoolean("delete", row.Delete);
            json.WriteStartArray("columns");
            for (var i = 0; i < row.Values.Length; i++)
            {
                var (column, type) = row.Layout.Columns[i];
                json.WriteStartArray();
                json.WriteStringValue(column);
                json.WriteStringValue(type.Name);
                WriteValue(json, row.Values[i]);
                json.WriteEndArray();
            }

            json.WriteEndArray();
            json.WriteStartArray("groups");
            foreach (var group in row.Groups)
            {
                json.WriteStringValue(group);
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.Flush();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static (ArrayBufferWriter<byte>, Utf8JsonWriter) NewWriter()
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        return (buffer, new Utf8JsonWriter(buffer));
    }

    /// <summary>The row a payload holds; null with <paramref name="error"/> when it cannot be written again.</summary>
    public static RecordsRow? Read(ReadOnlySpan<byte> payload, string keyColumn, out string? error)
    {
        error = null;
        try
        {
            using var document = JsonDocument.Parse(payload.ToArray());
            var root = document.RootElement;
            var columns = new List<(string, StagingType)>();
            var values = new List<object?>();
            foreach (var cell in root.GetProperty("columns").EnumerateArray())
            {
                var name = cell[0].GetString()!;
                var type = StagingTypeNamed(cell[1].GetString()!);
                if (type is null)
                {
                    error = $"column '{name}' holds an array ({cell[1].GetString()}), which a replay cannot restage; send the record again from its source (`sluice sync --full`)";
                    return null;
                }

                columns.Add((name, type));
                values.Add(cell[2].ValueKind switch
                {
                    JsonValueKind.Null => null,
                    JsonValueKind.String => type.Convert(cell[2].GetString()!),
                    JsonValueKind.True => type.Convert(true),
                    JsonValueKind.False => type.Convert(false),
                    JsonValueKind.Number => type.Convert(cell[2].GetDecimal()),
                    _ => type.Convert(cell[2].GetRawText()),
                });
            }

            var groups = root.GetProperty("groups").EnumerateArray().Select(g => g.GetString()!).ToList();
            var rowKey = root.GetProperty("key").GetString() ?? "";
            return new RecordsRow(rowKey, root.GetProperty("delete").GetBoolean(), new RecordsLayout(columns, keyColumn), [.. values], groups);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or InvalidCastException or OverflowException or IndexOutOfRangeException)
        {
            error = $"the stored payload is not a records-export row: {e.Message}";
            return null;
        }

    }

    private static StagingType? StagingTypeNamed(string name) => name switch
    {
        "text" => StagingType.Text,
        "bigint" => new("bigint", NpgsqlTypes.NpgsqlDbType.Bigint),
        "numeric" => new("numeric", NpgsqlTypes.NpgsqlDbType.Numeric),
        "double precision" => new("double precision", NpgsqlTypes.NpgsqlDbType.Double),
        "boolean" => new("boolean", NpgsqlTypes.NpgsqlDbType.Boolean),
        "timestamp" => new("timestamp", NpgsqlTypes.NpgsqlDbType.Timestamp),
        "timestamptz" => new("timestamptz", NpgsqlTypes.NpgsqlDbType.TimestampTz),
        "date" => new("date", NpgsqlTypes.NpgsqlDbType.Date),
        "uuid" => new("uuid", NpgsqlTypes.NpgsqlDbType.Uuid),
        _ => null,
    };

    private static void WriteValue(Utf8JsonWriter json, object? value)
    {
        switch (value)
        {
            case null:
                json.WriteNullValue();
                break;
            case string text:
                json.WriteStringValue(text);
                break;
            case bool flag:
                json.WriteBooleanValue(flag);
                break;
            case long or int or short:
                json.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case decimal number:
                json.WriteNumberValue(number);
                break;
            case double number when double.IsFinite(number):
                json.WriteNumberValue(number);
                break;
            case DateTime time:
                json.WriteStringValue(time.ToString(time.Kind == DateTimeKind.Utc ? "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'" : "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture));
                break;
            case DateOnly date:
                json.WriteStringValue(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                break;
            case Guid guid:
                json.WriteStringValue(guid);
                break;
            case Array array:
                json.WriteStartArray();
                foreach (var item in array)
                {
                    WriteValue(json, item);
                }

                json.WriteEndArray();
                break;
            default:
                json.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }
}
