using Sluice.Core.Connectors;
using Sluice.Core.Engine.Processing;
using Sluice.Testing.Doubles;
using static Sluice.Core.Tests.Engine.SyncHarness;

namespace Sluice.Core.Tests.Engine;

/// <summary>
/// A batch waits for its acknowledgement and commit holding its records (issue 16: a table sync's rows, each with its
/// strings and boxed values, survived collection after collection). A destination that writes from payloads alone lets
/// the engine release each change's values as soon as it is encoded — unless something after encoding reads them.
/// </summary>
public sealed class SyncRunnerReleasedValuesTests
{
    [Fact]
    public async Task A_destination_that_writes_from_payloads_is_sent_records_whose_values_are_released()
    {
        var sync = new SyncHarness(5, Limits(maxRecords: 2)) { Destination = new FakeDestination(Limits(maxRecords: 2)) { WritesPayloadsOnly = true } };
        var valuesAtWrite = new List<int>();
        sync.Destination.OnWrite = call =>
        {
            lock (valuesAtWrite)
            {
                valuesAtWrite.AddRange(call.Records.Select(r => r.Change.Values.Length));
            }

            return Task.FromResult(FakeDestination.AllOk(call));
        };

        var result = await sync.RunAsync();

        Assert.Equal([0, 0, 0, 0, 0], valuesAtWrite);
        // What the commit needs of a record is still there: its key, message id and payload.
        Assert.Equal(["0", "1", "2", "3", "4"], sync.SentKeys());
        Assert.Equal(["msg-0", "msg-1", "msg-2", "msg-3", "msg-4"], sync.Store.Commits.SelectMany(c => c.Sent).Select(e => e.MessageId));
        Assert.All(sync.Destination.Calls.SelectMany(c => c.Records), r => Assert.StartsWith("{\"id\":", System.Text.Encoding.UTF8.GetString(r.Payload.Span), StringComparison.Ordinal));
        Assert.Equal(5, result.Acknowledged);
    }

    [Fact]
    public async Task A_destination_that_may_read_the_change_keeps_its_values()
    {
        var sync = new SyncHarness(3);

        await sync.RunAsync();

        Assert.All(sync.Destination.Calls.SelectMany(c => c.Records), r => Assert.NotEmpty(r.Change.Values));
    }

    [Fact]
    public async Task Values_stay_while_a_processor_reads_the_records()
    {
        var seen = new List<int>();
        var sync = new SyncHarness(3)
        {
            Destination = new FakeDestination { WritesPayloadsOnly = true },
            Processors = [new CountingProcessor(seen)],
        };

        await sync.RunAsync();

        Assert.Equal(3, seen.Count);
        Assert.All(seen, count => Assert.True(count > 0));
        Assert.All(sync.Destination.Calls.SelectMany(c => c.Records), r => Assert.NotEmpty(r.Change.Values));
    }

    /// <summary>Passes every record and notes how many values each had when it was processed.</summary>
    private sealed class CountingProcessor(List<int> seen) : IRecordProcessor
    {
        public string Name => "counting";

        public ValueTask<IReadOnlyList<ProcessorDecision>> ProcessAsync(ProcessorBatch batch, CancellationToken ct)
        {
            seen.AddRange(batch.Records.Select(r => r.Change.Values.Length));
            return ValueTask.FromResult<IReadOnlyList<ProcessorDecision>>(batch.Records.Select(_ => ProcessorDecision.Pass).ToArray());
        }
    }
}
