using System.Diagnostics;

namespace Sluice.EndToEnd;

/// <summary>
/// Nothing lost, nothing sent twice: the sync process is killed with SIGKILL mid-run, several
/// times, then allowed to finish. The emulator (in this process, so it survives) must hold every
/// row, and after its messageId deduplication none twice.
/// </summary>
public sealed class CrashTests
{
    private const int Rows = 100_000;

    [Fact]
    public async Task A_sync_killed_mid_run_several_times_resumes_with_nothing_lost_or_doubled()
    {
        await using var bed = await SyncTestBed.CreateAsync(nameof(A_sync_killed_mid_run_several_times_resumes_with_nothing_lost_or_doubled), Rows, "batch:\n  size: 500");
        var kills = 0;
        foreach (var threshold in new[] { 15_000, 40_000, 70_000 })
        {
            using var process = bed.StartSluice("sync", SyncTestBed.SyncName, "-c", bed.ConfigPath);
            var drain = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
            var watch = Stopwatch.StartNew();
            while (!process.HasExited && bed.Emulator.Stats.Events < threshold && watch.Elapsed < TimeSpan.FromMinutes(2))
            {
                await Task.Delay(5);
            }

            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true); // SIGKILL: no cleanup, no finally blocks
                kills++;
            }

            await process.WaitForExitAsync();
            await drain;
        }

        Assert.True(kills >= 2, $"the sync finished before it could be killed ({kills} kills); the test proves nothing");
        var runsBefore = (long)(await bed.ScalarAsync("SELECT count(*) FROM sluice.runs"))!;

        var (exit, output) = await bed.RunSluiceAsync("sync", SyncTestBed.SyncName, "-c", bed.ConfigPath);
        Assert.True(exit == 0, output);

        var stats = bed.Emulator.Stats;
        Assert.Equal(Rows, stats.DistinctUserIds);  // nothing lost
        Assert.Equal(Rows, stats.Unique);           // each row version under one messageId: nothing doubled after dedup
        Assert.Equal(stats.Unique + stats.Duplicates, stats.Events);
        Assert.Equal(runsBefore + 1, (long)(await bed.ScalarAsync("SELECT count(*) FROM sluice.runs"))!);
        // The ledger holds each row at most once per run that acknowledged it, and every row at least once.
        Assert.Equal((long)Rows, await bed.ScalarAsync("SELECT count(DISTINCT k) FROM sluice.send_ledger, unnest(record_keys) k"));
        // A cursor sync to Segment (no ids to keep) needs no per-record memory: the send ledger above is its record.
        Assert.Equal(0L, await bed.ScalarAsync("SELECT count(*) FROM sluice.record_state"));
        // The killed runs are recorded as interrupted by the run that followed each.
        Assert.Equal((long)kills, await bed.ScalarAsync("SELECT count(*) FROM sluice.runs WHERE status = 'interrupted'"));
        Assert.Equal(runsBefore + 1 - kills, await bed.ScalarAsync("SELECT count(*) FROM sluice.runs WHERE status = 'succeeded'"));
    }
}
