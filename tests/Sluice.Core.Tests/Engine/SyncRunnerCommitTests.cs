using System.Text;
using Sluice.Core.Connectors;
using Sluice.Testing.Doubles;
using static Sluice.Core.Tests.Engine.SyncHarness;

namespace Sluice.Core.Tests.Engine;

public sealed class SyncRunnerCommitTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Each_commit_carries_the_position_of_its_batchs_last_record()
    {
        var sync = new SyncHarness(10, Limits(maxRecords: 4));

        var result = await sync.RunAsync();

        Assert.Equal([3, 7, 9], sync.Store.Commits.Select(c => TestPosition.OffsetOf(c.Checkpoint)));
        Assert.Equal([4, 4, 2], sync.Store.Commits.Select(c => c.RecordsRead));
        Assert.Equal(TestPosition.CheckpointAt(9), result.Checkpoint);
        Assert.Equal(TestPosition.CheckpointAt(9), sync.Store.Checkpoint);
    }

    [Fact]
    public async Task A_commit_holds_the_ledger_of_what_its_batch_delivered()
    {
        var sync = new SyncHarness(5, Limits(maxRecords: 3));

        var result = await sync.RunAsync();

        var first = sync.Store.Commits[0];
        Assert.Equal(["0", "1", "2"], first.Sent.Select(e => e.RecordKey));
        Assert.Equal(["msg-0", "msg-1", "msg-2"], first.Sent.Select(e => e.MessageId));
        Assert.All(sync.Store.Commits, c => Assert.Equal(result.RunId, c.RunId));
        Assert.Equal((5L, 5L, 0L, 2L), (result.Read, result.Acknowledged, result.Rejected, result.Batches));
    }

    [Fact]
    public async Task Batches_commit_in_sequence_even_when_a_later_send_finishes_first()
    {
        var sync = new SyncHarness(6, Limits(maxRecords: 2, maxInFlight: 2));
        var releaseFirst = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thirdStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        sync.Destination.OnWrite = async call =>
        {
            switch (call.Keys[0])
            {
                case "0":
                    await releaseFirst.Task;
                    break;
                case "4":
                    thirdStarted.TrySetResult();
                    break;
            }

            return FakeDestination.AllOk(call);
        };

        var run = sync.StartAsync();
        // The sender that had batch 1 is on batch 2: batch 1 was acknowledged and handed to the committer,
        // while batch 0 is still out. Committing batch 1 now would move the checkpoint over batch 0.
        await thirdStarted.Task.WaitAsync(Settle);
        Assert.Empty(sync.Store.Commits);

        releaseFirst.SetResult();
        await run.WaitAsync(Settle);

        Assert.Equal(["2", "3"], sync.Destination.Calls[sync.Destination.FinishedCalls[0]].Keys);
        Assert.Equal([0L, 1, 2], sync.Store.Commits.Select(c => c.Sequence));
        Assert.Equal([1, 3, 5], sync.Store.Commits.Select(c => TestPosition.OffsetOf(c.Checkpoint)));
    }

    [Fact]
    public async Task A_record_that_cannot_be_encoded_is_dead_lettered_in_its_batch_while_the_rest_is_acknowledged()
    {
        var sync = new SyncHarness(6, Limits(maxRecords: 3)) { Destination = new FakeDestination(Limits(maxRecords: 3)) { UnencodableKeys = new HashSet<string> { "1" } } };

        var result = await sync.RunAsync();

        var first = sync.Store.Commits[0];
        Assert.Equal(["0", "2", "3"], first.Sent.Select(e => e.RecordKey));
        var letter = Assert.Single(first.DeadLetters);
        Assert.Equal(("1", null, "record 1 cannot be encoded", null), (letter.RecordKey, letter.MessageId, letter.Reason, letter.Payload));
        // The refused record is covered by the batch: the checkpoint moves past it.
        Assert.Equal(4, first.RecordsRead);
        Assert.Equal(3, TestPosition.OffsetOf(first.Checkpoint));
        Assert.DoesNotContain("1", sync.Destination.Calls.SelectMany(c => c.Keys));
        Assert.Equal((6L, 5L, 1L), (result.Read, result.Acknowledged, result.Rejected));
        Assert.Equal([("1", "record 1 cannot be encoded")], sync.Observer.Rejections);
    }

    [Fact]
    public async Task A_batch_whose_every_record_was_refused_still_commits_its_dead_letters_and_checkpoint()
    {
        var sync = new SyncHarness(3) { Destination = new FakeDestination { UnencodableKeys = new HashSet<string> { "0", "1", "2" } } };

        var result = await sync.RunAsync();

        Assert.Empty(sync.Destination.Calls);
        var commit = Assert.Single(sync.Store.Commits);
        Assert.Empty(commit.Sent);
        Assert.Equal(["0", "1", "2"], commit.DeadLetters.Select(d => d.RecordKey));
        Assert.Equal(TestPosition.CheckpointAt(2), commit.Checkpoint);
        Assert.Equal(3L, result.Rejected);
    }

    [Fact]
    public async Task A_record_larger_than_the_destination_accepts_is_dead_lettered_with_its_payload()
    {
        var limits = Limits(maxRecordBytes: 2048);
        var sync = new SyncHarness(3, limits) { Destination = new FakeDestination(limits) { OversizedKeys = new HashSet<string> { "1" } } };

        await sync.RunAsync();

        var commit = Assert.Single(sync.Store.Commits);
        Assert.Equal(["0", "2"], commit.Sent.Select(e => e.RecordKey));
        var letter = Assert.Single(commit.DeadLetters);
        Assert.Equal(("1", "msg-1"), (letter.RecordKey, letter.MessageId));
        Assert.Contains("at most 2 KB per record", letter.Reason, StringComparison.Ordinal);
        Assert.StartsWith("{\"id\":1}", letter.Payload, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_record_the_destination_rejects_lands_in_the_dead_letters_with_its_reason()
    {
        var sync = new SyncHarness(3);
        sync.Destination.OnWrite = call => Task.FromResult<IReadOnlyList<WriteResult>>(
            call.Keys.Select(k => k == "1" ? WriteResult.Rejected("Segment answered 400: invalid traits") : WriteResult.Ok).ToArray());

        var result = await sync.RunAsync();

        var commit = Assert.Single(sync.Store.Commits);
        Assert.Equal(["0", "2"], commit.Sent.Select(e => e.RecordKey));
        var letter = Assert.Single(commit.DeadLetters);
        Assert.Equal(("1", "msg-1", "Segment answered 400: invalid traits"), (letter.RecordKey, letter.MessageId, letter.Reason));
        Assert.Equal("{\"id\":1}", letter.Payload?.TrimEnd());
        Assert.Equal(TestPosition.CheckpointAt(2), commit.Checkpoint);
        Assert.Equal((2L, 1L), (result.Acknowledged, result.Rejected));
        Assert.Single(sync.Destination.Calls);
    }

    [Fact]
    public async Task An_empty_source_commits_nothing()
    {
        var sync = new SyncHarness(0);

        var result = await sync.RunAsync();

        Assert.Empty(sync.Destination.Calls);
        Assert.Empty(sync.Store.Commits);
        Assert.Null(result.Checkpoint);
        Assert.Equal(0L, result.Batches);
    }

    [Fact]
    public async Task Dead_letters_payloads_are_the_bytes_that_would_have_been_sent()
    {
        var sync = new SyncHarness(1);
        sync.Destination.OnWrite = call => Task.FromResult<IReadOnlyList<WriteResult>>([WriteResult.Rejected("no")]);

        await sync.RunAsync();

        var sent = Assert.Single(Assert.Single(sync.Destination.Calls).Records);
        Assert.Equal(Encoding.UTF8.GetString(sent.Payload.Span), Assert.Single(sync.Store.Commits[0].DeadLetters).Payload);
    }

    [Fact]
    public async Task Progress_is_reported_after_every_committed_batch()
    {
        var sync = new SyncHarness(10, Limits(maxRecords: 4)) { Destination = new FakeDestination(Limits(maxRecords: 4)) { UnencodableKeys = new HashSet<string> { "9" } } };

        var result = await sync.RunAsync();

        Assert.Equal([(result.RunId, (long?)10)], sync.Observer.Starts);
        var progress = sync.Observer.Progress;
        Assert.Equal([4L, 8L, 9L], progress.Select(p => p.Acknowledged));
        Assert.Equal([0L, 0L, 1L], progress.Select(p => p.Rejected));
        Assert.All(progress, p => Assert.Equal(10L, p.Estimate));
        Assert.Equal(10L, progress[^1].Read);
    }
}
