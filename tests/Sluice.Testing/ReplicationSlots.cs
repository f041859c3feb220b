using Npgsql;

namespace Sluice.Testing;

/// <summary>A test's replication slots, dropped at its end: a slot holds WAL for ever, even in a throwaway cluster.</summary>
public static class ReplicationSlots
{
    /// <summary>
    /// Drops every slot of <paramref name="db"/>'s database once no process streams from it. Stop what reads the slots
    /// first: a walsender lets go of its slot a moment after its client has gone, which is waited for here; a slot
    /// still held after that is an error naming the process, not PostgreSQL's "slot is active" mid-drop.
    /// </summary>
    public static async Task DropAllAsync(NpgsqlDataSource db)
    {
        await Eventually.HoldsAsync(async () => await ActiveAsync(db) is null, "the database's replication slots released by their readers",
            state: () => $"still held: {ActiveAsync(db).GetAwaiter().GetResult()}");
        await using var drop = db.CreateCommand("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = current_database() AND NOT active");
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary>The database's slots that a process streams from, as <c>slot (pid n)</c>; null when none.</summary>
    private static async Task<string?> ActiveAsync(NpgsqlDataSource db)
    {
        await using var command = db.CreateCommand(
            "SELECT string_agg(slot_name || ' (pid ' || active_pid || ')', ', ') FROM pg_replication_slots WHERE database = current_database() AND active");
        return await command.ExecuteScalarAsync() as string;
    }
}
