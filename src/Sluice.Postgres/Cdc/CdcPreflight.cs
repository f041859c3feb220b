using Npgsql;
using Sluice.Core.Errors;
using Sluice.Postgres.Sources;

namespace Sluice.Postgres.Cdc;

/// <summary>
/// What a CDC sync needs from the server before it creates anything: <c>wal_level = logical</c>, a role with
/// REPLICATION, a free replication slot and WAL sender, and (when Sluice is to create the publication) ownership of
/// the tables. Each missing piece is one line naming the fix, so that the first run fails with the ALTER a DBA can
/// apply rather than with a driver error from deep inside the replication protocol.
/// </summary>
internal static class CdcPreflight
{
    /// <summary>Throws a config-class <see cref="SluiceException"/> naming the first thing that stops CDC, with its fix.</summary>
    public static Task CheckAsync(NpgsqlDataSource dataSource, IReadOnlyList<string> tables, CancellationToken ct) =>
        CheckAsync(dataSource, tables, slot: null, publication: null, ct);

    /// <param name="slot">The sync's slot: when it exists already, a full slot table does not matter.</param>
    /// <param name="publication">The sync's publication: when it is missing, Sluice must be able to create it.</param>
    public static async Task CheckAsync(NpgsqlDataSource dataSource, IReadOnlyList<string> tables, string? slot, string? publication, CancellationToken ct)
    {
        var readiness = await InspectAsync(dataSource, tables, slot, publication, ct);
        if (!readiness.Ready)
        {
            throw SluiceException.Config(readiness.Problems[0]);
        }
    }

