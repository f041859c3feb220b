using System.Globalization;
using Sluice.Core.Records;

namespace Sluice.Postgres.Sources;

/// <summary>
/// Writes a cursor or key value as text that PostgreSQL reads back as exactly the same value. Types
/// without such a form here are read as PostgreSQL's own text instead (<see cref="IsExact"/>).
/// </summary>
internal static class PositionText
{
    /// <summary>Whether values of this column come back from the driver in a form <see cref="Format"/> writes exactly.</summary>
    public static bool IsExact(SourceColumn column) => column.Type is ColumnType.Integer or ColumnType.Decimal or ColumnType.Timestamp
        or ColumnType.TimestampWithTimeZone or ColumnType.Date or ColumnType.Uuid
        || (column.Type == ColumnType.Text && column.DatabaseType is "text" or "character varying" || column.DatabaseType.StartsWith("character varying(", StringComparison.Ordinal));

    public static string Format(object value) => value switch
    {
        string text => text,
        long number => number.ToString(CultureInfo.InvariantCulture),
        int number => number.ToString(CultureInfo.InvariantCulture),
        short number => number.ToString(CultureInfo.InvariantCulture),
        decimal number => number.ToString(CultureInfo.InvariantCulture),
        Guid id => id.ToString(),
        DateTime timestamp when timestamp == DateTime.MaxValue => "infinity",
        DateTime timestamp when timestamp == DateTime.MinValue => "-infinity",
        // PostgreSQL keeps microseconds; the driver's ticks hold them exactly.
        DateTime { Kind: DateTimeKind.Utc } timestamp => timestamp.ToString("yyyy-MM-dd HH:mm:ss.ffffff'+00'", CultureInfo.InvariantCulture),
        DateTime timestamp => timestamp.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture),
        DateOnly date => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}
