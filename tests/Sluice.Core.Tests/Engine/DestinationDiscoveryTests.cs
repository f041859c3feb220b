using Sluice.Core.Checkpoints;
using Sluice.Core.Configuration;
using Sluice.Core.Engine;
using Sluice.Core.Mapping;
using Sluice.Core.State;
using Sluice.Testing.Doubles;

namespace Sluice.Core.Tests.Engine;

/// <summary>A destination whose fields are known only after connecting: runs and plans compile the mapping against what it discovers.</summary>
public sealed class DestinationDiscoveryTests
{
    [Fact]
    public async Task A_run_compiles_the_mapping_against_the_shape_the_destination_discovers()
    {
        var harness = new SyncHarness(3);
        var destination = new DiscoveringDestination(harness.Destination, FakeDestination.FakeShape);

        var result = await RunAsync(harness, destination);

        Assert.Equal(1, destination.Discoveries);
        Assert.Equal(3L, result.Acknowledged);
        Assert.Equal(["0", "1", "2"], harness.SentKeys());
    }

    [Fact]
    public async Task A_run_is_refused_when_the_discovered_shape_needs_a_target_the_mapping_lacks()
    {
        var harness = new SyncHarness(3);
        var discovered = FakeDestination.FakeShape with
        {
            Targets = [.. FakeDestination.FakeShape.Targets, new MappingTarget("external_id", IsObject: false, Required: true, "the id the system keys on")],
        };
        var destination = new DiscoveringDestination(harness.Destination, discovered);

        var error = await Assert.ThrowsAsync<ConfigException>(() => RunAsync(harness, destination));

        Assert.Contains("'external_id'", error.Message, StringComparison.Ordinal);
        Assert.Empty(harness.Destination.Calls);
        Assert.Empty(harness.Store.Runs);
    }

    [Fact]
    public async Task A_plan_compiles_the_mapping_against_the_shape_the_destination_discovers()
    {
        var harness = new SyncHarness(4);
        var destination = new DiscoveringDestination(harness.Destination, FakeDestination.FakeShape);
        var sync = new SyncDefinition(SyncHarness.SyncName, harness.Source, SyncHarness.Mapping, destination, harness.Gate, harness.Options);

        var plan = await new SyncPlanner(new NothingStored()).PlanAsync(sync, samples: 0, CancellationToken.None);

        Assert.Equal(1, destination.Discoveries);
        Assert.Equal(4L, plan.WouldSend);
        Assert.Empty(harness.Destination.Calls);
    }

    private static async Task<RunResult> RunAsync(SyncHarness harness, DiscoveringDestination destination)
    {
        var sync = new SyncDefinition(SyncHarness.SyncName, harness.Source, SyncHarness.Mapping, destination, harness.Gate, harness.Options);
        var run = Task.Run(() => new SyncRunner(harness.Store, harness.Time, harness.Observer).RunAsync(sync, RunKind.Incremental, CancellationToken.None));
        await harness.Time.AdvanceUntilCompletedAsync(run);
        return await run;
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
