using System.Globalization;
using NpgsqlTypes;
using Sluice.Core.Mapping;
using Sluice.Core.Records;

namespace Sluice.Postgres.Destinations.Records;

/// <summary>
/// The type a mapped value is staged as before it is cast to its column's type: one per kind of source value, so a
/// value goes over binary COPY as read (an int4 source into a bigint column, text into an enum or a varchar: the
/// cast to the target's type is PostgreSQL's, in the set-based statement).
/// </summary>
internal sealed record StagingType(string Name, NpgsqlDbType? DbType)
{
    public static readonly StagingType Text = new("text", NpgsqlDbType.Text);

    public static StagingType Of(CompiledField field)
    {
        var column = field.Column!;
        if (field.Transform is not null)
        {
            return Text;
        }

        return column.Type switch
        {
            ColumnType.Integer => new("bigint", NpgsqlDbType.Bigint),
            ColumnType.Decimal => new("numeric", NpgsqlDbType.Numeric),
            ColumnType.Float => new("double precision", NpgsqlDbType.Double),
            ColumnType.Boolean => new("boolean", NpgsqlDbType.Boolean),
            ColumnType.Timestamp => new("timestamp", NpgsqlDbType.Timestamp),
            ColumnType.TimestampWithTimeZone => new("timestamptz", NpgsqlDbType.TimestampTz),
            ColumnType.Date => new("date", NpgsqlDbType.Date),
            ColumnType.Uuid => new("uuid", NpgsqlDbType.Uuid),
            // An array goes as the source's own array type (text[], integer[]): the driver wrote it, it reads it back.
            ColumnType.Array => new(column.DatabaseType, null),
            _ => Text,
        };
    }

    /// <summary>The value in the .NET type the driver writes for <see cref="Name"/>; throws <see cref="FormatException"/> or <see cref="InvalidCastException"/> when it cannot be.</summary>
    /// <remarks>A value already of that type is handed back as it is: no second box per value.</remarks>
    public object Convert(object value) => DbType switch
    {
        NpgsqlDbType.Text => value as string ?? System.Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
        NpgsqlDbType.Bigint => value is long ? value : System.Convert.ToInt64(value, CultureInfo.InvariantCulture),
        NpgsqlDbType.Numeric => value is decimal ? value : System.Convert.ToDecimal(value, CultureInfo.InvariantCulture),
        NpgsqlDbType.Double => value is double ? value : System.Convert.ToDouble(value, CultureInfo.InvariantCulture),
        NpgsqlDbType.Boolean => value is bool ? value : System.Convert.ToBoolean(value, CultureInfo.InvariantCulture),
        NpgsqlDbType.Timestamp => value switch
        {
            DateTime time => DateTime.SpecifyKind(time, DateTimeKind.Unspecified),
            string text => DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.None),
            _ => throw new InvalidCastException($"{value.GetType().Name} is not a timestamp"),
        },
        NpgsqlDbType.TimestampTz => value switch
        {
            DateTime { Kind: DateTimeKind.Utc } => value,
            DateTime time => DateTime.SpecifyKind(time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : time, DateTimeKind.Utc),
            DateTimeOffset offset => offset.UtcDateTime,
            string text => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).UtcDateTime,
            _ => throw new InvalidCastException($"{value.GetType().Name} is not a timestamp"),
        },
        NpgsqlDbType.Date => value switch
        {
            DateOnly date => date,
            DateTime time => DateOnly.FromDateTime(time),
            string text => DateOnly.Parse(text, CultureInfo.InvariantCulture),
            _ => throw new InvalidCastException($"{value.GetType().Name} is not a date"),
        },
        NpgsqlDbType.Uuid => value is Guid guid ? guid : Guid.Parse(System.Convert.ToString(value, CultureInfo.InvariantCulture)!),
        _ => value,
    };
}
