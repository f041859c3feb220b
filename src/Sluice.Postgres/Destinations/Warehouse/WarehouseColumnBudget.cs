namespace Sluice.Postgres.Destinations.Warehouse;

/// <summary>
/// How many more columns a warehouse table may get. PostgreSQL refuses a table of more than 1,600 columns, and counts
/// dropped columns toward that limit for as long as the table exists (a dropped column keeps its attribute number;
/// not even VACUUM FULL frees it). Past the limit every <c>ALTER TABLE … ADD COLUMN</c> of the table fails, and so
/// would every batch after it; so each table gets a budget (<see cref="WarehouseDestinationOptions.MaxColumns"/>,
/// standard columns included) and the room PostgreSQL has left, whichever is smaller. A value whose new column does
/// not fit goes to <c>discards</c>; the event still lands.
/// </summary>
internal static class WarehouseColumnBudget
{
    /// <summary>PostgreSQL's limit of columns per table, dropped ones included
    /// (https://www.postgresql.org/docs/current/limits.html).</summary>
    public const int PostgresLimit = 1_600;

    /// <summary>How many columns <paramref name="table"/> may still get; a table that does not exist yet may have
    /// <paramref name="maxColumns"/>.</summary>
    public static int Room(WarehouseSchema schema, string table, int maxColumns)
    {
        var live = schema.Columns(table).Count;
        return Math.Max(0, Math.Min(maxColumns - live, PostgresLimit - live - schema.DroppedColumns(table)));
    }

    /// <summary>Why <paramref name="column"/> was not added to <paramref name="table"/>, for <c>discards</c>.</summary>
    public static string Reason(WarehouseSchema schema, string table, string column, int maxColumns)
    {
        var live = schema.Columns(table).Count;
        var dropped = schema.DroppedColumns(table);
        return maxColumns - live <= PostgresLimit - live - dropped
            ? $"{schema.Name}.{table} has reached its column budget of {maxColumns} columns (max_columns), so it gets no new column {column}"
            : $"{schema.Name}.{table} has {live} columns and {dropped} dropped ones, which PostgreSQL counts toward its limit of "
              + $"{PostgresLimit} until the table is recreated, so it gets no new column {column}";
    }
}
