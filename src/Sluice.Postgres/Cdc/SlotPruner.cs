using Npgsql;
using Sluice.State;

namespace Sluice.Postgres.Cdc;

/// <summary>
/// Finds and drops the slots and publications Sluice created (<see cref="CdcNames.Prefix"/>) for syncs the config no
/// longer has. An orphaned slot is not harmless: the server keeps every WAL segment its reader has not confirmed, for
/// ever. A slot or publication a user named in the config is never touched, whatever its name.
/// </summary>
public static class SlotPruner
{
    /// <summary>Sluice's slots and publications in the connected database that no name in <paramref name="inUse"/> claims.</summary>
    public static async Task<IReadOnlyList<Orphan>> FindOrphansAsync(NpgsqlDataSource dataSource, IReadOnlySet<string> inUse, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(inUse);
        await using var command = dataSource.CreateCommand(
            """
            SELECT 'slot', slot_name::text, active, active_pid,
                   greatest(coalesce(pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END, restart_lsn), 0), 0)::bigint
            FROM pg_replication_slots WHERE database = current_database() AND left(slot_name, length($1)) = $1
            UNION ALL
            SELECT 'publication', pubname::text, false, NULL, NULL FROM pg_publication WHERE left(pubname, length($1)) = $1
            ORDER BY 1 DESC, 2
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = CdcNames.Prefix });
        var orphans = new List<Orphan>();
        await PostgresCall.RunAsync(PostgresCallContext.Connection(CdcPreflight.Describe(dataSource)), async () =>
        {
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var name = reader.GetString(1);
                if (inUse.Contains(name))
                {
                    continue;
                }

                orphans.Add(new Orphan(
                    reader.GetString(0) == "slot" ? OrphanKind.Slot : OrphanKind.Publication,
                    name,
                    reader.GetBoolean(2),
                    reader.IsDBNull(3) ? null : reader.GetInt32(3),
                    reader.IsDBNull(4) ? null : reader.GetInt64(4)));
            }
        });

        return orphans;
    }

    /// <summary>
    /// Drops one orphan. A slot with a reader attached is left alone (its reader is someone's running process)
    /// unless <paramref name="force"/>, which ends that reader's WAL sender first.
    /// </summary>
    public static async Task<PruneOutcome> DropAsync(NpgsqlDataSource dataSource, Orphan orphan, bool force, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(orphan);
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            if (orphan.Kind == OrphanKind.Publication)
            {
                await using var drop = new NpgsqlCommand($"DROP PUBLICATION IF EXISTS {SqlNames.Quote(orphan.Name)}", connection);
                await drop.ExecuteNonQueryAsync(ct);
                return new PruneOutcome(orphan, true, null);
            }

            // A reader may attach between the listing and the drop; the server then refuses with 55006.
            for (var attempt = 0; ; attempt++)
            {
                var pid = await ActivePidAsync(connection, orphan.Name, ct);
                if (pid is null && !await ExistsAsync(connection, orphan.Name, ct))
                {
                    return new PruneOutcome(orphan, true, null);
                }

                if (pid is { } reader)
                {
                    if (!force)
                    {
                        return new PruneOutcome(orphan, false, $"in use by pid {reader}; stop that reader, or run again with --force to end it");
                    }

                    await using var terminate = new NpgsqlCommand("SELECT pg_terminate_backend($1)", connection);
                    terminate.Parameters.Add(new NpgsqlParameter { Value = reader });
                    await terminate.ExecuteNonQueryAsync(ct);
                }

                try
                {
                    await using var drop = new NpgsqlCommand("SELECT pg_drop_replication_slot($1)", connection);
                    drop.Parameters.Add(new NpgsqlParameter { Value = orphan.Name });
                    await drop.ExecuteNonQueryAsync(ct);
                    return new PruneOutcome(orphan, true, null);
                }
                catch (PostgresException e) when (e.SqlState == "55006" && attempt < 50)
                {
                    // The terminated WAL sender releases the slot a moment after it is signalled.
                    await Task.Delay(100, ct);
                }
                catch (PostgresException e) when (e.SqlState == "42704")
                {
                    return new PruneOutcome(orphan, true, null); // dropped by someone else meanwhile
                }
            }
        }
        catch (PostgresException e) when (e.SqlState == "42501")
        {
            return new PruneOutcome(orphan, false, orphan.Kind == OrphanKind.Publication
                ? $"permission denied: only its owner (or a superuser) can drop it; as them run DROP PUBLICATION {SqlNames.Quote(orphan.Name)};"
                : $"permission denied: dropping a slot needs the REPLICATION attribute; as a superuser run SELECT pg_drop_replication_slot('{orphan.Name}');");
        }
        catch (PostgresException e) when (e.SqlState == "55006")
        {
            return new PruneOutcome(orphan, false, $"still in use: {e.MessageText}");
        }
        catch (Exception e) when (PostgresCall.IsDriverFailure(e))
        {
            throw PostgresCall.Translate(e, PostgresCallContext.Connection(CdcPreflight.Describe(dataSource)));
        }
    }

    /// <summary>Syncs the state store has history for that the config no longer names (<see cref="ForgottenSyncs.FindAsync"/>).</summary>
    public static Task<IReadOnlyList<string>> FindForgottenSyncsAsync(NpgsqlDataSource state, string schema, IReadOnlySet<string> declared, CancellationToken ct) =>
        ForgottenSyncs.FindAsync(state, schema, declared, ct);

    /// <summary>Deletes a removed sync's state (<see cref="ForgottenSyncs.ForgetAsync"/>).</summary>
    public static Task ForgetSyncAsync(NpgsqlDataSource state, string schema, string syncName, CancellationToken ct) =>
        ForgottenSyncs.ForgetAsync(state, schema, syncName, ct);

    private static async Task<int?> ActivePidAsync(NpgsqlConnection connection, string slot, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1 AND active", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = slot });
        return await command.ExecuteScalarAsync(ct) is int pid ? pid : null;
    }

    private static async Task<bool> ExistsAsync(NpgsqlConnection connection, string slot, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = slot });
        return await command.ExecuteScalarAsync(ct) is true;
    }

    public enum OrphanKind
    {
        Slot,
        Publication,
    }

    /// <summary>A Sluice slot or publication no sync claims.</summary>
    /// <param name="RetainedBytes">For a slot: the WAL it holds back.</param>
    public sealed record Orphan(OrphanKind Kind, string Name, bool Active, int? ActivePid, long? RetainedBytes)
    {
        public string Describe() => Kind == OrphanKind.Slot
            ? $"slot {Name} ({(Active ? $"in use by pid {ActivePid}" : "inactive")}, holding {SlotHealth.Bytes(RetainedBytes ?? 0)} of WAL)"
            : $"publication {Name}";
    }

    /// <summary>What became of one orphan: dropped, or why not.</summary>
    public sealed record PruneOutcome(Orphan Orphan, bool Dropped, string? Problem);
}
