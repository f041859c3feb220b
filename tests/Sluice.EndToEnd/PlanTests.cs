using System.Text.Json;
using Sluice.Core.Engine;
using Sluice.Core.Records;
using Sluice.Core.State;

namespace Sluice.EndToEnd;

/// <summary><c>sluice plan</c> on real PostgreSQL and the Segment emulator: exact forecasts, nothing sent, no state written.</summary>
public sealed class PlanTests
{
    private const string QuerySync = "active_users";

    /// <summary>A diffing sync beside the test bed's cursor sync, on the same <c>users</c> table.</summary>
    private const string QuerySyncYaml = $"""
          {QuerySync}:
            source:
              connection: app
              query: SELECT id, email, plan, bio FROM users
              key: [id]
            destination: {"{"}connection: segment, call: identify{"}"}
            mapping:
              user_id: id
              traits: {"{"}email: email, plan: plan, bio: bio{"}"}

        """;

    [Fact]
    public async Task A_fresh_sync_plans_every_row_as_added_with_samples_and_writes_nothing_not_even_the_state_schema()
    {
        await using var bed = await BedAsync(nameof(A_fresh_sync_plans_every_row_as_added_with_samples_and_writes_nothing_not_even_the_state_schema), 100);
        await using var workspace = bed.Workspace();

        var plan = await workspace.PlanAsync(QuerySync, 3, default);

        Assert.True(plan.Diffs);
        Assert.False(plan.Incremental);
        Assert.Equal((100L, 0L, 0L, 100L, 0L, 0L), (plan.Added, plan.Changed, plan.Deleted, plan.WouldSend, plan.LeftOut, plan.WouldDeadLetter));
        Assert.Equal([new SyncPlan.Call("identify", 100)], plan.Calls);
        Assert.Equal(["1", "10", "100"], plan.Samples.Select(s => s.Key)); // key text in byte order, as the diff reads
        var first = JsonDocument.Parse(plan.Samples[0].Payload).RootElement;
        Assert.Equal("identify", first.GetProperty("type").GetString());
        Assert.Equal("user1@example.com", first.GetProperty("traits").GetProperty("email").GetString());
        Assert.Equal(plan.Samples[0].MessageId, first.GetProperty("messageId").GetString());

        Assert.Equal(0, bed.Emulator.Stats.Events);
        Assert.Equal(false, await bed.ScalarAsync("SELECT to_regnamespace('sluice') IS NOT NULL"));
    }

    [Fact]
    public async Task After_a_run_the_plan_is_empty_and_after_changes_it_counts_exactly_what_the_next_run_sends()
    {
        await using var bed = await BedAsync(nameof(After_a_run_the_plan_is_empty_and_after_changes_it_counts_exactly_what_the_next_run_sends), 100);
        await using var workspace = bed.Workspace();
        Assert.Equal(100, (await workspace.RunAsync(QuerySync, RunKind.Incremental, null, default)).Acknowledged);
        var sent = bed.Emulator.Stats.Events;

        var nothing = await workspace.PlanAsync(QuerySync, 3, default);
        Assert.True(nothing.Incremental);
        Assert.Equal((0L, 0L), (nothing.Read, nothing.WouldSend));
        Assert.Empty(nothing.Samples);

        await bed.ScalarAsync("""
            UPDATE users SET plan = 'enterprise' WHERE id IN (7, 42, 99);
            UPDATE users SET updated_at = now() WHERE id = 8; -- not read by the query: no change
            INSERT INTO users VALUES (101, 'new1@example.com', 'free', NULL, now()), (102, 'new2@example.com', 'pro', NULL, now());
            DELETE FROM users WHERE id = 50;
            """);
        var before = await StateAsync(bed);
        var plan = await workspace.PlanAsync(QuerySync, 3, default);

        Assert.Equal((2L, 3L, 1L), (plan.Added, plan.Changed, plan.Deleted));
        Assert.Equal((5L, 1L, 0L), (plan.WouldSend, plan.LeftOut, plan.WouldDeadLetter)); // the deletion is left out by the default mode
        Assert.Equal([new SyncPlan.Call("identify", 5)], plan.Calls);
        // The first three changes as the run hands them on: a bigint key is read in the table's order (docs/config.md).
        (string, ChangeKinds)[] changes = [("101", ChangeKinds.Added), ("102", ChangeKinds.Added), ("42", ChangeKinds.Changed), ("7", ChangeKinds.Changed), ("99", ChangeKinds.Changed)];
        Assert.Equal(3, plan.Samples.Select(s => s.Key).Distinct().Count());
        Assert.All(plan.Samples, s => Assert.Contains((s.Key, s.Kind), changes));
        Assert.All(plan.Samples.Where(s => s.Kind == ChangeKinds.Changed), s =>
            Assert.Equal("enterprise", JsonDocument.Parse(s.Payload).RootElement.GetProperty("traits").GetProperty("plan").GetString()));
        Assert.Equal(before, await StateAsync(bed));
        Assert.Equal(sent, bed.Emulator.Stats.Events);

        // The forecast is what the run then does, under the same message ids.
        var run = await workspace.RunAsync(QuerySync, RunKind.Incremental, null, default);
        Assert.Equal(5, run.Acknowledged);
        var ids = bed.Emulator.Messages("identify").Skip(100).Select(m => JsonDocument.Parse(m.Json).RootElement.GetProperty("messageId").GetString()).ToHashSet();
        Assert.All(plan.Samples, s => Assert.Contains(s.MessageId, ids));
    }

