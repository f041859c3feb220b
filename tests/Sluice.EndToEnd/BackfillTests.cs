using System.Diagnostics;
using Sluice.State;

namespace Sluice.EndToEnd;

/// <summary>
/// <c>sluice backfill</c>, run as a user runs it: a range of a table sync's rows, under its own checkpoint and
/// lock (<c>SYNC#backfill</c>), resumable after a SIGKILL, refusing what would lose or confuse a backfill.
/// </summary>
public sealed class BackfillTests
{
    private const string BackfillState = SyncTestBed.SyncName + "#backfill";

    [Fact]
    public async Task A_date_range_sends_exactly_its_rows_and_never_moves_the_live_checkpoint()
    {
        await using var bed = await SyncTestBed.CreateAsync(nameof(A_date_range_sends_exactly_its_rows_and_never_moves_the_live_checkpoint), 3_000);
        await bed.ScalarAsync("UPDATE users SET updated_at = '2024-01-01 00:00:00+00'::timestamptz + (id % 365) * interval '1 day'");
        var inRange = Enumerable.Range(1, 3_000).Where(i => i % 365 is >= 60 and < 91).Select(i => i.ToString()).Order().ToList(); // March 2024

        var (exit, output) = await bed.RunSluiceAsync("backfill", SyncTestBed.SyncName, "--from", "2024-03-01", "--to", "2024-04-01", "-c", bed.ConfigPath);

        Assert.True(exit == 0, output);
        Assert.Contains($"{inRange.Count:N0} read, {inRange.Count:N0} acknowledged", output, StringComparison.Ordinal);
        Assert.Contains("run_batches", output, StringComparison.Ordinal);
        Assert.Equal(inRange, bed.Emulator.Messages().Select(m => m.UserId!).Order());
        Assert.Equal(0L, await bed.ScalarAsync($"SELECT count(*) FROM sluice.checkpoints c JOIN sluice.syncs s ON s.id = c.sync_id WHERE s.name = '{SyncTestBed.SyncName}'"));
        Assert.Equal("backfill", await bed.ScalarAsync($"SELECT r.kind FROM sluice.runs r JOIN sluice.syncs s ON s.id = r.sync_id WHERE s.name = '{BackfillState}'"));
        Assert.Equal((long)inRange.Count, await bed.ScalarAsync("SELECT sum(records_read)::bigint FROM sluice.run_batches"));

        // The live sync then sends every row; the backfilled ones under the same message ids, so they are duplicates.
        (exit, output) = await bed.RunSluiceAsync("sync", SyncTestBed.SyncName, "-c", bed.ConfigPath);
        Assert.True(exit == 0, output);
        Assert.Equal(3_000, bed.Emulator.Stats.Unique);
        Assert.Equal(inRange.Count, bed.Emulator.Stats.Duplicates);

        // A second backfill (the first finished, so no --resume is needed) leaves the live checkpoint exactly as it was.
        const string live = $"SELECT c.value || '@' || c.generation FROM sluice.checkpoints c JOIN sluice.syncs s ON s.id = c.sync_id WHERE s.name = '{SyncTestBed.SyncName}'";
        var before = await bed.ScalarAsync(live);
        (exit, output) = await bed.RunSluiceAsync("backfill", SyncTestBed.SyncName, "--by", "key", "--from", "1", "--to", "101", "-c", bed.ConfigPath);
        Assert.True(exit == 0, output);
        Assert.Contains("100 read, 100 acknowledged", output, StringComparison.Ordinal);
        Assert.Equal(before, await bed.ScalarAsync(live));
        Assert.Equal(3_000, bed.Emulator.Stats.Unique);
    }

