using Sluice.Testing;
using Sluice.Testing.Doubles;
using static Sluice.Core.Tests.Engine.SyncHarness;

namespace Sluice.Core.Tests.Engine;

public sealed class SyncRunnerBatchingTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Batches_are_cut_at_the_destinations_record_limit()
    {
        var sync = new SyncHarness(10, Limits(maxRecords: 3));

        await sync.RunAsync();

        Assert.Equal([3, 3, 3, 1], sync.Destination.Calls.Select(c => c.Records.Count));
        Assert.Equal([0L, 1, 2, 3], sync.Store.Commits.Select(c => c.Sequence));
    }

    [Fact]
    public async Task A_full_batch_is_sent_and_committed_without_waiting_for_the_next_record()
    {
        // The source has handed on six records and then waits (a poll after a load): both full batches go meanwhile.
        var sync = new SyncHarness(7, Limits(maxRecords: 3)) { Source = new FakeSource(7) { HoldAt = 6 } };

        var run = sync.StartAsync();
        await Eventually.HoldsAsync(() => sync.Store.Commits.Count == 2, "both full batches committed while the source waits",
            state: () => $"{sync.Store.Commits.Count} commits");
        Assert.False(run.IsCompleted);
        Assert.Equal([2, 5], sync.Store.Commits.Select(c => TestPosition.OffsetOf(c.Checkpoint)));

        sync.Source.Resume.SetResult();
        await sync.Time.AdvanceUntilCompletedAsync(run);
        Assert.Equal([3, 3, 1], sync.Destination.Calls.Select(c => c.Records.Count));
        Assert.Equal(TestPosition.CheckpointAt(6), (await run).Checkpoint);
    }

    [Fact]
    public async Task The_syncs_batch_size_makes_batches_smaller_than_the_destination_allows()
    {
        var sync = new SyncHarness(10, Limits(maxRecords: 100)) { Options = new() { BatchSize = 4 } };

        await sync.RunAsync();

        Assert.Equal([4, 4, 2], sync.Destination.Calls.Select(c => c.Records.Count));
    }

    [Fact]
    public async Task A_batch_size_above_the_destinations_limit_is_held_to_the_limit()
    {
        var sync = new SyncHarness(10, Limits(maxRecords: 3)) { Options = new() { BatchSize = 50 } };

        await sync.RunAsync();

        Assert.Equal([3, 3, 3, 1], sync.Destination.Calls.Select(c => c.Records.Count));
    }

    [Theory]
    [InlineData(63, new[] { 3, 3, 1 })]   // 3 × (20 + 1) = 63: exactly full
    [InlineData(62, new[] { 2, 2, 2, 1 })] // one byte short: the separator of the third record does not fit
    public async Task Batches_are_cut_at_the_byte_limit_counting_one_separator_per_record(int maxBatchBytes, int[] expected)
    {
        var sync = new SyncHarness(7) { Destination = new FakeDestination(Limits(maxBatchBytes: maxBatchBytes)) { PayloadBytes = 20 } };

        await sync.RunAsync();

        Assert.Equal(expected, sync.Destination.Calls.Select(c => c.Records.Count));
        Assert.All(sync.Destination.Calls, c => Assert.True(c.Records.Sum(r => r.Payload.Length + 1) <= maxBatchBytes));
    }

    [Fact]
    public async Task Every_record_is_sent_once_in_source_order()
    {
        var sync = new SyncHarness(25, Limits(maxRecords: 4));

        await sync.RunAsync();

        Assert.Equal(Keys(0, 25), sync.Destination.Calls.SelectMany(c => c.Keys));
    }

    [Fact]
    public async Task Records_are_encoded_through_the_mapping()
    {
        var sync = new SyncHarness(3);

        await sync.RunAsync();

        var call = Assert.Single(sync.Destination.Calls);
        Assert.Equal("{\"id\":2}", System.Text.Encoding.UTF8.GetString(call.Records[2].Payload.Span).TrimEnd());
    }

    [Fact]
    public async Task The_source_is_asked_for_the_mapped_columns_only_in_mapping_order()
    {
        var sync = new SyncHarness(1);

        await sync.RunAsync();

        Assert.Equal(["id", "email", "name"], Assert.Single(sync.Source.Requests).Columns);
    }

    [Fact]
    public async Task No_more_batches_are_in_flight_than_the_destination_allows()
    {
        var sync = new SyncHarness(20, Limits(maxRecords: 2, maxInFlight: 2));
        var inFlight = 0;
        var most = 0;
        var bothStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        sync.Destination.OnWrite = async call =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref most, now);
            if (now == 2)
            {
                bothStarted.TrySetResult();
            }

            // The first two calls wait for each other: they prove two may be in flight, and give a third the chance to start.
            if (call.Index < 2)
            {
                await bothStarted.Task.WaitAsync(Settle);
            }

            await Task.Yield();
            Interlocked.Decrement(ref inFlight);
            return FakeDestination.AllOk(call);
        };

        await sync.RunAsync();

        Assert.Equal(2, Volatile.Read(ref most));
        Assert.Equal(10, sync.Store.Commits.Count);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
