using System.Diagnostics;
using Sluice.Core.Connectors;
using Sluice.Core.Engine;
using Sluice.Core.Mapping;
using Sluice.Salesforce.Connection;

namespace Sluice.Salesforce.Tests;

/// <summary>
/// Every HTTP request a Salesforce connection sends (each collection of 200, describe, a Bulk job's steps) is taken
/// from the connection's gate, which all syncs on the connection share: a batch is not one request.
/// </summary>
public sealed class RequestBudgetTests : IAsyncLifetime
{
    private SalesforceBed _bed = null!;

    public async Task InitializeAsync() => _bed = await SalesforceBed.StartAsync();

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    [Fact]
    public async Task Two_syncs_on_one_connection_take_each_of_their_requests_from_its_shared_budget()
    {
        const double perSecond = 4;
        await using var gate = new DeliveryGate(new RateLimitOptions { RequestsPerSecond = perSecond }, TimeProvider.System);
        using var client = new SalesforceClient(_bed.Connection(), TimeProvider.System) { Gate = () => gate };
        var syncs = new[] { "acct", "other" }.Select(prefix => (Prefix: prefix, Destination: SalesforceBed.Destination(client, SalesforceBed.Upsert()))).ToList();
        var clock = Stopwatch.StartNew();

        // Two syncs at once, each writing batches of 400 records: two collection requests a batch.
        await Task.WhenAll(syncs.Select(async sync =>
        {
            var shape = await DestinationShapes.ResolveAsync(sync.Destination, CancellationToken.None);
            var mapping = CompiledMapping.Compile(SalesforceBed.AccountMapping, SalesforceBed.Accounts, shape);
            for (var batch = 0; batch < 3; batch++)
            {
                var records = Enumerable.Range(batch * 400, 400).Select(i =>
                {
                    var values = SalesforceBed.Account(i);
                    values["id"] = $"{sync.Prefix}-{i}";
                    return sync.Destination.Encode(SalesforceBed.Change(mapping, $"{sync.Prefix}-{i}", values), mapping);
                }).ToList();
                var results = await sync.Destination.WriteAsync(records, CancellationToken.None);
                Assert.All(results, r => Assert.Equal(WriteStatus.Ok, r.Status));
            }
        }));

        clock.Stop();
        var sent = _bed.Emulator.Requests.Count(r => !r.Path.Contains("oauth2", StringComparison.Ordinal));
        Assert.Equal(sent, client.RequestsSent);
        Assert.True(sent >= 12, $"{sent} requests");
        // Every request took a permit: beyond the first burst, the shared budget let through 4 a second.
        var burst = (long)Math.Ceiling(perSecond * RateBudgetAsk.Burst.TotalSeconds);
        var floor = TimeSpan.FromSeconds((sent - 2 * burst) / perSecond);
        Assert.True(clock.Elapsed >= floor, $"{sent} requests in {clock.Elapsed.TotalSeconds:0.00} s; the budget allows them no sooner than {floor.TotalSeconds:0.00} s");
        Assert.Equal(2400, _bed.Held().Count);
    }
}
