using Sluice.Core.Engine;
using Sluice.Core.State;
using Sluice.Testing.Doubles;

namespace Sluice.Core.Tests.Engine;

/// <summary>A source that never ends (CDC, the ingest queue): batches are cut by time as well as size, and the source hears of each commit.</summary>
public sealed class SyncRunnerStreamingTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_trickle_is_sent_as_soon_as_the_source_waits_and_the_run_goes_on()
    {
        var (harness, source) = Streaming(flushWindow: TimeSpan.Zero);
        using var stop = new CancellationTokenSource();
        var run = harness.StartAsync(ct: stop.Token);

        source.Push(0, 1, 2);
        await Until(() => harness.SentKeys().Count == 3);
        source.Push(3);
        await Until(() => harness.SentKeys().Count == 4);

        Assert.False(run.IsCompleted);
        Assert.Equal(["0", "1", "2", "3"], harness.SentKeys());
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Equal(RunStatus.Cancelled, harness.Store.Runs.Single().Outcome!.Status);
    }

    [Fact]
    public async Task The_source_hears_of_every_commit_in_order_and_only_after_it()
    {
        var (harness, source) = Streaming(flushWindow: TimeSpan.Zero);
        using var stop = new CancellationTokenSource();
        var run = harness.StartAsync(ct: stop.Token);

        for (var i = 0; i < 5; i++)
        {
            source.Push(i);
            await Until(() => source.Confirmed.Count > 0 && TestPosition.OffsetOf(source.Confirmed[^1]) == i);
        }

        var committed = harness.Store.Commits.Select(c => c.Checkpoint!).ToList();
        Assert.Equal(committed, source.Confirmed);
        Assert.Equal(source.Confirmed.OrderBy(TestPosition.OffsetOf), source.Confirmed);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    [Fact]
    public async Task A_batch_that_is_not_full_waits_for_the_flush_window()
    {
        var (harness, source) = Streaming(flushWindow: TimeSpan.FromSeconds(1));
        using var stop = new CancellationTokenSource();
        var run = harness.StartAsync(ct: stop.Token);

        source.Push(0, 1, 2);
        await harness.Time.WaitForTimersAsync(timeout: Patience);
        Assert.Empty(harness.Store.Commits);

        harness.Time.Advance(TimeSpan.FromSeconds(1));
        await Until(() => harness.SentKeys().Count == 3);

        Assert.Single(harness.Destination.Calls);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    [Fact]
    public async Task A_full_batch_goes_without_waiting_for_the_window()
    {
        var (harness, source) = Streaming(flushWindow: TimeSpan.FromHours(1), maxRecords: 4);
        using var stop = new CancellationTokenSource();
        var run = harness.StartAsync(ct: stop.Token);

        source.Push(0, 1, 2, 3, 4, 5, 6, 7, 8);
        await Until(() => harness.SentKeys().Count == 8);

        Assert.Equal([4, 4], harness.Destination.Calls.Select(c => c.Records.Count));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    [Fact]
    public async Task Stopping_while_the_source_waits_for_its_next_change_is_a_clean_stop()
    {
        // The destination never answers, so batches pile up until the read stage blocks handing a chunk on, with
        // the source's next read still waiting: the enumerator must not be disposed under it.
        var source = new StreamingSource();
        var harness = new SyncHarness(0, SyncHarness.Limits(maxRecords: 1)) { StreamingSource = source };
        harness.Destination.OnWrite = async call =>
        {
            await Task.Delay(Timeout.Infinite, call.Ct);
            return FakeDestination.AllOk(call);
        };
        using var stop = new CancellationTokenSource();
        var run = harness.StartAsync(ct: stop.Token);

        // With one batch in the destination, one waiting to be sent and one waiting for the in-flight window, the
        // producer stops taking chunks; once the chunk channel (8) is full too, the read stage blocks handing the
        // 12th change on — after it already asked the source for the 13th, which the source is waiting for.
        for (var i = 0; i < 12; i++)
        {
            var waits = source.Waits;
            source.Push(i);
            await Until(() => source.Waits > waits);
        }

        await Task.Delay(100);
        await stop.CancelAsync();
        var stopped = await Record.ExceptionAsync(() => run);

        Assert.IsAssignableFrom<OperationCanceledException>(stopped);
        Assert.Equal(RunStatus.Cancelled, harness.Store.Runs.Single().Outcome!.Status);
    }

    private static (SyncHarness Harness, StreamingSource Source) Streaming(TimeSpan flushWindow, int maxRecords = 100)
    {
        var source = new StreamingSource();
        var harness = new SyncHarness(0, SyncHarness.Limits(maxRecords: maxRecords) with { FlushWindow = flushWindow }) { StreamingSource = source };
        return (harness, source);
    }

    /// <summary>Waits for a condition that the run reaches on its own (no clock involved).</summary>
    private static async Task Until(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the run did not get there");
            await Task.Delay(5);
        }
    }
}
