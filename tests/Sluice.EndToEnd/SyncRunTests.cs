using System.Text.Json;
using Sluice.Core.Errors;
using Sluice.Core.State;
using Sluice.Emulators.Segment;
using Sluice.Testing;

namespace Sluice.EndToEnd;

/// <summary>The engine on real PostgreSQL against the real Segment emulator over HTTP.</summary>
public sealed class SyncRunTests
{
    [Fact]
    public async Task A_sync_delivers_every_row_once_and_the_next_run_sends_only_what_changed()
    {
        await using var bed = await SyncTestBed.CreateAsync(nameof(A_sync_delivers_every_row_once_and_the_next_run_sends_only_what_changed), 5_000);
        await using var workspace = bed.Workspace();

        var first = await workspace.RunAsync(SyncTestBed.SyncName, RunKind.Incremental, null, default);
        Assert.Equal(5_000, first.Read);
        Assert.Equal(5_000, first.Acknowledged);
        Assert.Equal(5_000, bed.Emulator.Stats.Unique);
        Assert.Equal(5_000, bed.Emulator.Stats.DistinctUserIds);

        await bed.ScalarAsync("UPDATE users SET plan = 'enterprise', updated_at = now() WHERE id IN (7, 4242, 4999)");
        var second = await workspace.RunAsync(SyncTestBed.SyncName, RunKind.Incremental, null, default);
        Assert.Equal(3, second.Read);
        Assert.Equal(5_003, bed.Emulator.Stats.Unique);
        var upgraded = bed.Emulator.Messages("identify").Where(m => m.UserId == "4242").Select(m => JsonDocument.Parse(m.Json)).ToList();
        Assert.Contains(upgraded, m => m.RootElement.GetProperty("traits").GetProperty("plan").GetString() == "enterprise");

        var third = await workspace.RunAsync(SyncTestBed.SyncName, RunKind.Incremental, null, default);
        Assert.Equal(0, third.Read);
        Assert.Equal(5_003L, await bed.ScalarAsync("SELECT sum(cardinality(record_keys))::bigint FROM sluice.send_ledger"));
    }

    [Fact]
    public async Task A_full_resync_of_unchanged_rows_repeats_their_message_ids_so_Segment_drops_them()
    {
        await using var bed = await SyncTestBed.CreateAsync(nameof(A_full_resync_of_unchanged_rows_repeats_their_message_ids_so_Segment_drops_them), 1_000);
        await using var workspace = bed.Workspace();
        await workspace.RunAsync(SyncTestBed.SyncName, RunKind.Incremental, null, default);
        var full = await workspace.RunAsync(SyncTestBed.SyncName, RunKind.Full, null, default);

        Assert.Equal(1_000, full.Acknowledged);
        Assert.Equal(1_000, bed.Emulator.Stats.Unique);
        Assert.Equal(1_000, bed.Emulator.Stats.Duplicates);
    }

    [Fact]
    public async Task An_oversize_record_is_dead_lettered_while_the_rest_of_its_batch_flows()
    {
        await using var bed = await SyncTestBed.CreateAsync(nameof(An_oversize_record_is_dead_lettered_while_the_rest_of_its_batch_flows), 500);
        await bed.ScalarAsync("UPDATE users SET bio = repeat('x', 40000) WHERE id = 250");
        await using var workspace = bed.Workspace();

        var result = await workspace.RunAsync(SyncTestBed.SyncName, RunKind.Incremental, null, default);

        Assert.Equal(499, result.Acknowledged);
        Assert.Equal(1, result.Rejected);
        Assert.Equal(499, bed.Emulator.Stats.Unique);
        Assert.DoesNotContain(bed.Emulator.Messages(), m => m.UserId == "250");
        var reason = (string)(await bed.ScalarAsync("SELECT reason FROM sluice.dead_letters WHERE record_key = '250'"))!;
        Assert.Contains("at most 32 KB per record", reason, StringComparison.Ordinal);
        Assert.NotNull(await bed.ScalarAsync("SELECT payload FROM sluice.dead_letters WHERE record_key = '250'"));
    }

    [Fact]
    public async Task Rate_limiting_slows_the_run_and_everything_still_arrives_once()
    {
        await using var bed = await SyncTestBed.CreateAsync(nameof(Rate_limiting_slows_the_run_and_everything_still_arrives_once), 2_000, "batch:\n  size: 100",
            new SegmentEmulatorOptions { Port = 0, Faults = new SegmentFaultOptions { RateLimitRate = 0.3, ServerErrorRate = 0.1, RetryAfterSeconds = 1, Seed = 7 } });
        await using var workspace = bed.Workspace();

        var result = await workspace.RunAsync(SyncTestBed.SyncName, RunKind.Incremental, null, default);

        Assert.Equal(2_000, result.Acknowledged);
        Assert.True(bed.Emulator.Stats.RateLimited > 0, "the emulator should have answered some requests with 429");
        Assert.Equal(2_000, bed.Emulator.Stats.Unique);
        Assert.Equal(0, bed.Emulator.Stats.Duplicates); // a refused request records nothing, so a retry is the first delivery
    }

    [Fact]
    public async Task A_second_run_of_a_sync_that_is_already_running_is_refused_plainly()
    {
        await using var bed = await SyncTestBed.CreateAsync(nameof(A_second_run_of_a_sync_that_is_already_running_is_refused_plainly), 300, "batch:\n  size: 100",
            new SegmentEmulatorOptions { Port = 0, Faults = new SegmentFaultOptions { SlowRate = 1, SlowDelay = TimeSpan.FromSeconds(1) } });
        await using var first = bed.Workspace();
        await using var second = bed.Workspace(); // another process, as far as the state store can tell

        var running = first.RunAsync(SyncTestBed.SyncName, RunKind.Incremental, null, default);
        await WaitUntilAsync(async () =>
        {
            try
            {
                return await bed.ScalarAsync("SELECT count(*) FROM sluice.runs WHERE status = 'running'") is 1L;
            }
            catch (Npgsql.PostgresException e) when (e.SqlState == "42P01")
            {
                return false; // the state schema is not there yet
            }
        });
        var refused = await Assert.ThrowsAsync<SyncAlreadyRunningException>(() => second.RunAsync(SyncTestBed.SyncName, RunKind.Incremental, null, default));
        Assert.Contains("already running", refused.Message, StringComparison.Ordinal);

        Assert.Equal(300, (await running).Acknowledged);
        var afterwards = await second.RunAsync(SyncTestBed.SyncName, RunKind.Incremental, null, default);
        Assert.Equal(0, afterwards.Read);
    }

    [Fact]
    public async Task A_refused_write_key_fails_the_run_without_moving_the_checkpoint()
    {
        await using var bed = await SyncTestBed.CreateAsync(nameof(A_refused_write_key_fails_the_run_without_moving_the_checkpoint), 100, "",
            new SegmentEmulatorOptions { Port = 0, WriteKeys = ["the-right-key"] });
        await using var workspace = bed.Workspace();

        var error = await Assert.ThrowsAnyAsync<SluiceException>(() => workspace.RunAsync(SyncTestBed.SyncName, RunKind.Incremental, null, default));
        Assert.Contains("write", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Null(await bed.ScalarAsync("SELECT value FROM sluice.checkpoints"));
        Assert.Equal("failed", await bed.ScalarAsync("SELECT status FROM sluice.runs"));
    }

    private static Task WaitUntilAsync(Func<Task<bool>> condition) =>
        Eventually.HoldsAsync(condition, "the condition", TimeSpan.FromSeconds(20));
}
