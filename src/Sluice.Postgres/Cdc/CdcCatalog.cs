using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Postgres.Sources;

namespace Sluice.Postgres.Cdc;

/// <summary>What the CDC source reads from <c>pg_catalog</c>: the followed tables and the types of their columns.</summary>
internal static class CdcCatalog
{
    public static async Task<CdcTable> TableAsync(NpgsqlConnection connection, string name, string defaultSchema, ConfigLocation? location, CancellationToken ct)
    {
        var table = await PostgresCatalog.FindTableAsync(connection, name, defaultSchema, location, ct);
        char kind;
        char identity;
        List<string> identityIndex;
        await using (var command = new NpgsqlCommand(
            """
            SELECT c.relkind, c.relreplident,
                   COALESCE((SELECT array_agg(a.attname::text ORDER BY k.ord)
                             FROM pg_index i
                             CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                             WHERE i.indrelid = c.oid AND i.indisreplident), '{}')
            FROM pg_class c WHERE c.oid = $1
            """, connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = table.Oid, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid });
            await using var reader = await command.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            kind = reader.GetChar(0);
            identity = reader.GetChar(1);
            identityIndex = [.. reader.GetFieldValue<string[]>(2)];
        }

        if (kind is not ('r' or 'p'))
        {
            throw new ConfigException(location, $"{table} is not a table (views and foreign tables have no WAL to follow)",
                "follow the table(s) it reads, or drop 'cdc:' to diff it as a query");
        }

        var (columns, readAsText) = await PostgresCatalog.ColumnsAsync(connection, table, ct);
        var primaryKey = await PostgresCatalog.PrimaryKeyAsync(connection, table, ct);
        var key = primaryKey.Count > 0 ? primaryKey : identityIndex;
        if (key.Count == 0)
        {
            throw new ConfigException(location, $"table {table} has no primary key, so its rows cannot be told apart (and PostgreSQL refuses to publish its updates and deletes)",
                $"add a primary key, or name a unique index: ALTER TABLE {table.Qualified} REPLICA IDENTITY USING INDEX <index>;");
        }

        IReadOnlySet<string> identityKey = identity switch
        {
            'f' => columns.Select(c => c.Name).ToHashSet(StringComparer.Ordinal),
            'i' => identityIndex.ToHashSet(StringComparer.Ordinal),
            'd' => primaryKey.ToHashSet(StringComparer.Ordinal),
            _ => new HashSet<string>(StringComparer.Ordinal),
        };
        if (identityKey.Count == 0)
        {
            throw new ConfigException(location, $"table {table} has REPLICA IDENTITY NOTHING, so PostgreSQL logs nothing that identifies an updated or deleted row",
                $"run: ALTER TABLE {table.Qualified} REPLICA IDENTITY DEFAULT; (or FULL to also have old values for transitions)");
        }

        return new CdcTable(table, columns, readAsText, key, identity, identityKey);
    }

    /// <summary>How to read each type's text, by type oid (a domain reads as its base type).</summary>
    public static async Task<Dictionary<uint, CdcValueType>> TypesAsync(NpgsqlConnection connection, IReadOnlyCollection<uint> oids, CancellationToken ct)
    {
        var types = new Dictionary<uint, CdcValueType>();
        await using var command = new NpgsqlCommand(
            """
            SELECT t.oid, b.typname::text, b.typcategory, e.typname::text
            FROM pg_type t
            JOIN pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
            LEFT JOIN pg_type e ON e.oid = b.typelem AND b.typcategory = 'A'
            WHERE t.oid = ANY($1)
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = oids.ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Oid });
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            types[reader.GetFieldValue<uint>(0)] = CdcValueType.From(reader.GetString(1), reader.GetChar(2), reader.IsDBNull(3) ? null : reader.GetString(3));
        }

        return types;
    }
}
