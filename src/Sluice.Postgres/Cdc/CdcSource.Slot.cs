using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.PgOutput;
using NpgsqlTypes;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;

namespace Sluice.Postgres.Cdc;

internal sealed partial class CdcSource
{
    /// <summary>How long a slot still held by a process that is going away (a killed sync's walsender) is waited for.</summary>
    private static readonly TimeSpan ActiveSlotWait = TimeSpan.FromSeconds(30);

    /// <summary>Where streaming starts: the slot, its confirmed position, and the snapshot to copy from when the slot was just created for a copy.</summary>
    private sealed record SlotStart(PgOutputReplicationSlot Slot, NpgsqlLogSequenceNumber Confirmed, string? SnapshotName);

    private sealed record SlotState(string? Database, string? Plugin, NpgsqlLogSequenceNumber? ConfirmedFlush, int? ActivePid);

    /// <summary>
    /// Finds or makes the slot. A stored streaming position needs the slot that produced it. A copy (a new sync with
    /// <c>start: snapshot</c>, a full run, or a copy the last process did not finish) needs a slot created now, with an
    /// exported snapshot: an older slot of ours is dropped first (a snapshot cannot be had for it any more).
    /// </summary>
    private async Task<SlotStart> PrepareSlotAsync(LogicalReplicationConnection replication, CdcPosition? from, CancellationToken ct)
    {
        var state = await FindSlotAsync(ct);
        if (from is { Copying: false })
        {
            if (state is null)
            {
                throw SluiceException.Fatal($"{Description}: replication slot '{_options.Slot}' no longer exists (dropped by hand, or invalidated by max_slot_wal_keep_size), " +
                    "so the changes since the last checkpoint are lost; run `sluice sync --full` to copy the tables again and follow them from there");
            }

            await UsableAsync(state, ct);
            return new SlotStart(new PgOutputReplicationSlot(_options.Slot), state.ConfirmedFlush ?? default, null);
        }

        var copy = from is { Copying: true } || _options.Start == CdcStart.Snapshot;
        if (copy)
        {
            if (state is not null)
            {
                // An interrupted copy began with a slot Sluice created, named or not; otherwise a named slot is the user's.
                if (from is null && _options.SlotNamed)
                {
                    throw new ConfigException(_options.Config?.LocationOf("cdc"), $"replication slot '{_options.Slot}' already exists, so the tables cannot be copied consistently with it",
                        "stream from it with 'start: now', or name a slot that does not exist yet (Sluice creates it)");
                }

                await UsableAsync(state, ct);
                await PostgresCall.RunAsync(_calls, async () =>
                {
                    await using var connection = await _dataSource.OpenConnectionAsync(ct);
                    await using var drop = new NpgsqlCommand("SELECT pg_drop_replication_slot($1)", connection);
                    drop.Parameters.Add(new NpgsqlParameter { Value = _options.Slot });
                    await drop.ExecuteNonQueryAsync(ct);
                });
            }

            var created = await PostgresCall.RunAsync(_calls, () => replication.CreatePgOutputReplicationSlot(_options.Slot, slotSnapshotInitMode: LogicalSlotSnapshotInitMode.Export, cancellationToken: ct));
            return new SlotStart(created, created.ConsistentPoint, created.SnapshotName);
        }

        if (state is null)
        {
            var created = await PostgresCall.RunAsync(_calls, () => replication.CreatePgOutputReplicationSlot(_options.Slot, slotSnapshotInitMode: LogicalSlotSnapshotInitMode.NoExport, cancellationToken: ct));
            return new SlotStart(created, created.ConsistentPoint, null);
        }

        await UsableAsync(state, ct);
        return new SlotStart(new PgOutputReplicationSlot(_options.Slot), state.ConfirmedFlush ?? default, null);
    }

    private async Task<SlotState?> FindSlotAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            "SELECT database::text, plugin::text, confirmed_flush_lsn, active_pid FROM pg_replication_slots WHERE slot_name = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = _options.Slot });
        await using var reader = await PostgresCall.RunAsync(_calls, () => command.ExecuteReaderAsync(ct));
        if (!await PostgresCall.RunAsync(_calls, () => reader.ReadAsync(ct)))
        {
            return null;
        }

