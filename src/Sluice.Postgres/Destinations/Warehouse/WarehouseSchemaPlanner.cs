namespace Sluice.Postgres.Destinations.Warehouse;

/// <summary>
/// The tables and columns a batch of rows needs that the schema does not have yet, with their types.
/// The type of an existing column never changes (Segment does not widen columns by itself). A new column takes the
/// type its values in the batch agree on: one type → that type; bigint and numeric → numeric; any other mix → text,
/// the one type every value fits without loss (RudderStack's staging-schema consolidation does the same).
/// A table gets new columns only while it has room (<see cref="WarehouseColumnBudget"/>), in the order the batch
/// first uses them; a value whose column does not fit is left to the caller to discard.
/// </summary>
internal static class WarehouseSchemaPlanner
{
    /// <param name="schema">The tables as they are.</param>
    /// <param name="rows">The batch's rows.</param>
    /// <param name="maxColumns">The column budget of every table (<see cref="WarehouseDestinationOptions.MaxColumns"/>).</param>
    public static IReadOnlyList<WarehouseTableChange> Changes(
        WarehouseSchema schema, IEnumerable<WarehouseRow> rows, int maxColumns = WarehouseColumnBudget.PostgresLimit)
    {
        var planned = new Dictionary<string, (bool IsNew, List<WarehouseColumn> Columns, int Room)>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var row in rows)
        {
            var existing = schema.Columns(row.Table);
            if (!planned.TryGetValue(row.Table, out var change))
            {
                var isNew = !schema.HasTable(row.Table);
                change = (isNew, isNew ? [.. WarehouseColumns.Standard(row.Kind)] : [], WarehouseColumnBudget.Room(schema, row.Table, maxColumns));
                planned.Add(row.Table, change);
                order.Add(row.Table);
            }

            foreach (var cell in row.Cells)
            {
                if (existing.ContainsKey(cell.Column))
                {
                    continue;
                }

                var at = change.Columns.FindIndex(c => c.Name == cell.Column);
                if (at < 0 && change.Columns.Count >= change.Room)
                {
                    continue;
                }

                if (at < 0)
                {
                    change.Columns.Add(new WarehouseColumn(cell.Column, cell.Type));
                }
                else if (change.Columns[at].Type != cell.Type && !IsStandard(row.Kind, cell.Column))
                {
                    change.Columns[at] = change.Columns[at] with { Type = Consolidate(change.Columns[at].Type, cell.Type) };
                }
            }
        }

        return order
            .Select(table => new WarehouseTableChange(table, planned[table].IsNew, planned[table].Columns))
            .Where(change => change.IsNew || change.Columns.Count > 0)
            .ToArray();
    }

    /// <summary>The type two values of one new column share.</summary>
    public static WarehouseType Consolidate(WarehouseType a, WarehouseType b) => (a, b) switch
    {
        _ when a == b => a,
        (WarehouseType.BigInt, WarehouseType.Numeric) or (WarehouseType.Numeric, WarehouseType.BigInt) => WarehouseType.Numeric,
        _ => WarehouseType.Text,
    };

    private static bool IsStandard(WarehouseTableKind kind, string column) =>
        WarehouseColumns.Standard(kind).Any(c => c.Name == column);
}
