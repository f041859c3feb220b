using Sluice.Core.Configuration;
using Sluice.Core.Engine;
using Sluice.Core.Mapping;
using Sluice.Core.State;
using Sluice.State;
using Sluice.Testing;
using Sluice.Testing.Doubles;

namespace Sluice.Postgres.Tests.WriteBack;

/// <summary>
/// Parents first (an Account sync, then the Contact sync that is <c>after:</c> it) through the engine and the real state
/// store: the child's destination answers "waiting" while a contact's account is not in the org. Run in <c>after:</c>
/// order, every contact is sent in the same cycle; run the other way round, the contacts wait (not dead-lettered) and
/// are sent by the child's next run, once.
/// </summary>
public sealed class ParentsFirstTests
{
    private static readonly ConfigLocation Location = new("test.yaml", 1, 1, "syncs");

    private static readonly string[] Accounts = ["a1", "a2", "a3"];

    private static readonly string[] Contacts = ["c1", "c2", "c3"];

    [Fact]
    public async Task In_after_order_the_children_are_sent_in_the_same_cycle_as_their_parents()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync("parents_first");
        var store = await PostgresStateStore.OpenAsync(db);
        var (org, contacts) = Destinations();

        await RunAsync(store, "accounts", Accounts, org);
        var child = await RunAsync(store, "contacts", Contacts, contacts);

        Assert.Equal(Contacts, contacts.Acknowledged.Select(a => a.Key));
        Assert.Equal(Contacts.Length, child.Acknowledged);
        Assert.Empty((await store.DeadLetters.ListAsync("contacts", 10, includeReplayed: false, withPayload: false, default)).Letters);
    }

    [Fact]
    public async Task Out_of_order_the_children_wait_and_are_sent_once_by_the_next_run()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync("parents_last");
        var store = await PostgresStateStore.OpenAsync(db);
        var (org, contacts) = Destinations();

        var early = await RunAsync(store, "contacts", Contacts, contacts);
        Assert.Empty(contacts.Acknowledged);
        Assert.Equal(0L, early.Rejected); // waiting, not dead-lettered
        var waiting = (await store.DeadLetters.ListAsync("contacts", 10, includeReplayed: false, withPayload: false, default)).Letters;
        Assert.Equal(Contacts, waiting.Select(l => l.RecordKey).Order());
        Assert.All(waiting, l => Assert.Equal("waiting", l.Kind));

        await RunAsync(store, "accounts", Accounts, org);
        await RunAsync(store, "contacts", [], contacts); // the next cycle: nothing new to read, the waiting ones offered again

        Assert.Equal(Contacts, contacts.Acknowledged.Select(a => a.Key).Order());
        Assert.Empty((await store.DeadLetters.ListAsync("contacts", 10, includeReplayed: false, withPayload: false, default)).Letters);
        await RunAsync(store, "contacts", [], contacts);
        Assert.Equal(Contacts.Length, contacts.Acknowledged.Count); // sent once
    }

    /// <summary>The org (accounts acknowledged) and a contacts destination whose contact cN waits for account aN.</summary>
    private static (WaitingDestination Org, WaitingDestination Contacts) Destinations()
    {
        var org = new WaitingDestination();
        var contacts = new WaitingDestination
        {
            WaitsBecause = key => org.Acknowledged.Any(a => a.Key == "a" + key[1..]) ? null : $"account a{key[1..]} is not in the org yet",
        };
        return (org, contacts);
    }

    private static async Task<RunResult> RunAsync(PostgresStateStore store, string sync, IReadOnlyList<string> keys, WaitingDestination destination)
    {
        await using var gate = new DeliveryGate(new RateLimitOptions(), TimeProvider.System);
        return await new SyncRunner(store, TimeProvider.System).RunAsync(
            new SyncDefinition(sync, new KeyListSource(keys), MappingSpec.None(Location), destination, gate, new SyncRunOptions()), RunKind.Incremental, default);
    }
}
