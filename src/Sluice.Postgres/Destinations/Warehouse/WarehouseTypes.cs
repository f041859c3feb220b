using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Sluice.Postgres.Destinations.Warehouse.Internal;

namespace Sluice.Postgres.Destinations.Warehouse;

/// <summary>
/// Type inference for event values and the mapping to PostgreSQL types. Segment's Postgres DDL uses exactly
/// <c>text</c>, <c>bigint</c>, <c>numeric</c>, <c>boolean</c>, <c>timestamptz</c> and <c>varchar(1024)</c> for ids
/// (segment.md §2.2); the inference follows RudderStack's open implementation of the same schema (§2.6).
/// </summary>
internal static class WarehouseTypes
{
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
    /// that reaches here unflattened) → its compact JSON as text. A number PostgreSQL's numeric cannot hold (an
    /// exponent beyond ±1000) is kept as text, as written. A NUL or lone surrogate in a string, which PostgreSQL text
    /// cannot hold, becomes U+FFFD, and the cell carries the string as sent (<see cref="WarehouseCell.AsSent"/>).
    /// </summary>
    public static WarehouseCell? Infer(string column, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                var text = JsonText.Decode(value, out var asSent);
                return IsoTimestamp.TryParse(text, out var utc)
                    ? new WarehouseCell(column, WarehouseType.TimestampTz, IsoTimestamp.Format(utc), text)
                    : new WarehouseCell(column, WarehouseType.Text, text, text) { AsSent = asSent };
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
        AsText(value, out var asSent) is { } text ? new WarehouseCell(column, WarehouseType.Text, text, text) { AsSent = asSent } : null;

    /// <summary>The text of a value: a string unquoted, anything else as compact JSON; null for JSON null. NUL and lone
    /// surrogates in a string become U+FFFD.</summary>
    public static string? AsText(JsonElement value) => AsText(value, out _);

    /// <summary><see cref="AsText(JsonElement)"/>; <paramref name="asSent"/> is the string as sent when a character
    /// was replaced, else null.</summary>
    public static string? AsText(JsonElement value, out string? asSent)
    {
        asSent = null;
        return value.ValueKind switch
        {
            JsonValueKind.String => JsonText.Decode(value, out asSent),
            JsonValueKind.Null or JsonValueKind.Undefined => null,
            _ => ToJson(value),
        };
    }

    /// <summary>Compact JSON, non-ASCII kept readable (a NUL stays escaped as <c>\u0000</c>, which text can hold).
    /// JSON with a lone surrogate, which the writer refuses to re-encode, is kept as it was sent.</summary>
    public static string ToJson(JsonElement value)
    {
        using var buffer = new MemoryStream();
        try
        {
            using (var writer = new Utf8JsonWriter(buffer, CompactJson))
            {
                value.WriteTo(writer);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            return value.GetRawText();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static WarehouseCell Number(string column, JsonElement value)
    {
        var raw = value.GetRawText();
        if (JsonNumber.AsInt64(raw) is { } integer)
        {
            return new WarehouseCell(column, WarehouseType.BigInt, integer.ToString(CultureInfo.InvariantCulture), raw);
        }

        // numeric takes the text as written, so the value stored is the value sent, to the last digit.
        return JsonNumber.FitsNumeric(raw)
            ? new WarehouseCell(column, WarehouseType.Numeric, raw, raw)
            : new WarehouseCell(column, WarehouseType.Text, raw, raw) { IsNumber = true };
    }
}
