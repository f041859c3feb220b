using System.Text;

namespace Sluice.Postgres.Destinations.Warehouse;

/// <summary>
/// DDL for the warehouse schema, as text. Every identifier is double-quoted (<see cref="WarehouseNames.Quote"/>)
/// and checked to be usable as it is (1–63 bytes, no NUL), so PostgreSQL can neither misread nor silently truncate
/// it; types come from <see cref="WarehouseTypes.ToPostgres"/>, never from data. All statements are idempotent
/// (<c>IF NOT EXISTS</c>) and none drops anything.
/// </summary>
internal static class WarehouseDdl
{
    /// <summary>Where values that lost their column are kept (<see cref="WarehouseDiscard"/>), one per schema.</summary>
    public const string DiscardsTable = "discards";

    /// <summary>The columns of every table of a schema, for <see cref="WarehouseSchema"/>. One parameter: the schema
    /// name. Returns <c>table_name, column_name, data_type, character_maximum_length</c>
    /// (see <see cref="WarehouseTypes.TryFromPostgres"/>).</summary>
    public const string ColumnsQuery = """
        SELECT table_name::text, column_name::text, data_type::text, character_maximum_length::int
        FROM information_schema.columns
        WHERE table_schema = $1
        ORDER BY table_name, ordinal_position
        """;

    /// <summary>The discards table's columns (RudderStack's <c>rudder_discards</c> layout).</summary>
    public static IReadOnlyList<WarehouseColumn> DiscardsColumns { get; } =
    [
        new("table_name", WarehouseType.Text),
        new("row_id", WarehouseType.Text),
        new("column_name", WarehouseType.Text),
        new("column_value", WarehouseType.Text),
        new(WarehouseColumns.ReceivedAt, WarehouseType.TimestampTz),
        new(WarehouseColumns.UuidTs, WarehouseType.TimestampTz),
        new("reason", WarehouseType.Text),
    ];

    public static string CreateSchema(string schema) => $"CREATE SCHEMA IF NOT EXISTS {Name(schema)}";

    /// <summary><c>CREATE TABLE IF NOT EXISTS</c>; an <c>id</c> column of type <see cref="WarehouseType.Id"/> is the
    /// primary key, as in Segment's DDL.</summary>
    public static string CreateTable(string schema, string table, IEnumerable<WarehouseColumn> columns)
    {
        var sql = new StringBuilder($"CREATE TABLE IF NOT EXISTS {Qualified(schema, table)} (");
        var first = true;
        foreach (var column in columns)
        {
            sql.Append(first ? "" : ", ").Append(Definition(column));
            if (column is { Name: WarehouseColumns.Id, Type: WarehouseType.Id })
            {
                sql.Append(" PRIMARY KEY");
            }

            first = false;
        }

        if (first)
        {
            throw new ArgumentException($"a table needs at least one column ({table})", nameof(columns));
        }

        return sql.Append(')').ToString();
    }

    /// <summary>One <c>ALTER TABLE</c> adding every column with <c>ADD COLUMN IF NOT EXISTS</c>; an existing
    /// column keeps its type.</summary>
    public static string AddColumns(string schema, string table, IEnumerable<WarehouseColumn> columns)
    {
        var clauses = columns.Select(c => "ADD COLUMN IF NOT EXISTS " + Definition(c)).ToArray();
        if (clauses.Length == 0)
        {
            throw new ArgumentException($"no columns to add to {table}", nameof(columns));
        }

        return $"ALTER TABLE {Qualified(schema, table)} {string.Join(", ", clauses)}";
    }

    /// <summary>The statements for a batch's changes, in order: the schema, then per table a CREATE or an ALTER.</summary>
    public static IReadOnlyList<string> Statements(string schema, IEnumerable<WarehouseTableChange> changes)
    {
        var statements = new List<string> { CreateSchema(schema) };
        foreach (var change in changes)
        {
            if (change.IsNew)
            {
                statements.Add(CreateTable(schema, change.Table, change.Columns));
            }
            else if (change.Columns.Count > 0)
            {
                statements.Add(AddColumns(schema, change.Table, change.Columns));
            }
        }

        return statements;
    }

    public static string CreateDiscardsTable(string schema) => CreateTable(schema, DiscardsTable, DiscardsColumns);

    private static string Definition(WarehouseColumn column) => $"{Name(column.Name)} {WarehouseTypes.ToPostgres(column.Type)}";

    private static string Qualified(string schema, string table) => $"{Name(schema)}.{Name(table)}";

    private static string Name(string identifier)
    {
        if (!WarehouseNames.IsUsableIdentifier(identifier))
        {
            throw new ArgumentException(
                $"'{identifier}' is not a usable identifier (1 to {WarehouseNames.MaxIdentifierBytes} bytes, no NUL); name it with WarehouseNames",
                nameof(identifier));
        }

        return WarehouseNames.Quote(identifier);
    }
}
