using Npgsql;

namespace Sluice.Postgres.Destinations.Records;

/// <summary>
/// What the records table (and the groups table) look like, read from <c>pg_catalog</c>: each column's type as
/// <c>format_type</c> writes it (a valid type expression, quoted where needed), whether the key is unique, and the
/// role's privileges.
/// </summary>
internal sealed record RecordsTable(
    bool Exists,
    IReadOnlyDictionary<string, string> Columns,
    bool KeyIsUnique,
    bool MaySelect,
    bool MayInsert,
    bool MayUpdate,
    bool MayDelete,
    string Role,
    bool MayUseTemporary)
{
    /// <param name="key">The columns of the unique key the table must have (in any order); none for a table without one.</param>
    public static async Task<RecordsTable> ReadAsync(NpgsqlConnection connection, string schema, string table, IReadOnlyList<string> key, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT c.oid IS NOT NULL,
                   c.oid IS NOT NULL AND has_table_privilege(c.oid, 'SELECT'),
                   c.oid IS NOT NULL AND has_table_privilege(c.oid, 'INSERT'),
                   c.oid IS NOT NULL AND has_table_privilege(c.oid, 'UPDATE'),
                   c.oid IS NOT NULL AND has_table_privilege(c.oid, 'DELETE'),
                   current_user,
                   has_database_privilege(current_database(), 'TEMPORARY'),
                   EXISTS (SELECT 1 FROM pg_index i
                           WHERE i.indrelid = c.oid AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
                             AND i.indnkeyatts = cardinality($3::text[])
                             AND NOT EXISTS (SELECT 1 FROM generate_series(0, i.indnkeyatts - 1) g
                                             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[g]
                                             WHERE NOT a.attname = ANY ($3::text[]))),
                   (SELECT coalesce(jsonb_object_agg(a.attname, format_type(a.atttypid, a.atttypmod)), '{}')::text
                    FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)
            FROM (SELECT 1) one
            LEFT JOIN pg_namespace n ON n.nspname = $1
            LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = $2 AND c.relkind IN ('r', 'p')
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = schema });
        command.Parameters.Add(new NpgsqlParameter { Value = table });
        command.Parameters.Add(new NpgsqlParameter { Value = key.ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var columns = System.Text.Json.JsonSerializer.Deserialize(reader.IsDBNull(8) ? "{}" : reader.GetString(8), RecordsTableJson.Default.StringMap) ?? [];
        return new RecordsTable(
            reader.GetBoolean(0), columns, reader.GetBoolean(7), reader.GetBoolean(1), reader.GetBoolean(2), reader.GetBoolean(3), reader.GetBoolean(4),
            reader.GetString(5), reader.GetBoolean(6));
    }
}
