using System.Text.Json;
using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Core.State;
using Sluice.Emulators.Segment;
using Sluice.Server.Hosting;
using Sluice.Testing;

namespace Sluice.EndToEnd;

/// <summary>A query source diffed by fingerprints, on real PostgreSQL, to the Segment emulator over HTTP.</summary>
public sealed class DiffSyncTests
{
    private const string SyncName = "active_users";

    [Fact]
    public async Task A_query_sync_sends_every_row_then_nothing_then_exactly_what_was_added_or_changed()
    {
        await using var bed = await DiffBed.CreateAsync(nameof(A_query_sync_sends_every_row_then_nothing_then_exactly_what_was_added_or_changed), 1_000);
        await using var workspace = bed.Workspace();

        var first = await workspace.RunAsync(SyncName, RunKind.Incremental, null, default);
        Assert.Equal((1_000L, 1_000L), (first.Read, first.Acknowledged));
        Assert.Equal(1_000, bed.Emulator.Stats.Unique);

        var second = await workspace.RunAsync(SyncName, RunKind.Incremental, null, default);
        Assert.Equal((0L, 0L), (second.Read, second.Acknowledged));

        await bed.ExecuteAsync("""
            UPDATE users SET plan = 'enterprise' WHERE id IN (7, 420, 999);
            UPDATE users SET updated_at = now() WHERE id = 8; -- a column the mapping does not read: no change
            INSERT INTO users VALUES (1001, 'new1@example.com', 'free', now()), (1002, 'new2@example.com', 'pro', now());
            """);
        var third = await workspace.RunAsync(SyncName, RunKind.Incremental, null, default);

        Assert.Equal((5L, 5L), (third.Read, third.Acknowledged));
        Assert.Equal(1_005, bed.Emulator.Stats.Unique);
        Assert.Equal(0, bed.Emulator.Stats.Duplicates);
        var latest = bed.Emulator.Messages("identify").Skip(1_000).ToList();
        Assert.Equal(["1001", "1002", "420", "7", "999"], latest.Select(m => m.UserId!).Order(StringComparer.Ordinal));
        Assert.All(latest.Where(m => m.UserId is "7" or "420" or "999"),
            m => Assert.Equal("enterprise", JsonDocument.Parse(m.Json).RootElement.GetProperty("traits").GetProperty("plan").GetString()));
        Assert.Equal(1_002L, await bed.ScalarAsync("SELECT count(*) FROM sluice.record_state"));
    }

    [Fact]
    public async Task A_sync_on_added_ignores_changes_and_one_on_changed_ignores_new_rows()
    {
        await using var bed = await DiffBed.CreateAsync(nameof(A_sync_on_added_ignores_changes_and_one_on_changed_ignores_new_rows), 100, """
              on_added:
                source: {connection: app, query: "SELECT id, email, plan FROM users", key: [id]}
                destination: {connection: segment, call: identify}
                mapping: {user_id: id, traits: {plan: plan}}
                on: added
              on_changed:
                source: {connection: app, query: "SELECT id, email, plan FROM users", key: [id]}
                destination: {connection: segment, call: identify}
                mapping: {user_id: id, traits: {plan: plan}}
                on: [changed]
            """);
        await using var workspace = bed.Workspace();
        Assert.Equal(100, (await workspace.RunAsync("on_added", RunKind.Incremental, null, default)).Acknowledged);
        Assert.Equal(0, (await workspace.RunAsync("on_changed", RunKind.Incremental, null, default)).Acknowledged);

        await bed.ExecuteAsync("UPDATE users SET plan = 'enterprise' WHERE id IN (1, 2, 3); INSERT INTO users VALUES (101, 'n@example.com', 'free', now())");

        var added = await workspace.RunAsync("on_added", RunKind.Incremental, null, default);
        var changed = await workspace.RunAsync("on_changed", RunKind.Incremental, null, default);
        Assert.Equal((4L, 1L), (added.Read, added.Acknowledged));
        Assert.Equal((4L, 3L), (changed.Read, changed.Acknowledged));
    }

    [Fact]
    public async Task Deletes_to_Segment_are_refused_plainly_and_a_cursor_sync_keeps_working_beside_a_diff()
    {
        await using var bed = await DiffBed.CreateAsync(nameof(Deletes_to_Segment_are_refused_plainly_and_a_cursor_sync_keeps_working_beside_a_diff), 50, """
              deletes:
                source: {connection: app, query: "SELECT id, plan FROM users", key: [id]}
                destination: {connection: segment, call: identify}
                mapping: {user_id: id}
                on: [added, deleted]
              by_cursor:
                source: {connection: app, table: users, cursor: updated_at}
                destination: {connection: segment, call: identify}
                mapping: {user_id: id}
              bad_mode:
                source: {connection: app, query: "SELECT id FROM users", key: [id]}
                destination: {connection: segment, call: identify}
                mapping: {user_id: id}
                on: [added, delted]
            """);
        await using var workspace = bed.Workspace();

        var error = await Assert.ThrowsAsync<ConfigException>(() => workspace.RunAsync("deletes", RunKind.Incremental, null, default));
        Assert.Contains("cannot delete records", error.Message, StringComparison.Ordinal);
        Assert.Equal("syncs.deletes.on", error.Location?.KeyPath);

        var typo = Assert.Throws<ConfigException>(() => workspace.Build(workspace.FindSync("bad_mode")));
        Assert.Contains("did you mean 'deleted'?", typo.Message, StringComparison.Ordinal);

        Assert.Equal(50, (await workspace.RunAsync("by_cursor", RunKind.Incremental, null, default)).Acknowledged);
        Assert.Equal(0, (await workspace.RunAsync("by_cursor", RunKind.Incremental, null, default)).Acknowledged);
        Assert.Equal(50, (await workspace.RunAsync(SyncName, RunKind.Incremental, null, default)).Acknowledged);
    }

