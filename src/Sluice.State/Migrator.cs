using System.Reflection;
using Npgsql;

namespace Sluice.State;

/// <summary>
/// Applies the state schema's migrations (embedded <c>Migrations/NNNN_name.sql</c>) in order, each once.
/// Safe when several processes start at once: they queue on a transaction-scoped advisory lock and
/// the later ones find the work done.
/// </summary>
internal static class Migrator
{
    public static async Task<int> MigrateAsync(NpgsqlDataSource dataSource, StateSchema schema, CancellationToken ct)
    {
        var migrations = Load();
        // Every command opens the store and nearly always finds it up to date: a plain read says so, without a turn
        // at the migration lock behind a process that is migrating, nor the DDL of the set-up below.
        if (await PendingAsync(dataSource, schema, migrations, ct) == 0)
        {
            return 0;
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", connection, transaction))
        {
            lockCommand.Parameters.Add(new NpgsqlParameter { Value = schema.LockKey(0) });
            await lockCommand.ExecuteNonQueryAsync(ct);
        }

        await using (var setup = new NpgsqlCommand(
            $"""
            CREATE SCHEMA IF NOT EXISTS {schema.Name};
            CREATE TABLE IF NOT EXISTS {schema.Name}.schema_migrations (
                version    integer PRIMARY KEY,
                name       text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            );
            """, connection, transaction))
        {
            await setup.ExecuteNonQueryAsync(ct);
        }

        var applied = new HashSet<int>();
        await using (var query = new NpgsqlCommand($"SELECT version FROM {schema.Name}.schema_migrations", connection, transaction))
        await using (var reader = await query.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                applied.Add(reader.GetInt32(0));
            }
        }

        var count = 0;
        foreach (var (version, name, sql) in migrations.Where(m => !applied.Contains(m.Version)))
        {
            await using var apply = new NpgsqlCommand(sql.Replace("{schema}", schema.Name, StringComparison.Ordinal), connection, transaction);
            await apply.ExecuteNonQueryAsync(ct);
            await using var record = new NpgsqlCommand($"INSERT INTO {schema.Name}.schema_migrations (version, name) VALUES ($1, $2)", connection, transaction);
            record.Parameters.Add(new NpgsqlParameter { Value = version });
            record.Parameters.Add(new NpgsqlParameter { Value = name });
            await record.ExecuteNonQueryAsync(ct);
            count++;
        }

        await transaction.CommitAsync(ct);
        return count;
    }

    /// <summary>
    /// How many of this build's migrations the schema lacks: 0 when it is ready. Reads only (no lock, nothing created);
    /// a schema never migrated lacks them all.
    /// </summary>
    public static Task<int> PendingAsync(NpgsqlDataSource dataSource, StateSchema schema, CancellationToken ct) =>
        PendingAsync(dataSource, schema, Load(), ct);

    private static async Task<int> PendingAsync(NpgsqlDataSource dataSource, StateSchema schema, List<(int Version, string Name, string Sql)> migrations, CancellationToken ct)
    {
        var expected = migrations.Select(m => m.Version).ToHashSet();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using (var exists = new NpgsqlCommand("SELECT to_regclass($1) IS NOT NULL", connection))
        {
            exists.Parameters.Add(new NpgsqlParameter { Value = schema.Name + ".schema_migrations" });
            if (await exists.ExecuteScalarAsync(ct) is not true)
            {
                return expected.Count;
            }
        }

        await using var query = new NpgsqlCommand($"SELECT version FROM {schema.Name}.schema_migrations", connection);
        await using var reader = await query.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            expected.Remove(reader.GetInt32(0));
        }

        return expected.Count;
    }

    private static List<(int Version, string Name, string Sql)> Load()
    {
        var assembly = typeof(Migrator).Assembly;
        const string prefix = "Sluice.State.Migrations.";
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n =>
            {
                var file = n[prefix.Length..^4];
                var version = int.Parse(file[..4], System.Globalization.CultureInfo.InvariantCulture);
                using var stream = assembly.GetManifestResourceStream(n)!;
                using var reader = new StreamReader(stream);
                return (version, file[5..], reader.ReadToEnd());
            })
            .OrderBy(m => m.version)
            .ToList();
    }
}
