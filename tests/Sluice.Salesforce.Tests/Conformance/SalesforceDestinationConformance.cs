using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Salesforce.Connection;
using Sluice.Testing.Conformance;

namespace Sluice.Salesforce.Tests.Conformance;

/// <summary>The Salesforce destination (Account upsert by external id) passes the destination conformance suite against the emulator.</summary>
public sealed class SalesforceDestinationConformance : DestinationConformance
{
    private SalesforceBed _bed = null!;

    protected override SourceSchema RecordSchema => SalesforceBed.Accounts;

    protected override MappingSpec Mapping => SalesforceBed.AccountMapping;

    protected override async Task SetUpAsync() => _bed = await SalesforceBed.StartAsync();

    protected override async Task TearDownAsync() => await _bed.DisposeAsync();

    protected override IDestination CreateDestination() => SalesforceBed.Destination(_bed.Client(), SalesforceBed.Upsert());

    // A consumer secret the connected app does not have.
    protected override IDestination CreateMisconfiguredDestination() => SalesforceBed.Destination(_bed.Client(_bed.Connection(new SalesforceAuthOptions
    {
        Flow = SalesforceAuthFlow.ClientCredentials,
        ClientId = SalesforceBed.ClientId,
        ClientSecret = new Secret("not-the-secret"),
    })), SalesforceBed.Upsert());

    protected override (string Key, IReadOnlyDictionary<string, object?> Values) Record(int i) => ($"acct-{i}", SalesforceBed.Account(i));

    // Account.Name holds 255 characters.
    protected override IReadOnlyDictionary<string, object?>? Unacceptable(int i) => SalesforceBed.Account(i, name: new string('x', 300));

    protected override Task<long> CountHeldAsync() => Task.FromResult((long)_bed.Held().Count(r => !r.IsDeleted));
}