        return new SlotState(
            reader.IsDBNull(0) ? null : reader.GetString(0),
            reader.IsDBNull(1) ? null : reader.GetString(1),
            reader.IsDBNull(2) ? null : reader.GetFieldValue<NpgsqlLogSequenceNumber>(2),
            reader.IsDBNull(3) ? null : reader.GetInt32(3));
    }

    /// <summary>The slot is a pgoutput slot of this database, and no other process streams from it (waiting a little for one that is exiting).</summary>
    private async Task UsableAsync(SlotState state, CancellationToken ct)
    {
        if (state.Database != _connection.Database || state.Plugin != "pgoutput")
        {
            throw new ConfigException(_options.Config?.LocationOf("cdc"),
                $"replication slot '{_options.Slot}' is not a pgoutput slot of database {_connection.Database} (it is {state.Plugin ?? "physical"} on {state.Database ?? "no database"})",
                "name another slot with 'cdc: {slot: …}', or drop that one if nothing uses it");
        }

        var waited = TimeSpan.Zero;
        var step = TimeSpan.FromMilliseconds(200);
        while (state.ActivePid is { } pid)
        {
            if (waited >= ActiveSlotWait)
            {
                throw SluiceException.Transient($"{Description}: replication slot '{_options.Slot}' is in use by server process {pid} (another sluice process or client streams from it); will retry");
            }

            await Task.Delay(step, _time, ct);
            waited += step;
            state = await FindSlotAsync(ct) ?? state with { ActivePid = null };
        }
    }

    /// <summary>Sluice's own publication is created (or brought in step with the tables); a named one must exist and cover them.</summary>
    private async Task EnsurePublicationAsync(IReadOnlyList<CdcTable> tables, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        if (_options.PublicationNamed)
        {
            await PostgresCall.RunAsync(_calls, () => CheckPublicationAsync(connection, tables, ct));
            return;
        }

        var published = await PublishedAsync(connection, ct);
        var wanted = tables.Select(t => t.Table.ToString()).ToHashSet(StringComparer.Ordinal);
        if (published is not null && published.SetEquals(wanted))
        {
            return;
        }

        var list = string.Join(", ", tables.Select(t => t.Table.Qualified));
        var name = SqlNames.Quote(_options.Publication);
        // TRUNCATE is not a row change: it would arrive as one message for the table, which no call can represent.
        var sql = published is null
            ? $"CREATE PUBLICATION {name} FOR TABLE {list} WITH (publish = 'insert, update, delete')"
            : $"ALTER PUBLICATION {name} SET TABLE {list}";
        try
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException e) when (e.SqlState == "42501")
        {
            throw new ConfigException(_options.Config?.LocationOf(_options.Tables.Count > 1 ? "tables" : "table"),
                $"the role cannot create publication {_options.Publication} ({e.MessageText}); a publication needs the tables' owner",
                $"have the owner run: CREATE PUBLICATION {name} FOR TABLE {list} WITH (publish = 'insert, update, delete'); then name it with 'cdc: {{publication: {_options.Publication}}}'");
        }
        catch (Exception e) when (PostgresCall.IsDriverFailure(e))
        {
            throw PostgresCall.Translate(e, _calls);
        }
    }

    private async Task CheckPublicationAsync(NpgsqlConnection connection, IReadOnlyList<CdcTable> tables, CancellationToken ct)
    {
        var location = _options.Config?.LocationOf("cdc");
        var published = await PublishedAsync(connection, ct)
            ?? throw new ConfigException(location, $"publication '{_options.Publication}' does not exist in database {_connection.Database}",
                $"create it: CREATE PUBLICATION {SqlNames.Quote(_options.Publication)} FOR TABLE {string.Join(", ", tables.Select(t => t.Table.Qualified))}; or leave 'publication:' out and Sluice creates its own");
        var missing = tables.Where(t => !published.Contains(t.Table.ToString())).ToList();
        if (missing.Count > 0)
        {
            throw new ConfigException(location, $"publication '{_options.Publication}' does not publish {string.Join(", ", missing)}",
                $"run: ALTER PUBLICATION {SqlNames.Quote(_options.Publication)} ADD TABLE {string.Join(", ", missing.Select(t => t.Table.Qualified))};");
        }
    }

    /// <summary>The tables a publication publishes (<c>schema.table</c>); null when it does not exist.</summary>
    private async Task<HashSet<string>?> PublishedAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT p.pubname IS NOT NULL, t.schemaname::text || '.' || t.tablename::text
            FROM (SELECT $1::name AS wanted) w
            LEFT JOIN pg_publication p ON p.pubname = w.wanted
            LEFT JOIN pg_publication_tables t ON t.pubname = p.pubname
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = _options.Publication });
        await using var reader = await PostgresCall.RunAsync(_calls, () => command.ExecuteReaderAsync(ct));
        var tables = new HashSet<string>(StringComparer.Ordinal);
        var exists = false;
        while (await PostgresCall.RunAsync(_calls, () => reader.ReadAsync(ct)))
        {
            exists = reader.GetBoolean(0);
            if (!reader.IsDBNull(1))
            {
                tables.Add(reader.GetString(1));
            }
        }

        return exists ? tables : null;
    }

    private async Task<LogicalReplicationConnection> OpenReplicationAsync(CancellationToken ct)
    {
        // A replication connection takes a connection string only (no data source, so no password provider or
        // certificate callback): the password is asked for once here, and verify-ca/verify-full are Npgsql's own checks.
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = _connection.Host,
            Port = _connection.Port,
            Database = _connection.Database,
            Username = _connection.User,
            SslMode = _connection.SslMode,
            RootCertificate = _connection.SslRootCertificate,
            SslCertificate = _connection.SslCertificate,
            SslKey = _connection.SslKey,
            ApplicationName = $"sluice {_options.Slot}",
            Timeout = (int)Math.Ceiling(_connection.ConnectTimeout.TotalSeconds),
            // pgoutput writes values with the walsender's output functions: fix the settings their text depends on.
            Options = CdcSessionSettings.StartupOptions,
        };
        LogicalReplicationConnection? replication = null;
        try
        {
            if (_connection.CreatePasswordProvider(_time) is { } passwords)
            {
                builder.Password = await passwords.GetPasswordAsync(ct);
            }

            replication = new LogicalReplicationConnection(builder.ConnectionString);
            await replication.Open(ct);
            return replication;
        }
        catch (Exception e) when (PostgresCall.IsDriverFailure(e))
        {
            if (replication is not null)
            {
                await replication.DisposeAsync();
            }

            throw PostgresCall.Translate(e, _calls);
        }
    }
}
