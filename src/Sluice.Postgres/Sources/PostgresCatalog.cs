using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Records;

namespace Sluice.Postgres.Sources;

/// <summary>Reads what a table looks like from <c>pg_catalog</c>.</summary>
internal static class PostgresCatalog
{
    public sealed record Table(uint Oid, string Schema, string Name)
    {
        public string Qualified => SqlNames.QuoteQualified(Schema, Name);

        public override string ToString() => $"{Schema}.{Name}";
    }

    /// <summary>Finds <paramref name="name"/> (<c>schema.table</c> or a bare table in <paramref name="defaultSchema"/>).</summary>
    public static async Task<Table> FindTableAsync(NpgsqlConnection connection, string name, string defaultSchema, ConfigLocation? location, CancellationToken ct)
    {
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        var (schema, table) = dot < 0 ? (defaultSchema, name) : (name[..dot], name[(dot + 1)..]);
        await using (var command = new NpgsqlCommand(
            """
            SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
            """, connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = schema });
            command.Parameters.Add(new NpgsqlParameter { Value = table });
            if (await command.ExecuteScalarAsync(ct) is uint oid)
            {
                return new Table(oid, schema, table);
            }
        }

        var candidates = new List<string>();
        await using (var list = new NpgsqlCommand(
            """
            SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
            ORDER BY 1 LIMIT 500
            """, connection))
        await using (var reader = await list.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                candidates.Add(reader.GetString(0));
            }
        }

        var closest = NameSuggestions.Closest($"{schema}.{table}", candidates);
        throw new ConfigException(location, $"table {schema}.{table} does not exist (or this user cannot see it)",
            closest is not null ? $"did you mean '{closest}'?" : candidates.Count == 0 ? "the database has no tables this user can see" : $"tables: {string.Join(", ", candidates.Take(20))}");
    }

    /// <summary>
    /// The table's columns, and the ones to read as text: enums and types the driver has no mapping for
    /// (their text form is what a person would expect to see downstream).
    /// </summary>
    public static async Task<(List<SourceColumn> Columns, HashSet<string> ReadAsText)> ColumnsAsync(NpgsqlConnection connection, Table table, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typname, t.typcategory, NOT a.attnotnull
            FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
            WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = table.Oid, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid });
        var columns = new List<SourceColumn>();
        var readAsText = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var category = reader.GetChar(3);
            var column = new SourceColumn(reader.GetString(0), reader.GetString(1), Classify(reader.GetString(2), category), reader.GetBoolean(4));
            columns.Add(column);
            if (category == 'E' || column.Type == ColumnType.Other)
            {
                readAsText.Add(column.Name);
            }
        }

        return (columns, readAsText);
    }

    public static async Task<List<string>> PrimaryKeyAsync(NpgsqlConnection connection, Table table, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT a.attname
            FROM pg_index i
            CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
            WHERE i.indrelid = $1 AND i.indisprimary
            ORDER BY k.ord
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = table.Oid, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid });
        var key = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            key.Add(reader.GetString(0));
        }

        return key;
    }

    /// <summary>The columns a query returns (described, not run), with the same reading rules as a table's columns.</summary>
    /// <exception cref="PostgresException">The query is not valid SQL for this database.</exception>
    public static async Task<(List<SourceColumn> Columns, HashSet<string> ReadAsText)> QueryColumnsAsync(NpgsqlConnection connection, string query, CancellationToken ct)
    {
        var described = new List<(string Name, uint Oid, string DataType)>();
        await using (var command = new NpgsqlCommand($"SELECT * FROM ({query}) AS q LIMIT 0", connection))
        await using (var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SchemaOnly, ct))
        {
            foreach (var column in (await reader.GetColumnSchemaAsync(ct)).Cast<Npgsql.Schema.NpgsqlDbColumn>())
            {
                described.Add((column.ColumnName, column.TypeOID, column.DataTypeName));
            }
        }

        var types = new Dictionary<uint, (string Name, char Category)>();
        await using (var command = new NpgsqlCommand("SELECT oid, typname, typcategory FROM pg_type WHERE oid = ANY($1)", connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = described.Select(d => d.Oid).Distinct().ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Oid });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                types[reader.GetFieldValue<uint>(0)] = (reader.GetString(1), reader.GetChar(2));
            }
        }

        var columns = new List<SourceColumn>(described.Count);
        var readAsText = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, oid, dataType) in described)
        {
            var (typeName, category) = types.GetValueOrDefault(oid, ("unknown", 'X'));
            var column = new SourceColumn(name, dataType, Classify(typeName, category), IsNullable: true);
            columns.Add(column);
            if (category == 'E' || column.Type == ColumnType.Other)
            {
                readAsText.Add(column.Name);
            }
        }

        return (columns, readAsText);
    }

    private static ColumnType Classify(string typeName, char category) => (category, typeName) switch
    {
        (_, "int2" or "int4" or "int8") => ColumnType.Integer,
        (_, "float4" or "float8") => ColumnType.Float,
        (_, "numeric" or "money") => ColumnType.Decimal,
        (_, "bool") => ColumnType.Boolean,
        (_, "timestamptz") => ColumnType.TimestampWithTimeZone,
        (_, "timestamp") => ColumnType.Timestamp,
        (_, "date") => ColumnType.Date,
        (_, "json" or "jsonb") => ColumnType.Json,
        (_, "uuid") => ColumnType.Uuid,
        ('A', _) => ColumnType.Array,
        ('S' or 'E', _) => ColumnType.Text, // strings and enums travel as text
        _ => ColumnType.Other,
    };
}
