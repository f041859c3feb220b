using Npgsql;

namespace Sluice.Postgres.Sources.Models;

/// <summary>
/// Reads a model's values by their column's type, decided once per statement: the driver's typed getters skip the
/// resolution <c>GetValue</c> makes per value. The values are the same objects <see cref="SourceValues.Read"/> gives
/// (the fingerprints of stored records stay valid); any other type goes through it.
/// </summary>
internal static class ModelValues
{
    /// <summary>How a column is read.</summary>
    public enum Kind
    {
        Other,
        Int64,
        Int32,
        Text,
        Numeric,
        Boolean,
        Double,
        DateTime,
    }

    /// <summary>The kind of each of the first <paramref name="width"/> columns of the reader's result.</summary>
    public static Kind[] KindsOf(NpgsqlDataReader reader, int width)
    {
        var kinds = new Kind[width];
        for (var i = 0; i < width; i++)
        {
            // The type GetValue would give: the typed getter then gives the same value.
            var type = reader.GetFieldType(i);
            kinds[i] = type == typeof(long) ? Kind.Int64
                : type == typeof(int) ? Kind.Int32
                : type == typeof(string) ? Kind.Text
                : type == typeof(decimal) ? Kind.Numeric
                : type == typeof(bool) ? Kind.Boolean
                : type == typeof(double) ? Kind.Double
                : type == typeof(DateTime) ? Kind.DateTime
                : Kind.Other;
        }

        return kinds;
    }

    /// <summary>The value, <c>null</c> for SQL NULL; one that cannot be read (a numeric NaN) is what <see cref="SourceValues.Read"/> makes of it.</summary>
    public static object? Read(NpgsqlDataReader reader, int ordinal, Kind kind)
    {
        if (kind == Kind.Other || reader.IsDBNull(ordinal))
        {
            return kind == Kind.Other ? SourceValues.Read(reader, ordinal) : null;
        }

        try
        {
            return kind switch
            {
                Kind.Int64 => reader.GetInt64(ordinal),
                Kind.Int32 => reader.GetInt32(ordinal),
                Kind.Text => reader.GetString(ordinal),
                Kind.Numeric => reader.GetDecimal(ordinal),
                Kind.Boolean => reader.GetBoolean(ordinal),
                Kind.DateTime => reader.GetDateTime(ordinal),
                _ => reader.GetDouble(ordinal),
            };
        }
        catch (Exception e) when (e is InvalidCastException or OverflowException or NotSupportedException)
        {
            return SourceValues.Read(reader, ordinal);
        }
    }
}
