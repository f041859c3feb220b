using Npgsql;
using Sluice.Core.Connectors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Postgres.Destinations.Records;
using Sluice.Postgres.Tests.Records;
using Sluice.Testing;
using Sluice.Testing.Conformance;
using static Sluice.Postgres.Tests.TestSql;

namespace Sluice.Postgres.Tests.Conformance;

/// <summary>The records export passes the destination conformance suite, in sync mode with groups.</summary>
public sealed class RecordsDestinationConformance : DestinationConformance
{
    private NpgsqlDataSource _db = null!;
    private RecordsBed _bed = null!;

    protected override SourceSchema RecordSchema => RecordsBed.Schema;

    protected override MappingSpec Mapping => _bed.Mapping;

    protected override async Task SetUpAsync()
    {
        _db = await TestPostgres.CreateDataSourceAsync(nameof(RecordsDestinationConformance));
        _bed = new RecordsBed(_db);
        await _bed.CreateTablesAsync();
    }

    protected override async Task TearDownAsync() => await _db.DisposeAsync();

    protected override IDestination CreateDestination() => _bed.Destination(RecordsMode.Sync, new Dictionary<string, string> { ["big"] = "lifetime_value > 5" });

    protected override IDestination CreateMisconfiguredDestination() =>
        new RecordsBed(_db, table: "missing_customers").Destination(RecordsMode.Sync);

    protected override (string Key, IReadOnlyDictionary<string, object?> Values) Record(int i) =>
        (i.ToString(System.Globalization.CultureInfo.InvariantCulture), new Dictionary<string, object?>
        {
            ["id"] = (long)i,
            ["email"] = $"user{i}@example.com",
            ["ltv"] = (decimal)i,
            ["plan"] = "pro",
        });

    // A record without a key has no row to go to.
    protected override IReadOnlyDictionary<string, object?>? Unacceptable(int i) => new Dictionary<string, object?>
    {
        ["id"] = null,
        ["email"] = "nobody@example.com",
        ["ltv"] = 1m,
        ["plan"] = null,
    };

    protected override async Task<long> CountHeldAsync() => (long)(await ScalarAsync(_db, $"SELECT count(*) FROM {_bed.Table}"))!;
}
