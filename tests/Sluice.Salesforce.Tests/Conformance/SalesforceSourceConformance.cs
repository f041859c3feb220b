using Sluice.Core.Connectors;
using Sluice.Salesforce.Source;
using Sluice.Testing.Conformance;

namespace Sluice.Salesforce.Tests.Conformance;

/// <summary>The Salesforce source (Opportunities) passes the source conformance suite against the emulator.</summary>
public sealed class SalesforceSourceConformance : SourceConformance
{
    private readonly Dictionary<int, string> _ids = [];
    private SourceBed _bed = null!;

    protected override IReadOnlyList<string> KeyColumns => ["Id"];

    protected override IReadOnlyList<string> SeededColumns => ["Id", "Name", "StageName", "Amount"];

    protected override async Task SetUpAsync() => _bed = await SourceBed.StartAsync();

    protected override async Task TearDownAsync() => await _bed.DisposeAsync();

    protected override Task SeedAsync(int from, int count)
    {
        for (var i = from; i < from + count; i++)
        {
            _ids[i] = _bed.Opportunities([$"Deal {i}"])[0];
        }

        return Task.CompletedTask;
    }

    protected override string KeyOf(int i) => _ids[i];

    protected override ISource CreateSource() => _bed.Source(fields: SeededColumns);

    protected override ISource CreateMisconfiguredSource() => new SalesforceSource("test", _bed.Bed.Client(), new SalesforceSourceOptions
    {
        Object = "Opportunty",
        Fields = SeededColumns,
    });
}
