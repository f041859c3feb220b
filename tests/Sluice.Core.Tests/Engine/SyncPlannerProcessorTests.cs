using Sluice.Core.Checkpoints;
using Sluice.Core.Engine;
using Sluice.Core.Engine.Processing;
using Sluice.Core.State;
using Sluice.Testing.Doubles;

namespace Sluice.Core.Tests.Engine;

/// <summary><c>sluice plan</c> runs the sync's processors as a run would: what they would hold back is counted, with the reason, and nothing is written.</summary>
public sealed class SyncPlannerProcessorTests
{
    [Fact]
    public async Task A_plan_shows_what_the_processors_would_quarantine_defer_and_drop_without_writing_anything()
    {
        var harness = new SyncHarness(6);
        var sync = new SyncDefinition(SyncHarness.SyncName, harness.Source, SyncHarness.Mapping, harness.Destination, harness.Gate, harness.Options)
        {
            Processors = [new ByKey("checks", new Dictionary<string, ProcessorDecision>
            {
                ["1"] = ProcessorDecision.Quarantine("no account 42"),
                ["2"] = ProcessorDecision.Defer("account 7 not synced yet"),
                ["3"] = ProcessorDecision.Drop,
            })],
        };

        var plan = await new SyncPlanner(new NothingStored()).PlanAsync(sync, samples: 10, CancellationToken.None);

        Assert.Equal((3L, 1L, 1L, 1L, 0L), (plan.WouldSend, plan.WouldQuarantine, plan.WouldWait, plan.WouldDrop, plan.WouldDeadLetter));
        Assert.Equal(["0", "4", "5"], plan.Samples.Select(s => s.Key));
        Assert.Equal(
            [("1", "quarantined — checks: no account 42"), ("2", "waiting — checks: account 7 not synced yet")],
            plan.Refusals.Select(r => (r.Key, r.Reason)));
        Assert.Empty(harness.Destination.Calls);
        Assert.Empty(harness.Store.Runs);
    }

    private sealed class ByKey(string name, IReadOnlyDictionary<string, ProcessorDecision> decisions) : IRecordProcessor
    {
        public string Name => name;

        public ValueTask<IReadOnlyList<ProcessorDecision>> ProcessAsync(ProcessorBatch batch, CancellationToken ct) =>
            ValueTask.FromResult<IReadOnlyList<ProcessorDecision>>(batch.Records.Select(r => decisions.GetValueOrDefault(r.Change.Key, ProcessorDecision.Pass)).ToArray());
    }

    /// <summary>A sync that never ran.</summary>
    private sealed class NothingStored : ISyncStateView
    {
        public Task<Checkpoint?> LoadCheckpointAsync(string syncName, CancellationToken ct) => Task.FromResult<Checkpoint?>(null);

        public IRecordStateReader RecordStates(string syncName) => new NoRecords();
    }

    private sealed class NoRecords : IRecordStateReader
    {
        public IAsyncEnumerable<RecordState> ReadAsync(CancellationToken ct) => AsyncEnumerable.Empty<RecordState>();
    }
}