    [Fact]
    public async Task A_cursor_sync_plans_what_it_would_read_and_a_record_too_large_is_predicted_as_dead_lettered()
    {
        await using var bed = await BedAsync(nameof(A_cursor_sync_plans_what_it_would_read_and_a_record_too_large_is_predicted_as_dead_lettered), 50);
        await bed.ScalarAsync("UPDATE users SET bio = repeat('x', 40000) WHERE id = 5");
        await using var workspace = bed.Workspace();

        var plan = await workspace.PlanAsync(SyncTestBed.SyncName, 2, default);

        Assert.False(plan.Diffs);
        Assert.Equal((50L, 0L, 49L, 1L), (plan.Unclassified, plan.Added, plan.WouldSend, plan.WouldDeadLetter));
        Assert.Equal("5", Assert.Single(plan.Refusals).Key);
        Assert.Contains("accepts at most 32 KB per record", plan.Refusals[0].Reason, StringComparison.Ordinal);
        Assert.Equal(2, plan.Samples.Count);

        await workspace.RunAsync(SyncTestBed.SyncName, RunKind.Incremental, null, default);
        Assert.Equal(0, (await workspace.PlanAsync(SyncTestBed.SyncName, 2, default)).Read);
    }

    [Fact]
    public async Task The_plan_command_prints_counts_calls_and_samples_for_every_sync_sends_nothing_and_exits_0()
    {
        await using var bed = await BedAsync(nameof(The_plan_command_prints_counts_calls_and_samples_for_every_sync_sends_nothing_and_exits_0), 20);

        var (exit, output) = await bed.RunSluiceAsync("plan", "-c", bed.ConfigPath, "--samples", "1");

        Assert.True(exit == 0, output);
        Assert.Contains($"{SyncTestBed.SyncName}: table public.users", output, StringComparison.Ordinal);
        Assert.Contains($"{QuerySync}: query (key id)", output, StringComparison.Ordinal);
        Assert.Contains("calls: 20 × identify", output, StringComparison.Ordinal);
        Assert.Contains("sample 1 of 20: record 1 (added, upsert)", output, StringComparison.Ordinal);
        Assert.Contains("\"email\": \"user1@example.com\"", output, StringComparison.Ordinal); // pretty-printed
        Assert.Contains("nothing was sent and no state was written", output, StringComparison.Ordinal);
        Assert.Equal(0, bed.Emulator.Stats.Events);
    }

    [Fact]
    public async Task A_misspelt_sync_exits_2_with_a_suggestion()
    {
        await using var bed = await BedAsync(nameof(A_misspelt_sync_exits_2_with_a_suggestion), 1);
        var (exit, output) = await bed.RunSluiceAsync("plan", "activ_users", "-c", bed.ConfigPath);
        Assert.True(exit == 2, output);
        Assert.Contains("did you mean 'active_users'?", output, StringComparison.Ordinal);
        Assert.Equal(0, bed.Emulator.Stats.Events);
    }

    private static async Task<TestBed> BedAsync(string name, int users)
    {
        var bed = await SyncTestBed.CreateAsync(name, users);
        await File.AppendAllTextAsync(bed.ConfigPath, QuerySyncYaml);
        return bed;
    }

    /// <summary>Everything a run writes, as one comparable text: syncs, checkpoints, runs, ledger, fingerprints, dead letters, audit.</summary>
    private static async Task<string> StateAsync(TestBed bed) => (string)(await bed.ScalarAsync("""
        SELECT concat_ws(' | ',
            (SELECT string_agg(id || name, ',' ORDER BY id) FROM sluice.syncs),
            (SELECT string_agg(sync_id || value || generation || updated_at, ',' ORDER BY sync_id) FROM sluice.checkpoints),
            (SELECT string_agg(id || status || records_read || acknowledged, ',' ORDER BY id) FROM sluice.runs),
            (SELECT count(*) || ':' || md5(string_agg(run_id || ':' || batch_seq || array_to_string(record_keys, ','), ';' ORDER BY run_id, batch_seq)) FROM sluice.send_ledger),
            (SELECT count(*) || ':' || md5(string_agg(record_key || encode(fingerprint, 'hex') || updated_at, ';' ORDER BY record_key)) FROM sluice.record_state),
            (SELECT count(*) FROM sluice.dead_letters),
            (SELECT count(*) FROM sluice.audit_log))
        """))!;
}