    /// <summary>Everything CDC needs, read without changing anything; <see cref="Readiness.Problems"/> lists every obstacle.</summary>
    public static async Task<Readiness> InspectAsync(NpgsqlDataSource dataSource, IReadOnlyList<string> tables, string? slot, string? publication, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tables);
        var server = Describe(dataSource);
        return await PostgresCall.RunAsync(PostgresCallContext.Connection(server), async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            var facts = await ReadServerAsync(connection, slot, publication, ct);
            var problems = new List<string>();
            if (facts.WalLevel != "logical")
            {
                problems.Add(facts.Platform switch
                {
                    Platform.Rds => $"{server}: logical replication is off (wal_level is '{facts.WalLevel}'); fix: set rds.logical_replication = 1 in the instance's parameter group and reboot it",
                    Platform.CloudSql => $"{server}: logical replication is off (wal_level is '{facts.WalLevel}'); fix: set the flag cloudsql.logical_decoding = on on the instance (it restarts)",
                    _ => $"{server}: logical replication is off (wal_level is '{facts.WalLevel}'); fix: as a superuser run ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL (on Amazon RDS: rds.logical_replication = 1 in the parameter group)",
                });
            }

            if (!facts.CanReplicate)
            {
                problems.Add(facts.Platform == Platform.Rds
                    ? $"{server}: role '{facts.Role}' may not replicate; fix: GRANT rds_replication TO {SqlNames.Quote(facts.Role)};"
                    : $"{server}: role '{facts.Role}' lacks the REPLICATION attribute; fix: as a superuser run ALTER ROLE {SqlNames.Quote(facts.Role)} REPLICATION;");
            }

            if (!facts.SlotExists && facts.UsedSlots >= facts.MaxSlots)
            {
                problems.Add($"{server}: all {facts.MaxSlots} replication slots are taken (max_replication_slots), so no slot can be created{(slot is null ? "" : $" for '{slot}'")}; " +
                    "fix: drop slots nobody uses (SELECT slot_name FROM pg_replication_slots WHERE NOT active; `sluice prune` drops Sluice's own orphans) or raise max_replication_slots and restart PostgreSQL");
            }

            if (!facts.SlotActive && facts.UsedWalSenders >= facts.MaxWalSenders)
            {
                problems.Add($"{server}: all {facts.MaxWalSenders} WAL senders are in use (max_wal_senders), so Sluice cannot open a replication connection; " +
                    "fix: raise max_wal_senders (it must also cover standbys and other subscribers) and restart PostgreSQL");
            }

            if (tables.Count > 0)
            {
                problems.AddRange(await TableProblemsAsync(connection, tables, facts, publication, server, ct));
            }

            return new Readiness(facts.WalLevel, facts.Role, facts.CanReplicate, facts.MaxSlots, facts.UsedSlots, facts.MaxWalSenders, facts.UsedWalSenders,
                facts.SlotExists, facts.PublicationExists, problems);
        });
    }

    /// <summary>
    /// Tables whose changes would arrive without what the sync needs, for <c>sluice check</c>: no key for updates
    /// and deletes, or watched columns whose old values the WAL does not carry. One line each, with the SQL.
    /// </summary>
    public static Task<IReadOnlyList<string>> AdviseAsync(NpgsqlDataSource dataSource, IReadOnlyList<string> tables, IReadOnlyCollection<string> watchedColumns) =>
        AdviseAsync(dataSource, tables, watchedColumns, CancellationToken.None);

    public static async Task<IReadOnlyList<string>> AdviseAsync(NpgsqlDataSource dataSource, IReadOnlyList<string> tables, IReadOnlyCollection<string> watchedColumns, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(watchedColumns);
        var advice = new List<string>();
        await PostgresCall.RunAsync(PostgresCallContext.Connection(Describe(dataSource)), async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            foreach (var name in tables)
            {
                var table = await PostgresCatalog.FindTableAsync(connection, name, "public", null, ct);
                var identity = await ReadIdentityAsync(connection, table, ct);
                if (identity.Mode is 'd' or 'n' && (identity.Mode == 'n' || identity.Columns.Count == 0))
                {
                    var why = identity.Mode == 'n' ? "REPLICA IDENTITY NOTHING" : "no primary key and REPLICA IDENTITY DEFAULT";
                    advice.Add($"{table} has {why}: PostgreSQL refuses UPDATE and DELETE on it once it is published, and CDC could not key them; " +
                        $"fix: ALTER TABLE {table.Qualified} ADD PRIMARY KEY (…); or ALTER TABLE {table.Qualified} REPLICA IDENTITY FULL;");
                    continue;
                }

                if (identity.Mode == 'f')
                {
                    continue;
                }

                var missing = watchedColumns.Where(c => identity.AllColumns.Contains(c) && !identity.Columns.Contains(c)).ToList();
                if (missing.Count > 0)
                {
                    advice.Add($"{table}: watched column{(missing.Count == 1 ? "" : "s")} {string.Join(", ", missing)} {(missing.Count == 1 ? "is" : "are")} not in the replica identity, " +
                        $"so an update's old value{(missing.Count == 1 ? "" : "s")} never reach{(missing.Count == 1 ? "es" : "")} Sluice from the WAL; fix: ALTER TABLE {table.Qualified} REPLICA IDENTITY FULL;");
                }
            }
        });

        return advice;
    }

    /// <summary><c>host:port/database</c> of a data source, for messages (never its password).</summary>
    internal static string Describe(NpgsqlDataSource dataSource)
    {
        var builder = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        return $"{builder.Host}:{builder.Port}/{builder.Database}";
    }

    private static async Task<ServerFacts> ReadServerAsync(NpgsqlConnection connection, string? slot, string? publication, CancellationToken ct)
    {
        // rds_replication is how RDS and Aurora grant replication: its members have no REPLICATION attribute.
        await using var command = new NpgsqlCommand(
            """
            SELECT current_setting('wal_level'),
                   r.rolname,
                   r.rolsuper OR r.rolreplication
                     OR coalesce((SELECT pg_has_role(r.oid, g.oid, 'member') FROM pg_roles g WHERE g.rolname = 'rds_replication'), false),
                   current_setting('max_replication_slots')::int,
                   (SELECT count(*) FROM pg_replication_slots)::int,
                   current_setting('max_wal_senders')::int,
                   (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'walsender')::int,
                   EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND database = current_database()),
                   EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active),
                   EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $2),
                   current_setting('rds.logical_replication', true) IS NOT NULL,
                   current_setting('cloudsql.logical_decoding', true) IS NOT NULL,
                   r.rolsuper
            FROM pg_roles r WHERE r.rolname = current_user
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)slot ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)publication ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new ServerFacts(
            reader.GetString(0), reader.GetString(1), reader.GetBoolean(2), reader.GetInt32(3), reader.GetInt32(4), reader.GetInt32(5), reader.GetInt32(6),
            reader.GetBoolean(7), reader.GetBoolean(8), reader.GetBoolean(9),
            reader.GetBoolean(10) ? Platform.Rds : reader.GetBoolean(11) ? Platform.CloudSql : Platform.PostgreSql,
            reader.GetBoolean(12));
    }

    private static async Task<List<string>> TableProblemsAsync(NpgsqlConnection connection, IReadOnlyList<string> tables, ServerFacts facts, string? publication, string server, CancellationToken ct)
    {
        var problems = new List<string>();
        var notOwned = new List<PostgresCatalog.Table>();
        foreach (var name in tables)
        {
            var table = await PostgresCatalog.FindTableAsync(connection, name, "public", null, ct);
            await using var command = new NpgsqlCommand(
                "SELECT has_table_privilege($1, 'SELECT'), pg_has_role(relowner, 'USAGE') FROM pg_class WHERE oid = $1", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = table.Oid, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid });
            await using var reader = await command.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            if (!reader.GetBoolean(0))
            {
                // The initial snapshot reads the table with a plain SELECT.
                problems.Add($"{server}: role '{facts.Role}' cannot read {table}; fix: GRANT SELECT ON {table.Qualified} TO {SqlNames.Quote(facts.Role)};");
            }

            if (!reader.GetBoolean(1))
            {
                notOwned.Add(table);
            }
        }

        // CREATE PUBLICATION … FOR TABLE needs ownership of every table: a DBA creates it once instead, and the
        // sync names it.
        if (publication is not null && !facts.PublicationExists && !facts.Superuser && notOwned.Count > 0)
        {
            var list = string.Join(", ", notOwned.Select(t => t.Qualified));
            problems.Add($"{server}: publication '{publication}' does not exist and role '{facts.Role}' cannot create it (it does not own {string.Join(", ", notOwned)}); " +
                $"fix: as the tables' owner run CREATE PUBLICATION {SqlNames.Quote(publication)} FOR TABLE {list}; (then Sluice uses it as it is)");
        }

        return problems;
    }

    private static async Task<ReplicaIdentity> ReadIdentityAsync(NpgsqlConnection connection, PostgresCatalog.Table table, CancellationToken ct)
    {
        // The identity's columns: the index named by REPLICA IDENTITY USING INDEX, or the primary key by default.
        await using var command = new NpgsqlCommand(
            """
            SELECT c.relreplident::text,
                   coalesce((SELECT array_agg(a.attname::text ORDER BY a.attnum)
                             FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
                             WHERE i.indrelid = c.oid AND ((c.relreplident = 'i' AND i.indisreplident) OR (c.relreplident = 'd' AND i.indisprimary))), '{}'),
                   (SELECT array_agg(a.attname::text) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)
            FROM pg_class c WHERE c.oid = $1
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = table.Oid, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid });
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new ReplicaIdentity(reader.GetString(0)[0], reader.GetFieldValue<string[]>(1).ToHashSet(StringComparer.Ordinal),
            reader.GetFieldValue<string[]>(2).ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>What <see cref="InspectAsync"/> found: the server's settings and every obstacle, each one line with its fix.</summary>
    public sealed record Readiness(
        string WalLevel,
        string Role,
        bool CanReplicate,
        int MaxReplicationSlots,
        int UsedReplicationSlots,
        int MaxWalSenders,
        int UsedWalSenders,
        bool SlotExists,
        bool PublicationExists,
        IReadOnlyList<string> Problems)
    {
        /// <summary>Whether logical decoding is possible here at all, as opposed to blocked for now by a full slot table.</summary>
        public bool LogicalReplicationAvailable => WalLevel == "logical" && CanReplicate;

        public bool Ready => Problems.Count == 0;
    }

    private enum Platform
    {
        PostgreSql,
        Rds,
        CloudSql,
    }

    private sealed record ServerFacts(
        string WalLevel, string Role, bool CanReplicate, int MaxSlots, int UsedSlots, int MaxWalSenders, int UsedWalSenders,
        bool SlotExists, bool SlotActive, bool PublicationExists, Platform Platform, bool Superuser);

    private sealed record ReplicaIdentity(char Mode, HashSet<string> Columns, HashSet<string> AllColumns);
}
