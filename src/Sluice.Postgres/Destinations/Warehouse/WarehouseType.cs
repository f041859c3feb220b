namespace Sluice.Postgres.Destinations.Warehouse;

/// <summary>The column types of Segment's Postgres warehouse schema (<see cref="WarehouseTypes.ToPostgres"/>).</summary>
public enum WarehouseType
{
    /// <summary><c>varchar(1024)</c>: the <c>id</c> primary key of every table (a messageId, userId or groupId).</summary>
    Id,

    /// <summary><c>text</c>: strings, stringified arrays, and any value written into an existing text column.</summary>
    Text,

    /// <summary><c>bigint</c>: JSON numbers with an integral value that fits in 64 bits.</summary>
    BigInt,

    /// <summary><c>numeric</c>: every other JSON number, kept exactly as written.</summary>
    Numeric,

    /// <summary><c>boolean</c>.</summary>
    Boolean,

    /// <summary><c>timestamptz</c>: the standard timestamps, and strings that are ISO-8601 date-times.</summary>
    TimestampTz,

    /// <summary><c>jsonb</c>: never inferred yet; reserved for sub-objects kept as JSON (RudderStack's jsonPaths).</summary>
    Jsonb,
}
