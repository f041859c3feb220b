using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Sluice.Postgres.Warehouse.Internal;

namespace Sluice.Postgres.Warehouse;

/// <summary>
/// Type inference for event values and the mapping to PostgreSQL types. Segment's Postgres DDL uses exactly
/// <c>text</c>, <c>bigint</c>, <c>numeric</c>, <c>boolean</c>, <c>timestamptz</c> and <c>varchar(1024)</c> for ids
/// (segment.md §2.2); the inference follows RudderStack's open implementation of the same schema (§2.6).
/// </summary>
public static class WarehouseTypes
{
    /// <summary>The widest exponent a numeric value may have before it is kept as text: PostgreSQL's numeric
    /// stops at 131072 digits before and 16383 after the point, and a failed cast would fail the whole load.</summary>
    private const int MaxNumericExponent = 1000;

    private static readonly JsonWriterOptions CompactJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The PostgreSQL type of a column, as written in DDL.</summary>
    public static string ToPostgres(WarehouseType type) => type switch
    {
        WarehouseType.Id => "varchar(1024)",
        WarehouseType.Text => "text",
        WarehouseType.BigInt => "bigint",
        WarehouseType.Numeric => "numeric",
        WarehouseType.Boolean => "boolean",
        WarehouseType.TimestampTz => "timestamptz",
        WarehouseType.Jsonb => "jsonb",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>
    /// Reads a column type from <c>information_schema.columns</c> (<c>data_type</c>,
    /// <c>character_maximum_length</c>). Integer types count as bigint and floating types as numeric, since values are
    /// converted by the same rules. Returns false for a type the loader does not write (a user's <c>date</c>,
    /// <c>uuid</c>, array…): treat every value for such a column as a conflict.
    /// </summary>
    public static bool TryFromPostgres(string dataType, int? characterMaximumLength, out WarehouseType type)
    {
        WarehouseType? found = dataType switch
        {
            "character varying" when characterMaximumLength == 1024 => WarehouseType.Id,
            "character varying" or "text" => WarehouseType.Text,
            "bigint" or "integer" or "smallint" => WarehouseType.BigInt,
            "numeric" or "double precision" or "real" => WarehouseType.Numeric,
            "boolean" => WarehouseType.Boolean,
            "timestamp with time zone" => WarehouseType.TimestampTz,
            "jsonb" => WarehouseType.Jsonb,
            _ => null,
        };
        type = found ?? default;
        return found.HasValue;
    }

    /// <summary>
    /// The cell for one JSON value, or <see langword="null"/> for JSON null (Segment creates no column for null):
    /// an integral number that fits in 64 bits → bigint (<c>1.0</c> included, as RudderStack does: JavaScript clients
    /// cannot tell 1.0 from 1); any other number → numeric, exactly as written; true/false → boolean; a string that is
    /// an ISO-8601 date-time with years 0001–9999 → timestamptz; any other string → text; an array (or an object
    /// that reaches here unflattened) → its compact JSON as text. NUL characters are removed from strings:
    /// PostgreSQL text cannot hold them.
    /// </summary>
    public static WarehouseCell? Infer(string column, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                var text = StringOf(value);
                return IsoTimestamp.TryParse(text, out var utc)
                    ? new WarehouseCell(column, WarehouseType.TimestampTz, IsoTimestamp.Format(utc), text)
                    : new WarehouseCell(column, WarehouseType.Text, text, text);
            case JsonValueKind.Number:
                return Number(column, value);
            case JsonValueKind.True:
                return new WarehouseCell(column, WarehouseType.Boolean, "true", "true");
            case JsonValueKind.False:
                return new WarehouseCell(column, WarehouseType.Boolean, "false", "false");
            case JsonValueKind.Array:
            case JsonValueKind.Object:
                var json = ToJson(value);
                return new WarehouseCell(column, WarehouseType.Text, json, json);
            default:
                return null;
        }
    }

    /// <summary>A standard text column (<c>user_id</c>, <c>event_text</c>…): strings as they are, anything else as
    /// its JSON text, null as nothing.</summary>
    public static WarehouseCell? InferText(string column, JsonElement value) =>
        AsText(value) is { } text ? new WarehouseCell(column, WarehouseType.Text, text, text) : null;

    /// <summary>The text of a value: a string unquoted, anything else as compact JSON; null for JSON null.</summary>
    public static string? AsText(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => StringOf(value),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => ToJson(value),
    };

    /// <summary>Compact JSON, non-ASCII kept readable (a NUL stays escaped as <c>\u0000</c>, which text can hold).</summary>
    public static string ToJson(JsonElement value)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, CompactJson))
        {
            value.WriteTo(writer);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static WarehouseCell Number(string column, JsonElement value)
    {
        var raw = value.GetRawText();
        if (value.TryGetInt64(out var integer))
        {
            return new WarehouseCell(column, WarehouseType.BigInt, integer.ToString(CultureInfo.InvariantCulture), raw);
        }

        if (decimal.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            && decimal.Truncate(number) == number && number is >= long.MinValue and <= long.MaxValue)
        {
            return new WarehouseCell(column, WarehouseType.BigInt, ((long)number).ToString(CultureInfo.InvariantCulture), raw);
        }

        var exponentAt = raw.AsSpan().IndexOfAny('e', 'E');
        if (exponentAt >= 0
            && (!int.TryParse(raw.AsSpan(exponentAt + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var exponent)
                || Math.Abs(exponent) > MaxNumericExponent))
        {
            return new WarehouseCell(column, WarehouseType.Text, raw, raw);
        }

        return new WarehouseCell(column, WarehouseType.Numeric, raw, raw);
    }

    private static string StringOf(JsonElement value)
    {
        string text;
        try
        {
            text = value.GetString() ?? "";
        }
        catch (InvalidOperationException)
        {
            // A lone UTF-16 surrogate (\ud800) cannot become a .NET string; keep the escaped JSON text instead.
            var raw = value.GetRawText();
            text = raw[1..^1];
        }

        return text.Contains('\0', StringComparison.Ordinal) ? text.Replace("\0", "", StringComparison.Ordinal) : text;
    }
}
