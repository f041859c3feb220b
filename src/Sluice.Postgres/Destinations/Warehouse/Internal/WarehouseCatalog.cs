using Npgsql;

namespace Sluice.Postgres.Destinations.Warehouse.Internal;

/// <summary>
/// What the database holds for one warehouse schema, as the loader last read it: whether the schema exists, the
/// tables and column types (<see cref="WarehouseSchema"/>), and the columns whose type the loader does not write
/// (a user changed one to <c>date</c>, say), and how many dropped columns each table has (they count toward
/// PostgreSQL's column limit). Read from <c>pg_attribute</c> rather than <c>information_schema</c>,
/// which hides the columns of tables the loader has no privilege on and would make it try to create them again.
/// </summary>
internal sealed class WarehouseCatalog
{
    private const string ColumnsQuery = """
        SELECT c.relname::text, a.attname::text, format_type(a.atttypid, NULL),
               CASE WHEN a.atttypid = 'varchar'::regtype AND a.atttypmod > 4 THEN a.atttypmod - 4 END,
               a.attisdropped
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid
        WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0
        ORDER BY c.relname, a.attnum
        """;

    private readonly Dictionary<(string Table, string Column), string> _unsupported;

    private WarehouseCatalog(bool schemaExists, WarehouseSchema schema, Dictionary<(string, string), string> unsupported)
    {
        SchemaExists = schemaExists;
        Schema = schema;
        _unsupported = unsupported;
    }

    public bool SchemaExists { get; }

    /// <summary>Every column, unsupported ones included (as text) so that no DDL tries to add them again.</summary>
    public WarehouseSchema Schema { get; }

    /// <summary>The PostgreSQL type of a column the loader cannot write, or null.</summary>
    public string? UnsupportedType(string table, string column) => _unsupported.GetValueOrDefault((table, column));

    public static async Task<WarehouseCatalog> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string schemaName, CancellationToken ct)
    {
        var schema = new WarehouseSchema(schemaName);
        var unsupported = new Dictionary<(string, string), string>();
        await using (var exists = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", connection, transaction))
        {
            exists.Parameters.Add(new NpgsqlParameter { Value = schemaName });
            if (!(bool)(await exists.ExecuteScalarAsync(ct))!)
            {
                return new WarehouseCatalog(false, schema, unsupported);
            }
        }

        await using var command = new NpgsqlCommand(ColumnsQuery, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = schemaName });
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var table = reader.GetString(0);
            if (reader.GetBoolean(4))
            {
                schema.SetDroppedColumns(table, schema.DroppedColumns(table) + 1);
                continue;
            }

            var column = reader.GetString(1);
            var dataType = reader.GetString(2);
            int? length = reader.IsDBNull(3) ? null : reader.GetInt32(3);
            if (WarehouseTypes.TryFromPostgres(dataType, length, out var type))
            {
                schema.AddColumn(table, column, type);
            }
            else
            {
                schema.AddColumn(table, column, WarehouseType.Text);
                unsupported[(table, column)] = dataType;
            }
        }

        return new WarehouseCatalog(true, schema, unsupported);
    }
}
