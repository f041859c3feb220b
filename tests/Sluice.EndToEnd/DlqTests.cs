using Sluice.Postgres.Destinations;

namespace Sluice.EndToEnd;

/// <summary><c>sluice dlq list|replay</c>: events refused for a missing table wait in the queue, and land once it exists.</summary>
public sealed class DlqTests
{
    private const string SyncName = "events_to_table";

    [Fact]
    public async Task Events_refused_for_a_missing_table_are_listed_then_replayed_once_it_exists()
    {
        await using var bed = await CreateAsync(nameof(Events_refused_for_a_missing_table_are_listed_then_replayed_once_it_exists), events: 20);

        var (synced, syncOutput) = await bed.RunSluiceAsync("sync", SyncName, "-c", bed.ConfigPath);
        Assert.True(synced == 0, syncOutput);
        Assert.Contains("20 dead-lettered", syncOutput, StringComparison.Ordinal);

        var (listed, list) = await bed.RunSluiceAsync("dlq", "list", SyncName, "-c", bed.ConfigPath);
        Assert.True(listed == 0, list);
        Assert.Equal(20, list.Split('\n').Count(l => l.Contains("table public.events does not exist", StringComparison.Ordinal)));
        Assert.DoesNotContain("sluice.events_row", list, StringComparison.Ordinal);
        var (_, withPayload) = await bed.RunSluiceAsync("dlq", "list", SyncName, "--limit", "1", "--show-payload", "-c", bed.ConfigPath);
        Assert.Contains("sluice.events_row", withPayload, StringComparison.Ordinal);
        Assert.Contains("the latest 1 of 20", withPayload, StringComparison.Ordinal);

        var (unsaid, unsaidOutput) = await bed.RunSluiceAsync("dlq", "replay", SyncName, "-c", bed.ConfigPath);
        Assert.True(unsaid == 2, unsaidOutput);

        var (stillMissing, stillMissingOutput) = await bed.RunSluiceAsync("dlq", "replay", SyncName, "--all", "-c", bed.ConfigPath);
        Assert.True(stillMissing == 1, stillMissingOutput);
        Assert.Contains("0 delivered, 20 refused again", stillMissingOutput, StringComparison.Ordinal);

        await bed.ExecuteAsync(EventsTableDdl.CreateTable("public", "events"));
        var (replayed, replayOutput) = await bed.RunSluiceAsync("dlq", "replay", SyncName, "--all", "-c", bed.ConfigPath);
        Assert.True(replayed == 0, replayOutput);
        Assert.Contains("20 delivered, 0 refused again", replayOutput, StringComparison.Ordinal);
        Assert.Equal(20L, await bed.ScalarAsync("SELECT count(*) FROM public.events"));
        Assert.Equal(20L, await bed.ScalarAsync("SELECT count(*) FROM public.events e JOIN incoming i USING (event_id) WHERE e.payload = i.payload->'payload'"));

        var (_, empty) = await bed.RunSluiceAsync("dlq", "list", SyncName, "-c", bed.ConfigPath);
        Assert.Contains($"no dead letters for sync '{SyncName}'", empty, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_replay_is_refused_while_the_sync_runs()
    {
        await using var bed = await CreateAsync(nameof(A_replay_is_refused_while_the_sync_runs), events: 3);
        await bed.RunSluiceAsync("sync", SyncName, "-c", bed.ConfigPath);
        await using var workspace = bed.Workspace();
        var store = await workspace.StateAsync(default);

        await using (var running = await store.TryAcquireAsync(SyncName, default))
        {
            Assert.NotNull(running);
            var (exit, output) = await bed.RunSluiceAsync("dlq", "replay", SyncName, "--all", "-c", bed.ConfigPath);
            Assert.True(exit == 1, output);
            Assert.Contains($"sync '{SyncName}' is running", output, StringComparison.Ordinal);
        }

        Assert.Equal(3, (await store.DeadLetters.ListAsync(SyncName, 10, includeReplayed: false, withPayload: false, default)).Total);
    }

    /// <summary>
    /// Events in a table shaped like the ingest source (its columns), read by cursor into an events table that does
    /// not exist yet: every event is dead-lettered, with the CREATE TABLE as the fix.
    /// </summary>
    private static Task<TestBed> CreateAsync(string name, int events) =>
        TestBed.CreateAsync(name,
            $$"""
            CREATE TABLE incoming (
                event_id uuid PRIMARY KEY, source text NOT NULL, kind text NOT NULL, type text NOT NULL, event text,
                received_at timestamptz NOT NULL, payload jsonb NOT NULL, updated_at timestamptz NOT NULL
            );
            INSERT INTO incoming
            SELECT gen_random_uuid(), 'web', 'envelope', 'invoice.paid', 'invoice.paid', '2024-05-01T12:00:00Z',
                   jsonb_build_object('eventType', 'invoice.paid', 'occurredAt', '2024-05-01T11:00:00Z', 'customerExternalId', 'cus_' || i,
                                      'payload', jsonb_build_object('amount', i)),
                   '2024-05-01'::timestamptz + i * interval '1 second'
            FROM generate_series(1, {{events}}) i;
            """,
            at => $"""
                {at.Connections(segment: false)}
                syncs:
                  {SyncName}:
                    source:
                      connection: app
                      table: public.incoming
                      cursor: updated_at
                    destination:
                      connection: app
                      table: public.events
                """);
}
