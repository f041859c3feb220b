using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Engine.WriteBack;

namespace Sluice.Postgres.WriteBack;

/// <summary>
/// Writes destination ids into a column of the source's table (<c>write_back:</c>), set-based: one
/// <c>UPDATE … FROM unnest($1, $2)</c> per batch, touching only rows whose column differs from the id — so a repeated
/// write (after a crash) changes nothing and fires no trigger, and a row holds each id exactly once.
/// </summary>
/// <remarks>
/// Why the write-back does not come back as a change: the UPDATE changes no column the sync's mapping reads, so the
/// record's fingerprint (over those columns) equals the one the ledger stored when it was sent, and the engine skips it —
/// whether it arrives through the cursor (a trigger bumping <c>updated_at</c>), the diff or CDC. That rule needs no
/// privilege and decides; in a two-way pair the UPDATE is also marked with the sync's replication origin
/// (<see cref="IMarksOwnWrites"/>), so a CDC source reading it says it is Sluice's own write.
/// </remarks>
internal sealed class PostgresWriteBack(NpgsqlDataSource dataSource, PostgresConnectionOptions connection, WriteBackTarget target) : IWriteBack, IMarksOwnWrites
{
    private WriteBackStatement? _statement;
    private Origins.OriginMarkedWrites? _marked;

    /// <summary>Writes ids from now on through a session marked with <paramref name="origin"/>.</summary>
    public void MarkOwnWrites(string origin) => _marked ??= new Origins.OriginMarkedWrites(connection, origin, TimeProvider.System);

    public string Description => $"{target.Table}.{target.Column}";

    public async Task<WriteBackStatement> PrepareAsync(CancellationToken ct)
    {
        if (_statement is not null)
        {
            return _statement;
        }

        var found = await PostgresCall.RunAsync(PostgresCallContext.Connection($"write_back on {Description} (connection '{connection.Name}')"), () => DescribeAsync(ct));
        // Marked writes run in the marked session only, never in the state store's commit transaction.
        _statement = new WriteBackStatement(_marked is null ? DatabaseIdentity.Of(dataSource.ConnectionString) : null, Statement(found));
        return _statement;
    }

    public async Task WriteAsync(IReadOnlyList<WrittenBackId> ids, CancellationToken ct)
    {
        if (ids.Count == 0)
        {
            return;
        }

        var statement = await PrepareAsync(ct);
        await PostgresCall.RunAsync(PostgresCallContext.Connection($"write_back on {Description} (connection '{connection.Name}')"), async () =>
        {
            await using var command = _marked?.CreateCommand(statement.Sql) ?? dataSource.CreateCommand(statement.Sql);
            command.Parameters.Add(new NpgsqlParameter { Value = ids.Select(i => i.Key).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = ids.Select(i => i.Id).ToArray() });
            await command.ExecuteNonQueryAsync(ct);
        });
    }

    public ValueTask DisposeAsync() => _marked?.DisposeAsync() ?? ValueTask.CompletedTask;

    /// <summary>
    /// The UPDATE: keys and ids arrive as text and are cast to the key's and the column's types, so the key's index
    /// finds the rows. <c>IS DISTINCT FROM</c> leaves a row already holding its id untouched.
    /// </summary>
    private string Statement(DescribedTable found)
    {
        var column = SqlNames.Quote(target.Column);
        return $"""
            UPDATE {found.QualifiedName} AS t SET {column} = v.id::{found.ColumnType}
            FROM unnest($1::text[], $2::text[]) AS v(k, id)
            WHERE t.{SqlNames.Quote(found.Key)} = v.k::{found.KeyType} AND t.{column} IS DISTINCT FROM v.id::{found.ColumnType}
            """;
    }

    /// <summary>The table, its key and the column as the catalog has them; a <see cref="ConfigException"/> naming the fix otherwise.</summary>
    private async Task<DescribedTable> DescribeAsync(CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT format('%I.%I', n.nspname, c.relname),
                   (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM pg_index i
                      CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                     WHERE i.indrelid = c.oid AND i.indisprimary),
                   (SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped),
                   (SELECT t.typcategory = 'S' OR t.typname IN ('uuid', 'int2', 'int4', 'int8') FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
                     WHERE a.attrelid = c.oid AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped),
                   (SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = $3 AND a.attnum > 0 AND NOT a.attisdropped)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.oid = to_regclass($1)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = target.Table });
        command.Parameters.Add(new NpgsqlParameter { Value = target.Column });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)target.Key ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            throw new ConfigException(target.Location, $"write_back: table {target.Table} does not exist in connection '{connection.Name}'",
                "name the table that holds the column ('write_back: {table: public.users, …}'), or create it");
        }

        var qualified = reader.GetString(0);
        var primaryKey = reader.IsDBNull(1) ? [] : reader.GetFieldValue<string[]>(1);
        var columnType = reader.IsDBNull(2) ? null : reader.GetString(2);
        var fits = !reader.IsDBNull(3) && reader.GetBoolean(3);
        var namedKeyType = reader.IsDBNull(4) ? null : reader.GetString(4);
        if (columnType is null)
        {
            throw new ConfigException(target.Location, $"write_back: column '{target.Column}' does not exist in {qualified}",
                $"add it (ALTER TABLE {qualified} ADD COLUMN {SqlNames.Quote(target.Column)} text) or name an existing column in 'write_back: {{column: …}}'");
        }

        if (!fits)
        {
            throw new ConfigException(target.Location, $"write_back: column '{target.Column}' of {qualified} is {columnType}, which cannot hold a destination's id",
                $"write the ids to a text column (ALTER TABLE {qualified} ALTER COLUMN {SqlNames.Quote(target.Column)} TYPE text), or name another column");
        }

        if (target.Key is { } key)
        {
            return namedKeyType is null
                ? throw new ConfigException(target.Location, $"write_back: key column '{key}' does not exist in {qualified}",
                    "name the column whose value is the record key in 'write_back: {key: …}'")
                : new DescribedTable(qualified, key, namedKeyType, columnType);
        }

        if (primaryKey.Length != 1)
        {
            throw new ConfigException(target.Location,
                primaryKey.Length == 0 ? $"write_back: {qualified} has no primary key to find rows by" : $"write_back: {qualified}'s primary key has {primaryKey.Length} columns; a write-back finds rows by one",
                "name the column whose value is the record key: 'write_back: {key: id, …}'");
        }

        return await DescribeKeyAsync(qualified, primaryKey[0], columnType, ct);
    }

    private async Task<DescribedTable> DescribeKeyAsync(string qualified, string key, string columnType, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attname = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = qualified });
        command.Parameters.Add(new NpgsqlParameter { Value = key });
        var keyType = (string)(await command.ExecuteScalarAsync(ct))!;
        return new DescribedTable(qualified, key, keyType, columnType);
    }

    private sealed record DescribedTable(string QualifiedName, string Key, string KeyType, string ColumnType);
}
