namespace Sluice.EndToEnd;

/// <summary><c>sluice sync NAME --with-dependencies</c> through the binary: the chain in <c>after:</c> runs first, in order.</summary>
public sealed class SyncDependenciesTests
{
    private const string Grandparent = "users_to_segment";
    private const string Parent = "plans_to_segment";
    private const string Child = "upgrades_to_segment";

    [Fact]
    public async Task With_dependencies_the_whole_chain_runs_parents_first_and_without_the_flag_the_named_sync_runs_alone()
    {
        await using var bed = await CreateAsync(nameof(With_dependencies_the_whole_chain_runs_parents_first_and_without_the_flag_the_named_sync_runs_alone));

        var (aloneExit, alone) = await bed.RunSluiceAsync("sync", Child, "-c", bed.ConfigPath);
        Assert.True(aloneExit == 0, alone);
        Assert.Equal([Child], await RunsAsync(bed));
        Assert.DoesNotContain("running first", alone, StringComparison.Ordinal);

        var (exit, output) = await bed.RunSluiceAsync("sync", Child, "--with-dependencies", "-c", bed.ConfigPath);

        Assert.True(exit == 0, output);
        Assert.Equal([Child, Grandparent, Parent, Child], await RunsAsync(bed));
        Assert.Contains($"{Grandparent}: running first ('{Child}' runs after it)", output, StringComparison.Ordinal);
        Assert.Contains($"{Parent}: running first ('{Child}' runs after it)", output, StringComparison.Ordinal);
        // The parents sent their rows; the child had sent its own in the run before and found nothing new.
        Assert.Equal(20, bed.Emulator.Messages("identify").Count);
        Assert.Equal(20, bed.Emulator.Messages("group").Count);
        Assert.Equal(20, bed.Emulator.Messages("track").Count);
    }

    [Fact]
    public async Task With_dependencies_a_failing_parent_stops_the_chain_and_the_named_sync_does_not_run()
    {
        await using var bed = await CreateAsync(nameof(With_dependencies_a_failing_parent_stops_the_chain_and_the_named_sync_does_not_run));
        await bed.ExecuteAsync("ALTER TABLE users DROP COLUMN email"); // only the grandparent maps it

        var (exit, output) = await bed.RunSluiceAsync("sync", Child, "--with-dependencies", "-c", bed.ConfigPath);

        Assert.True(exit != 0, output);
        Assert.Contains($"{Grandparent}: running first", output, StringComparison.Ordinal);
        Assert.Contains("column 'email' does not exist", output, StringComparison.Ordinal);
        Assert.DoesNotContain(Parent + ": running first", output, StringComparison.Ordinal);
        Assert.DoesNotContain(await RunsAsync(bed), r => r is Parent or Child);
        Assert.Equal(0, bed.Emulator.Stats.Events);
    }

    /// <summary>The names of the syncs run so far, in the order their runs started; none before the state schema exists.</summary>
    private static async Task<List<string>> RunsAsync(TestBed bed)
    {
        var runs = new List<string>();
        if (await bed.ScalarAsync("SELECT to_regclass('sluice.runs')::text") is null or DBNull)
        {
            return runs;
        }

        await using var command = bed.Db.CreateCommand("SELECT s.name FROM sluice.runs r JOIN sluice.syncs s ON s.id = r.sync_id ORDER BY r.id");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            runs.Add(reader.GetString(0));
        }

        return runs;
    }

    /// <summary>Three syncs of one table, a chain: the upgrades after the plans, the plans after the users.</summary>
    private static Task<TestBed> CreateAsync(string name) =>
        TestBed.CreateAsync(name,
            """
            CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, plan text NOT NULL, updated_at timestamptz NOT NULL);
            INSERT INTO users SELECT i, 'user' || i || '@example.com', 'pro', '2024-01-01'::timestamptz + i * interval '1 second' FROM generate_series(1, 20) i;
            """,
            at => $$"""
                {{at.Connections(requestsPerSecond: 10000)}}
                syncs:
                  {{Child}}:
                    after: {{Parent}}
                    source: {connection: app, table: public.users, cursor: updated_at}
                    destination: {connection: segment, call: track, event: Plan Chosen}
                    mapping: {user_id: id, timestamp: updated_at, properties: {plan: plan} }
                  {{Parent}}:
                    after: [{{Grandparent}}]
                    source: {connection: app, table: public.users, cursor: updated_at}
                    destination: {connection: segment, call: group}
                    mapping: {user_id: id, group_id: plan, timestamp: updated_at}
                  {{Grandparent}}:
                    source: {connection: app, table: public.users, cursor: updated_at}
                    destination: {connection: segment, call: identify}
                    mapping: {user_id: id, timestamp: updated_at, traits: {email: email, plan: plan} }

                """);
}
