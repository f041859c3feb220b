using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Core.State;
using Sluice.Testing.Doubles;
using static Sluice.Core.Tests.Engine.SyncHarness;

namespace Sluice.Core.Tests.Engine;

/// <summary>
/// A destination that throws something unexpected (a bug, an input it never foresaw) on one record must not stop its
/// sync: that record is dead-lettered with the reason and every other record is acknowledged.
/// </summary>
public sealed class SyncRunnerPoisonRecordTests
{
    [Fact]
    public async Task A_record_whose_encoding_throws_unexpectedly_is_dead_lettered_and_the_rest_flows_on()
    {
        var sync = new SyncHarness(6, Limits(maxRecords: 3)) { Destination = new FakeDestination(Limits(maxRecords: 3)) { CrashingKeys = new HashSet<string> { "4" } } };

        var result = await sync.RunAsync();

        Assert.Equal(["0", "1", "2", "3", "5"], sync.SentKeys());
        var letter = Assert.Single(sync.Store.Commits.SelectMany(c => c.DeadLetters));
        Assert.Equal("4", letter.RecordKey);
        Assert.Equal("Fake destination failed on this record: InvalidOperationException: the encoder tripped over record 4", letter.Reason);
        Assert.Equal(TestPosition.CheckpointAt(5), sync.Store.Checkpoint);
        Assert.Equal((6L, 5L, 1L), (result.Read, result.Acknowledged, result.Rejected));
        Assert.Equal(RunStatus.Succeeded, Assert.Single(sync.Store.Runs).Outcome!.Status);
        Assert.Equal([("4", letter.Reason)], sync.Observer.Rejections);
    }

    [Fact]
    public async Task A_write_that_throws_for_one_poison_record_is_bisected_until_only_that_record_is_dead_lettered()
    {
        var sync = new SyncHarness(10);
        sync.Destination.OnWrite = call => call.Keys.Contains("6")
            ? throw new InvalidOperationException("cannot flatten key '\\udc00'")
            : Task.FromResult(FakeDestination.AllOk(call));

        var result = await sync.RunAsync();

        var commit = Assert.Single(sync.Store.Commits);
        Assert.Equal(["0", "1", "2", "3", "4", "5", "7", "8", "9"], commit.Sent.Select(e => e.RecordKey).Order());
        var letter = Assert.Single(commit.DeadLetters);
        Assert.Equal(("6", "msg-6"), (letter.RecordKey, letter.MessageId));
        Assert.Equal("Fake destination failed on this record: InvalidOperationException: cannot flatten key '\\udc00'", letter.Reason);
        Assert.StartsWith("{\"id\":6}", letter.Payload, StringComparison.Ordinal);
        Assert.Equal(TestPosition.CheckpointAt(9), commit.Checkpoint);
        Assert.Equal((10L, 9L, 1L), (result.Read, result.Acknowledged, result.Rejected));
        // Halving, not one record at a time: 10 → 5 + 5 → (2 + 3) → (1 + 2) → 1 + 1, and no record other than the
        // poison one is sent more than the halves that held it.
        Assert.True(sync.Destination.Calls.Count <= 9, $"{sync.Destination.Calls.Count} write calls");
        Assert.Equal(["msg-6"], sync.Destination.Calls.Where(c => c.Records.Count == 1 && c.Keys[0] == "6").SelectMany(c => c.MessageIds));
    }

    [Fact]
    public async Task A_resent_half_keeps_its_message_ids_so_the_destination_can_deduplicate()
    {
        var sync = new SyncHarness(4);
        sync.Destination.OnWrite = call => call.Keys.Contains("0")
            ? throw new FormatException("boom")
            : Task.FromResult(FakeDestination.AllOk(call));

        await sync.RunAsync();

        foreach (var call in sync.Destination.Calls)
        {
            Assert.Equal(call.Keys.Select(k => "msg-" + k), call.MessageIds);
        }

        Assert.Equal(["1", "2", "3"], sync.SentKeys().Order());
        Assert.Equal("0", Assert.Single(sync.Store.Commits.SelectMany(c => c.DeadLetters)).RecordKey);
    }

    [Fact]
    public async Task A_transient_failure_while_bisecting_is_retried_as_before()
    {
        var sync = new SyncHarness(4);
        var failedOnce = false;
        sync.Destination.OnWrite = call =>
        {
            if (call.Keys.Contains("3"))
            {
                throw new InvalidOperationException("poison");
            }

            if (call.Keys.SequenceEqual(["0", "1"]) && !failedOnce)
            {
                failedOnce = true;
                throw SluiceException.Transient("503 Service Unavailable");
            }

            return Task.FromResult(FakeDestination.AllOk(call));
        };

        var result = await sync.RunAsync();

        Assert.Single(sync.Observer.Retries);
        Assert.Equal(["0", "1", "2"], sync.SentKeys().Order());
        Assert.Equal("3", Assert.Single(sync.Store.Commits.SelectMany(c => c.DeadLetters)).RecordKey);
        Assert.Equal((3L, 1L), (result.Acknowledged, result.Rejected));
    }

    [Fact]
    public async Task A_fatal_error_from_a_write_still_stops_the_run()
    {
        var sync = new SyncHarness(4);
        sync.Destination.OnWrite = _ => throw SluiceException.Fatal("the write key was refused");

        var error = await Assert.ThrowsAsync<SluiceException>(() => sync.RunAsync());

        Assert.Equal("the write key was refused", error.Message);
        Assert.Single(sync.Destination.Calls);
        Assert.Empty(sync.Store.Commits);
    }
}
