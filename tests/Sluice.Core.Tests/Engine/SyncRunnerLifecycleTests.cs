using Sluice.Core.Errors;
using Sluice.Core.State;
using Sluice.Testing.Doubles;

namespace Sluice.Core.Tests.Engine;

public sealed class SyncRunnerLifecycleTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task A_sync_whose_lock_is_held_elsewhere_is_not_run()
    {
        var sync = new SyncHarness(3);
        sync.Store.HoldLock(SyncHarness.SyncName);

        var error = await Assert.ThrowsAsync<SyncAlreadyRunningException>(() => sync.RunAsync());

        Assert.Equal(SyncHarness.SyncName, error.SyncName);
        Assert.Empty(sync.Source.Requests);
        Assert.Empty(sync.Store.Runs);
    }

    [Fact]
    public async Task An_incremental_run_reads_after_the_stored_checkpoint()
    {
        var sync = new SyncHarness(10, store: new InMemoryStateStore(TestPosition.CheckpointAt(4)));

        var result = await sync.RunAsync(RunKind.Incremental);

        Assert.Equal(TestPosition.CheckpointAt(4), Assert.Single(sync.Source.Requests).From);
        Assert.Equal(["5", "6", "7", "8", "9"], sync.SentKeys());
        Assert.Equal(5L, result.Read);
        Assert.Equal(RunKind.Incremental, Assert.Single(sync.Store.Runs).Kind);
    }

    [Fact]
    public async Task A_full_run_ignores_the_stored_checkpoint()
    {
        var sync = new SyncHarness(10, store: new InMemoryStateStore(TestPosition.CheckpointAt(4)));

        var result = await sync.RunAsync(RunKind.Full);

        Assert.Null(Assert.Single(sync.Source.Requests).From);
        Assert.Equal(SyncHarness.Keys(0, 10), sync.SentKeys());
        Assert.Equal(10L, result.Read);
        Assert.Equal(RunKind.Full, Assert.Single(sync.Store.Runs).Kind);
    }

    [Fact]
    public async Task A_run_after_a_finished_one_picks_up_where_it_ended()
    {
        var sync = new SyncHarness(6);

        await sync.RunAsync();
        var second = await sync.RunAsync();

        Assert.Equal(0L, second.Read);
        Assert.Equal(TestPosition.CheckpointAt(5), sync.Source.Requests[1].From);
        Assert.Equal([1L, 2L], sync.Store.Runs.Select(r => r.RunId));
    }

    [Fact]
    public async Task What_a_source_says_about_how_it_reads_is_told_when_the_run_starts()
    {
        var harness = new SyncHarness(3) { Source = new FakeSource(3) { Notice = "sync 'users_to_fake': polling instead" } };

        await harness.RunAsync();

        Assert.Equal(["sync 'users_to_fake': polling instead"], harness.Observer.Notices);
    }

    [Fact]
    public async Task A_source_with_nothing_to_say_tells_nothing()
    {
        var harness = new SyncHarness(3);

        await harness.RunAsync();

        Assert.Empty(harness.Observer.Notices);
    }

    [Fact]
    public async Task A_successful_run_is_finished_as_succeeded()
    {
        var sync = new SyncHarness(3);

        var result = await sync.RunAsync();

        var run = Assert.Single(sync.Store.Runs);
        Assert.Equal(result.RunId, run.RunId);
        Assert.Equal(new RunOutcome(RunStatus.Succeeded), run.Outcome);
    }

    [Fact]
    public async Task A_failed_run_is_finished_as_failed_with_the_errors_message()
    {
        var sync = new SyncHarness(3);
        sync.Destination.OnWrite = _ => throw SluiceException.Fatal("the write key was refused (401)");

        await Assert.ThrowsAsync<SluiceException>(() => sync.RunAsync());

        Assert.Equal(new RunOutcome(RunStatus.Failed, "the write key was refused (401)"), Assert.Single(sync.Store.Runs).Outcome);
    }

    [Fact]
    public async Task A_run_that_fails_on_a_bug_is_finished_as_an_internal_error()
    {
        // A destination's bug costs only the record (SyncRunnerPoisonRecordTests); a bug elsewhere fails the run.
        var sync = new SyncHarness(3) { Source = new FakeSource(3) { CrashAt = 1 } };

        await Assert.ThrowsAsync<InvalidOperationException>(() => sync.RunAsync());

        Assert.Equal(new RunOutcome(RunStatus.Failed, "internal error: boom"), Assert.Single(sync.Store.Runs).Outcome);
    }

    [Fact]
    public async Task A_cancelled_run_is_finished_as_cancelled_and_commits_nothing_more()
    {
        var sync = new SyncHarness(3);
        var writing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        sync.Destination.OnWrite = async call =>
        {
            writing.TrySetResult();
            await Task.Delay(Timeout.InfiniteTimeSpan, call.Ct);
            return FakeDestination.AllOk(call);
        };
        using var cts = new CancellationTokenSource();

        var run = sync.StartAsync(ct: cts.Token);
        await writing.Task.WaitAsync(Settle);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(Settle));
        Assert.Equal(RunStatus.Cancelled, Assert.Single(sync.Store.Runs).Outcome?.Status);
        Assert.Empty(sync.Store.Commits);
    }

    [Fact]
    public async Task A_cancelled_run_held_in_a_rate_limit_pause_ends_without_waiting_it_out()
    {
        var sync = new SyncHarness(3);
        sync.Destination.OnWrite = call => throw SluiceException.Transient("429", retryAfter: TimeSpan.FromMinutes(5));
        using var cts = new CancellationTokenSource();

        var run = sync.StartAsync(ct: cts.Token);
        await sync.Time.WaitForTimersAsync(1);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(Settle));
        Assert.Equal(RunStatus.Cancelled, Assert.Single(sync.Store.Runs).Outcome?.Status);
    }

    [Fact]
    public async Task The_lock_is_released_when_a_run_fails()
    {
        var sync = new SyncHarness(3);
        sync.Destination.OnWrite = _ => throw SluiceException.Fatal("down");
        await Assert.ThrowsAsync<SluiceException>(() => sync.RunAsync());

        sync.Destination.OnWrite = call => Task.FromResult(FakeDestination.AllOk(call));
        var result = await sync.RunAsync();

        Assert.Equal(3L, result.Acknowledged);
    }

    [Fact]
    public async Task Retries_are_reported_to_the_observer_with_their_delay_and_attempt()
    {
        var sync = new SyncHarness(2);
        sync.Destination.OnWrite = call => call.Index == 0
            ? throw SluiceException.Transient("429", retryAfter: TimeSpan.FromSeconds(2))
            : Task.FromResult(FakeDestination.AllOk(call));

        await sync.RunAsync();

        Assert.Equal([("429", TimeSpan.FromSeconds(2), 1)], sync.Observer.Retries);
    }

    [Fact]
    public async Task A_source_that_fails_mid_read_fails_the_run_and_keeps_the_batches_committed_before()
    {
        var sync = new SyncHarness(10, SyncHarness.Limits(maxRecords: 3)) { Source = new FakeSource(10) { FailAt = 7 } };

        var error = await Assert.ThrowsAsync<SluiceException>(() => sync.RunAsync());

        Assert.Equal("fake table public.users: the connection was lost", error.Message);
        Assert.Equal(RunStatus.Failed, Assert.Single(sync.Store.Runs).Outcome?.Status);
        // Whatever was committed is a prefix of the source, and never past the failure.
        var keys = sync.SentKeys();
        Assert.Equal(SyncHarness.Keys(0, keys.Count), keys);
        Assert.True(keys.Count <= 6, $"committed {keys.Count} records");
    }

    [Fact]
    public async Task A_checkpoint_moved_by_someone_else_stops_the_run_without_overwriting_it()
    {
        var sync = new SyncHarness(6, SyncHarness.Limits(maxRecords: 2));
        var foreign = TestPosition.CheckpointAt(1000);
        sync.Destination.OnWrite = call =>
        {
            if (call.Index == 1)
            {
                sync.Store.MoveCheckpoint(foreign);
            }

            return Task.FromResult(FakeDestination.AllOk(call));
        };

        await Assert.ThrowsAsync<CheckpointConflictException>(() => sync.RunAsync());

        Assert.Equal(foreign, sync.Store.Checkpoint);
        Assert.Equal(RunStatus.Failed, Assert.Single(sync.Store.Runs).Outcome?.Status);
    }
}
