namespace Sluice.Core.Records;

/// <summary>The shape of a source column as far as mapping and encoding care.</summary>
public enum ColumnType
{
    Text,
    Integer,
    Decimal,
    Float,
    Boolean,
    Timestamp,
    TimestampWithTimeZone,
    Date,
    Json,
    Uuid,
    Array,
    Other,
}
