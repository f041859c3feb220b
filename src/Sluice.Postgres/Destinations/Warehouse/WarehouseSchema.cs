namespace Sluice.Postgres.Destinations.Warehouse;

/// <summary>
/// The tables and column types of one source's warehouse schema, as the loader knows them: read from
/// <c>information_schema</c> (<see cref="WarehouseDdl.ColumnsQuery"/>), then grown with
/// <see cref="Apply"/> as DDL runs.
/// </summary>
internal sealed class WarehouseSchema
{
    private readonly Dictionary<string, Dictionary<string, WarehouseType>> _tables = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _dropped = new(StringComparer.Ordinal);

    public WarehouseSchema(string name)
    {
        if (!WarehouseNames.IsUsableIdentifier(name))
        {
            throw new ArgumentException($"'{name}' is not a usable schema name; make it with WarehouseNames.Schema", nameof(name));
        }

        Name = name;
    }

    public string Name { get; }

    public IReadOnlyCollection<string> Tables => _tables.Keys;

    public bool HasTable(string table) => _tables.ContainsKey(table);

    /// <summary>The columns of a table; empty when the table does not exist.</summary>
    public IReadOnlyDictionary<string, WarehouseType> Columns(string table) =>
        _tables.TryGetValue(table, out var columns) ? columns : EmptyColumns;

    /// <summary>How many dropped columns the table has: PostgreSQL still counts them toward its column limit
    /// (<see cref="WarehouseColumnBudget"/>).</summary>
    public int DroppedColumns(string table) => _dropped.GetValueOrDefault(table);

    public void SetDroppedColumns(string table, int count) => _dropped[table] = count;

    /// <summary>Records a column (and its table). An existing column keeps the type it has: the database's
    /// <c>ADD COLUMN IF NOT EXISTS</c> would not change it either.</summary>
    public void AddColumn(string table, string column, WarehouseType type)
    {
        if (!_tables.TryGetValue(table, out var columns))
        {
            columns = new Dictionary<string, WarehouseType>(StringComparer.Ordinal);
            _tables.Add(table, columns);
        }

        columns.TryAdd(column, type);
    }

    public void Apply(IEnumerable<WarehouseTableChange> changes)
    {
        foreach (var change in changes)
        {
            foreach (var column in change.Columns)
            {
                AddColumn(change.Table, column.Name, column.Type);
            }
        }
    }

    private static readonly IReadOnlyDictionary<string, WarehouseType> EmptyColumns = new Dictionary<string, WarehouseType>();
}
