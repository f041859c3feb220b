using Sluice.Core.Connectors;
using Sluice.Core.Engine;
using Sluice.Core.Errors;
using Sluice.Core.State;
using Sluice.Testing.Doubles;
using static Sluice.Core.Tests.Engine.SyncHarness;

namespace Sluice.Core.Tests.Engine;

public sealed class SyncRunnerRetryTests
{
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Records_the_destination_asks_to_retry_are_resent_alone_under_the_same_message_ids()
    {
        var sync = new SyncHarness(4);
        sync.Destination.OnWrite = call => Task.FromResult<IReadOnlyList<WriteResult>>(call.Index == 0
            ? [WriteResult.Ok, WriteResult.Retry("server busy"), WriteResult.Ok, WriteResult.Retry("server busy")]
            : FakeDestination.AllOk(call));

        var run = sync.StartAsync();
        await sync.Time.WaitForTimersAsync(1);

        // Nothing is resent, and nothing committed, until the clock passes the backoff.
        Assert.Single(sync.Destination.Calls);
        Assert.Empty(sync.Store.Commits);
        var retry = Assert.Single(sync.Observer.Retries);
        Assert.Equal("2 records asked to be retried: server busy", retry.Reason);

        await sync.Time.AdvanceUntilCompletedAsync(run);

        var calls = sync.Destination.Calls;
        Assert.Equal(2, calls.Count);
        Assert.Equal(["msg-1", "msg-3"], calls[1].MessageIds);
        var commit = Assert.Single(sync.Store.Commits);
        Assert.Equal(["0", "1", "2", "3"], commit.Sent.Select(e => e.RecordKey).Order());
        Assert.Equal(TestPosition.CheckpointAt(3), commit.Checkpoint);
    }

    [Fact]
    public async Task A_per_record_retry_after_is_waited_out_before_the_resend()
    {
        var sync = new SyncHarness(2);
        var start = sync.Time.GetUtcNow();
        sync.Destination.OnWrite = call => Task.FromResult<IReadOnlyList<WriteResult>>(call.Index == 0
            ? [WriteResult.Ok, WriteResult.Retry("slow down", TimeSpan.FromSeconds(3))]
            : FakeDestination.AllOk(call));

        var run = sync.StartAsync();
        await sync.Time.WaitForTimersAsync(1);
        sync.Time.Advance(TimeSpan.FromSeconds(3) - Tick);

        Assert.Single(sync.Destination.Calls);

        sync.Time.Advance(Tick);
        await run.WaitAsync(Settle);
        Assert.Equal(["msg-1"], sync.Destination.Calls[1].MessageIds);
        Assert.Equal(TimeSpan.FromSeconds(3), Assert.Single(sync.Observer.Retries).Delay);
        Assert.Equal(start + TimeSpan.FromSeconds(3), sync.Gate.PausedUntil);
    }

    [Fact]
    public async Task A_rate_limited_batch_is_sent_again_after_the_retry_after_and_then_succeeds()
    {
        var sync = new SyncHarness(3);
        var start = sync.Time.GetUtcNow();
        sync.Destination.OnWrite = call => call.Index == 0
            ? throw SluiceException.Transient("Segment (api.segment.io): rate limited (429)", retryAfter: TimeSpan.FromSeconds(5))
            : Task.FromResult(FakeDestination.AllOk(call));

        var run = sync.StartAsync();
        await sync.Time.WaitForTimersAsync(1);

        Assert.Equal(start + TimeSpan.FromSeconds(5), sync.Gate.PausedUntil);
        Assert.Equal([("Segment (api.segment.io): rate limited (429)", TimeSpan.FromSeconds(5), 1)], sync.Observer.Retries);
        sync.Time.Advance(TimeSpan.FromSeconds(5) - Tick);
        Assert.Single(sync.Destination.Calls);
        Assert.Empty(sync.Store.Commits);

        sync.Time.Advance(Tick);
        var result = await run.WaitAsync(Settle);

        var calls = sync.Destination.Calls;
        Assert.Equal(2, calls.Count);
        Assert.Equal(calls[0].MessageIds, calls[1].MessageIds);
        Assert.Equal(3L, result.Acknowledged);
        Assert.Equal(TestPosition.CheckpointAt(2), Assert.Single(sync.Store.Commits).Checkpoint);
    }

    [Fact]
    public async Task Exhausting_the_retries_fails_the_run_and_leaves_the_checkpoint_where_it_was()
    {
        var sync = new SyncHarness(4, Limits(maxRecords: 2))
        {
            Options = new SyncRunOptions { Retry = new RetryOptions { MaxAttempts = 3, BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(2) } },
        };
        sync.Destination.OnWrite = call => call.Keys[0] == "2"
            ? throw SluiceException.Transient("Segment (api.segment.io): 503 Service Unavailable")
            : Task.FromResult(FakeDestination.AllOk(call));

        var error = await Assert.ThrowsAsync<SluiceException>(() => sync.RunAsync());

        Assert.Equal(ErrorClass.Fatal, error.Class);
        Assert.Contains("after 3 attempts", error.Message, StringComparison.Ordinal);
        Assert.Contains("503 Service Unavailable", error.Message, StringComparison.Ordinal);
        Assert.Contains("the checkpoint did not move", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, sync.Destination.Calls.Count(c => c.Keys[0] == "2"));
        // Batch 0 was delivered and committed; batch 1 was not, so the next run starts right after batch 0.
        Assert.Equal([0L], sync.Store.Commits.Select(c => c.Sequence));
        Assert.Equal(TestPosition.CheckpointAt(1), sync.Store.Checkpoint);
        var outcome = Assert.Single(sync.Store.Runs).Outcome;
        Assert.Equal(new RunOutcome(RunStatus.Failed, error.Message), outcome);
    }

    [Fact]
    public async Task A_destination_that_answers_the_wrong_number_of_results_fails_the_run_without_retrying()
    {
        var sync = new SyncHarness(3);
        sync.Destination.OnWrite = _ => Task.FromResult<IReadOnlyList<WriteResult>>([WriteResult.Ok]);

        var error = await Assert.ThrowsAsync<SluiceException>(() => sync.RunAsync());

        Assert.Equal(ErrorClass.Fatal, error.Class);
        Assert.Contains("answered 1 results for 3 records", error.Message, StringComparison.Ordinal);
        Assert.Single(sync.Destination.Calls);
        Assert.Empty(sync.Store.Commits);
    }

    [Fact]
    public async Task A_fatal_destination_error_is_not_retried()
    {
        var sync = new SyncHarness(3);
        sync.Destination.OnWrite = _ => throw SluiceException.Fatal("the write key was refused (401)");

        var error = await Assert.ThrowsAsync<SluiceException>(() => sync.RunAsync());

        Assert.Equal("the write key was refused (401)", error.Message);
        Assert.Single(sync.Destination.Calls);
        Assert.Empty(sync.Observer.Retries);
    }
}
