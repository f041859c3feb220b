using Sluice.Core.Connectors;
using Sluice.Core.Mapping;
using Sluice.Emulators.Salesforce;
using Sluice.Salesforce.Destination;

namespace Sluice.Salesforce.Tests;

/// <summary>
/// <c>UNABLE_TO_LOCK_ROW</c> through sObject Collections: the destination sends the locked records again in halved
/// collections a bounded number of rounds, and only what stays locked goes back to the engine as Retry.
/// </summary>
public sealed class LockRetryTests : IAsyncLifetime
{
    private SalesforceBed _bed = null!;

    public async Task InitializeAsync() => _bed = await SalesforceBed.StartAsync();

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    private async Task<IReadOnlyList<WriteResult>> WriteAsync(int count)
    {
        var destination = SalesforceBed.Destination(_bed.Client(), SalesforceBed.Upsert());
        var shape = await DestinationShapes.ResolveAsync(destination, CancellationToken.None);
        var mapping = CompiledMapping.Compile(SalesforceBed.AccountMapping, SalesforceBed.Accounts, shape);
        return await destination.WriteAsync(
            [.. Enumerable.Range(1, count).Select(i => destination.Encode(SalesforceBed.Change(mapping, $"acct-{i}", SalesforceBed.Account(i)), mapping))],
            CancellationToken.None);
    }

    private int CollectionRequests() => _bed.Emulator.Requests.Count(r => r.Path.Contains("/composite/sobjects/", StringComparison.Ordinal));

    [Fact]
    public async Task Records_refused_for_a_locked_row_are_sent_again_in_smaller_collections_and_all_arrive()
    {
        _bed.Emulator.SetFaults(new SalesforceFaultOptions { LockRowRate = 0.2, Seed = 11 });

        var results = await WriteAsync(100);

        Assert.All(results, r => Assert.Equal(WriteStatus.Ok, r.Status));
        Assert.Equal(100, _bed.Held().Count);
        Assert.True(CollectionRequests() > 1, "the locked records were not sent again");
    }

    [Fact]
    public async Task Records_that_stay_locked_are_halved_a_bounded_number_of_rounds_then_answered_retry()
    {
        _bed.Emulator.SetFaults(new SalesforceFaultOptions { LockRowRate = 1.0 });

        var results = await WriteAsync(8);

        Assert.All(results, r => Assert.Equal(WriteStatus.Retry, r.Status));
        Assert.All(results, r => Assert.StartsWith("UNABLE_TO_LOCK_ROW", r.Reason));
        // 8 records in one collection, then halves: 2 collections of 4, 4 of 2, 8 of 1, 8 of 1.
        Assert.Equal(4, SalesforceDestination.LockRetryRounds);
        Assert.Equal(1 + 2 + 4 + 8 + 8, CollectionRequests());
    }
}