    [Fact]
    public async Task A_run_that_fails_midway_is_followed_by_one_that_sends_only_the_unacknowledged_rows()
    {
        await using var bed = await DiffBed.CreateAsync(nameof(A_run_that_fails_midway_is_followed_by_one_that_sends_only_the_unacknowledged_rows), 20_000,
            extraSyncKeys: "batch: {size: 500}\nretry: {max_attempts: 2, base_delay: 10ms, max_delay: 20ms}");
        await using var workspace = bed.Workspace();

        var run = workspace.RunAsync(SyncName, RunKind.Incremental, null, default);
        await Eventually.HoldsAsync(() => bed.Emulator.Stats.Events >= 5_000 || run.IsCompleted, "5,000 events sent before the faults begin",
            state: () => $"{bed.Emulator.Stats.Events} sent");

        bed.Emulator.SetFaults(new SegmentFaultOptions { ServerErrorRate = 1 });
        var failure = await Assert.ThrowsAsync<SluiceException>(() => run);
        Assert.Contains("gave up on a batch", failure.Message, StringComparison.Ordinal);

        var remembered = (long)(await bed.ScalarAsync("SELECT count(*) FROM sluice.record_state"))!;
        Assert.InRange(remembered, 500, 19_500);
        Assert.Equal(remembered, await bed.ScalarAsync("SELECT sum(cardinality(record_keys))::bigint FROM sluice.send_ledger"));

        bed.Emulator.SetFaults(new SegmentFaultOptions());
        var resumed = await workspace.RunAsync(SyncName, RunKind.Incremental, null, default);

        Assert.Equal(20_000 - remembered, resumed.Acknowledged);
        Assert.Equal(20_000, bed.Emulator.Stats.Unique);          // nothing lost, nothing doubled after dedup
        Assert.Equal(20_000, bed.Emulator.Stats.DistinctUserIds);
        Assert.Equal(0, (await workspace.RunAsync(SyncName, RunKind.Incremental, null, default)).Acknowledged);
    }

    [Fact]
    public async Task A_diff_of_200k_rows_streams_and_the_next_run_finds_nothing()
    {
        await using var bed = await DiffBed.CreateAsync(nameof(A_diff_of_200k_rows_streams_and_the_next_run_finds_nothing), 200_000);
        await using var workspace = bed.Workspace();

        var first = await workspace.RunAsync(SyncName, RunKind.Incremental, null, default);
        Assert.Equal(200_000, first.Acknowledged);
        Assert.Equal(200_000, bed.Emulator.Stats.Unique);

        await bed.ExecuteAsync("DELETE FROM users WHERE id % 1000 = 0; UPDATE users SET plan = 'pro' WHERE id = 12345");
        var second = await workspace.RunAsync(SyncName, RunKind.Incremental, null, default);
        Assert.Equal((201L, 1L), (second.Read, second.Acknowledged)); // 200 deletions are noticed, not sent
        Assert.Equal(199_800L, await bed.ScalarAsync("SELECT count(*) FROM sluice.record_state"));
    }

    /// <summary>A <c>users</c> table, the Segment emulator, and a sluice.yaml whose sync diffs a query over the table.</summary>
    /// <summary>A <c>users</c> table and a query sync of it (<c>active_users</c>) to Segment identify.</summary>
    private static class DiffBed
    {
        /// <param name="name">Names the test's database.</param>
        /// <param name="users">Rows in <c>users</c>.</param>
        /// <param name="moreSyncs">Further syncs, indented as entries of <c>syncs:</c> (by 2).</param>
        /// <param name="extraSyncKeys">Keys added to the <c>active_users</c> sync.</param>
        public static Task<TestBed> CreateAsync(string name, int users, string moreSyncs = "", string extraSyncKeys = "") =>
            TestBed.CreateAsync(name,
                $"""
                CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, plan text NOT NULL, updated_at timestamptz NOT NULL);
                INSERT INTO users SELECT i, 'user' || i || '@example.com', (ARRAY['free','trial','pro'])[1 + i % 3], '2024-01-01'
                FROM generate_series(1, {users}) i;
                """,
                at => $"""
                    {at.Connections(requestsPerSecond: 10000)}
                    syncs:
                      {SyncName}:
                        source:
                          connection: app
                          query: |
                            SELECT id, email, plan
                            FROM users
                            WHERE plan <> 'deleted';
                          key: [id]
                        destination: {"{"}connection: segment, call: identify{"}"}
                        mapping:
                          user_id: id
                          traits: {"{"}email: email, plan: plan{"}"}
                    {string.Join('\n', extraSyncKeys.Split('\n').Select(l => "    " + l))}
                    {moreSyncs}
                    """);
    }
}
