namespace Sluice.EndToEnd;

/// <summary>
/// Replication slots (with their publications) that end-to-end tests create to stand for a CDC sync's, live or
/// forgotten, and names for them: slot names are cluster-wide, so every name is unique to the test process.
/// </summary>
internal static class TestSlots
{
    private static int _counter;

    /// <summary>A sync name no other test in this process (or another on the same cluster) uses.</summary>
    public static string Unique(string name) => $"{name}_{Environment.ProcessId}_{Interlocked.Increment(ref _counter)}";

    public static async Task CreateAsync(TestBed bed, string name)
    {
        await bed.ExecuteAsync($"CREATE PUBLICATION {name} FOR TABLE accounts");
        await bed.ExecuteAsync($"SELECT pg_create_logical_replication_slot('{name}', 'pgoutput')"); // alone: not in a transaction that wrote
    }

    public static async Task DropAsync(TestBed bed, string name)
    {
        await bed.ExecuteAsync($"DROP PUBLICATION IF EXISTS {name}");
        await bed.ExecuteAsync($"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '{name}' AND NOT active");
    }
}
