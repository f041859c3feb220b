namespace Sluice.Postgres.Destinations.Warehouse;

/// <summary>
/// One column of one warehouse row.
/// </summary>
/// <param name="Column">The column name, already safe (<see cref="WarehouseNames"/>).</param>
/// <param name="Type">The type inferred from the value, or after reconciliation the column's type.</param>
/// <param name="Value">The value in PostgreSQL's text input syntax for <paramref name="Type"/>
/// (<c>42</c>, <c>1.5e3</c>, <c>true</c>, <c>2024-01-02T03:04:05.5Z</c>, the string itself), ready for
/// <c>COPY … (FORMAT text)</c> or a <c>$1::type</c> parameter; <see langword="null"/> writes NULL.</param>
/// <param name="Raw">The value as the event carried it, as text: strings unquoted, numbers as written, arrays as
/// JSON. A text column receives this, and so does a discard.</param>
internal sealed record WarehouseCell(string Column, WarehouseType Type, string? Value, string Raw)
{
    /// <summary>The string as the event sent it (JSON text, escapes intact) when it held what PostgreSQL text cannot
    /// (NUL, a lone surrogate) and <see cref="Raw"/> has U+FFFD in its place; null otherwise. The planner records it in
    /// <c>discards</c>, so no value is changed silently.</summary>
    public string? AsSent { get; init; }

    /// <summary>A JSON number kept as <see cref="WarehouseType.Text"/> because PostgreSQL's numeric cannot hold it.</summary>
    public bool IsNumber { get; init; }
}
