using Sluice.Core.Connectors;
using Sluice.Postgres.Tests.Cdc;
using Sluice.Testing.Conformance;

namespace Sluice.Postgres.Tests.Conformance;

/// <summary>
/// The CDC source passes the source conformance suite: the initial copy is the full read, inserts after it stream.
/// Each case has a database and a slot of its own (slots are cluster-wide: the sync name carries a counter), dropped
/// at the end.
/// </summary>
public sealed class CdcSourceConformance : SourceConformance
{
    private static int _cases;
    private readonly string _sync = $"conformance_cdc_{Interlocked.Increment(ref _cases)}";
    private CdcTestBed _bed = null!;

    protected override IReadOnlyList<string> KeyColumns => ["id"];

    protected override IReadOnlyList<string> SeededColumns => ["id", "name"];

    // Every row of the initial copy is at the same position (the snapshot), so any order is position order.
    protected override bool FullReadInSeedingOrder => false;

    protected override async Task SetUpAsync() =>
        _bed = await CdcTestBed.CreateAsync(_sync, "CREATE TABLE items (id text PRIMARY KEY, name text);");

    protected override async Task TearDownAsync() => await _bed.DisposeAsync();

    // One statement per record: each its own transaction, so each streams after the one before.
    protected override async Task SeedAsync(int from, int count)
    {
        for (var i = from; i < from + count; i++)
        {
            await _bed.ExecuteAsync($"INSERT INTO items VALUES ('{KeyOf(i)}', 'item {i}')");
        }
    }

    protected override string KeyOf(int i) => $"r{i:D4}";

    protected override ISource CreateSource() => _bed.Source(_sync, "table: items");

    protected override ISource CreateMisconfiguredSource() => _bed.Source(_sync, "table: missing_items");
}