    [Fact]
    public async Task A_backfill_killed_mid_way_resumes_with_resume_without_gaps_and_nothing_doubled()
    {
        const int rows = 60_000;
        await using var bed = await SyncTestBed.CreateAsync(nameof(A_backfill_killed_mid_way_resumes_with_resume_without_gaps_and_nothing_doubled), rows, "batch:\n  size: 500");
        string[] range = ["--by", "key", "--from", "5001", "--to", "55001"];
        const int inRange = 50_000;

        using (var process = bed.StartSluice(["backfill", SyncTestBed.SyncName, .. range, "-c", bed.ConfigPath]))
        {
            var drain = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
            var watch = Stopwatch.StartNew();
            while (!process.HasExited && bed.Emulator.Stats.Events < 10_000 && watch.Elapsed < TimeSpan.FromMinutes(1))
            {
                await Task.Delay(5);
            }

            Assert.False(process.HasExited, "the backfill finished before it could be killed; the test proves nothing");
            process.Kill(entireProcessTree: true); // SIGKILL: no cleanup, no finally blocks
            await process.WaitForExitAsync();
            await drain;
        }

        // A request already on the wire when the process died may still land: wait until the emulator is quiet.
        await SettleAsync(bed);
        Assert.InRange(bed.Emulator.Stats.Unique, 1, inRange - 1);

        // Without --resume, the interrupted backfill is named, with how to continue it or drop it; nothing is sent.
        var events = bed.Emulator.Stats.Events;
        var (exit, output) = await bed.RunSluiceAsync(["backfill", SyncTestBed.SyncName, .. range, "-c", bed.ConfigPath]);
        Assert.True(exit == 2, output);
        Assert.Contains("was interrupted", output, StringComparison.Ordinal);
        Assert.Contains("pass --resume to continue it", output, StringComparison.Ordinal);
        Assert.Contains("--restart", output, StringComparison.Ordinal);

        // Resuming with another range is refused, and the command to continue the real one is given.
        (exit, output) = await bed.RunSluiceAsync("backfill", SyncTestBed.SyncName, "--by", "key", "--from", "5001", "--to", "60001", "--resume", "-c", bed.ConfigPath);
        Assert.True(exit == 2, output);
        Assert.Contains("the range you gave is id from 5001 to 60001 (excluded)", output, StringComparison.Ordinal);
        Assert.Contains($"to continue it: sluice backfill {SyncTestBed.SyncName} --by key --from 5001 --to 55001 --resume", output, StringComparison.Ordinal);
        Assert.Equal(events, bed.Emulator.Stats.Events);

        (exit, output) = await bed.RunSluiceAsync(["backfill", SyncTestBed.SyncName, .. range, "--resume", "-c", bed.ConfigPath]);
        Assert.True(exit == 0, output);
        Assert.Contains("resuming the backfill", output, StringComparison.Ordinal);

        var stats = bed.Emulator.Stats;
        Assert.Equal(inRange, stats.DistinctUserIds); // no gap
        Assert.Equal(inRange, stats.Unique);          // after messageId dedup, nothing twice
        Assert.Equal(stats.Unique + stats.Duplicates, stats.Events);
        Assert.Equal(Enumerable.Range(5001, inRange).Select(i => i.ToString()).Order(), bed.Emulator.Messages().Select(m => m.UserId!).Order());
        // Every committed batch of both runs is in run history, and together they cover the range exactly once.
        Assert.Equal((long)inRange, await bed.ScalarAsync("SELECT sum(records_read)::bigint FROM sluice.run_batches"));
        Assert.Equal("interrupted,succeeded", await bed.ScalarAsync("SELECT string_agg(status, ',' ORDER BY id) FROM sluice.runs"));

        // Resuming a finished backfill sends nothing and says so.
        (exit, output) = await bed.RunSluiceAsync(["backfill", SyncTestBed.SyncName, .. range, "--resume", "-c", bed.ConfigPath]);
        Assert.True(exit == 0, output);
        Assert.Contains("nothing to resume", output, StringComparison.Ordinal);
        Assert.Equal(stats.Events, bed.Emulator.Stats.Events);
    }

    [Fact]
    public async Task Two_backfills_of_one_sync_cannot_run_at_once_but_the_live_sync_runs_beside_one()
    {
        await using var bed = await SyncTestBed.CreateAsync(nameof(Two_backfills_of_one_sync_cannot_run_at_once_but_the_live_sync_runs_beside_one), 200);
        var store = await PostgresStateStore.OpenAsync(bed.Db);
        await using (var running = await store.TryAcquireAsync(BackfillState, default))
        {
            Assert.NotNull(running); // as a backfill in another process holds it

            var (exit, output) = await bed.RunSluiceAsync("backfill", SyncTestBed.SyncName, "--from", "2024-01-01", "-c", bed.ConfigPath);
            Assert.True(exit == 1, output);
            Assert.Contains($"a backfill of '{SyncTestBed.SyncName}' is already running", output, StringComparison.Ordinal);
            Assert.Equal(0, bed.Emulator.Stats.Events);

            (exit, output) = await bed.RunSluiceAsync("sync", SyncTestBed.SyncName, "-c", bed.ConfigPath);
            Assert.True(exit == 0, output);
            Assert.Equal(200, bed.Emulator.Stats.Unique);
        }
    }

    [Fact]
    public async Task A_bad_bound_a_missing_range_or_a_sync_without_a_cursor_exits_2_saying_why()
    {
        await using var bed = await SyncTestBed.CreateAsync(nameof(A_bad_bound_a_missing_range_or_a_sync_without_a_cursor_exits_2_saying_why), 10);

        var (exit, output) = await bed.RunSluiceAsync("backfill", SyncTestBed.SyncName, "--from", "2024-13-45", "--to", "2024-07-01", "-c", bed.ConfigPath);
        Assert.True(exit == 2, output);
        Assert.Contains("from '2024-13-45' is not a valid timestamp with time zone (the type of cursor column 'updated_at')", output, StringComparison.Ordinal);

        (exit, output) = await bed.RunSluiceAsync("backfill", SyncTestBed.SyncName, "--by", "key", "--from", "abc", "-c", bed.ConfigPath);
        Assert.True(exit == 2, output);
        Assert.Contains("is not a valid bigint", output, StringComparison.Ordinal);

        (exit, output) = await bed.RunSluiceAsync("backfill", SyncTestBed.SyncName, "-c", bed.ConfigPath);
        Assert.True(exit == 2, output);
        Assert.Contains("a backfill needs a range", output, StringComparison.Ordinal);

        var yaml = await File.ReadAllTextAsync(bed.ConfigPath);
        await File.WriteAllTextAsync(bed.ConfigPath, yaml.Replace("      cursor: updated_at\n", "", StringComparison.Ordinal));
        (exit, output) = await bed.RunSluiceAsync("backfill", SyncTestBed.SyncName, "--from", "1", "-c", bed.ConfigPath);
        Assert.True(exit == 2, output);
        Assert.Contains("has no cursor", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.Equal(0, bed.Emulator.Stats.Events);
    }

    /// <summary>Waits until the emulator has received nothing new for half a second.</summary>
    private static async Task SettleAsync(TestBed bed)
    {
        var last = bed.Emulator.Stats.Events;
        var quietSince = Stopwatch.StartNew();
        var deadline = Stopwatch.StartNew();
        while (quietSince.Elapsed < TimeSpan.FromMilliseconds(500) && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(50);
            var now = bed.Emulator.Stats.Events;
            if (now != last)
            {
                last = now;
                quietSince.Restart();
            }
        }
    }
}
