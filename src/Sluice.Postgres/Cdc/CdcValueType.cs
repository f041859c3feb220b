namespace Sluice.Postgres.Cdc;

/// <summary>How a column's text, as <c>pgoutput</c> sends it, becomes the value a table source would have read.</summary>
internal enum CdcValueKind
{
    /// <summary>Kept as text: text, enums, json, and every type a table source reads as text.</summary>
    Text,
    Int16,
    Int32,
    Int64,
    Float4,
    Float8,
    Numeric,
    Boolean,
    TimestampTz,
    Timestamp,
    Date,
    Uuid,
    Array,
}

/// <summary>A column type as far as reading its text goes: its kind and, for an array, its elements' kind.</summary>
internal sealed record CdcValueType(CdcValueKind Kind, CdcValueKind Element = CdcValueKind.Text)
{
    public static CdcValueType Text { get; } = new(CdcValueKind.Text);

    /// <summary>From <c>pg_type.typname</c> of the (base) type and, for an array, of its element.</summary>
    public static CdcValueType From(string typeName, char category, string? elementName) =>
        category == 'A' && elementName is not null
            ? new CdcValueType(CdcValueKind.Array, Scalar(elementName))
            : new CdcValueType(Scalar(typeName));

    private static CdcValueKind Scalar(string typeName) => typeName switch
    {
        "int2" => CdcValueKind.Int16,
        "int4" => CdcValueKind.Int32,
        "int8" => CdcValueKind.Int64,
        "float4" => CdcValueKind.Float4,
        "float8" => CdcValueKind.Float8,
        "numeric" => CdcValueKind.Numeric,
        "bool" => CdcValueKind.Boolean,
        "timestamptz" => CdcValueKind.TimestampTz,
        "timestamp" => CdcValueKind.Timestamp,
        "date" => CdcValueKind.Date,
        "uuid" => CdcValueKind.Uuid,
        // money's text depends on lc_monetary; like time, interval, inet and the rest, it travels as PostgreSQL writes it.
        _ => CdcValueKind.Text,
    };
}
