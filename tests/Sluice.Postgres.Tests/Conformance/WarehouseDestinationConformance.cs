using Npgsql;
using Sluice.Core.Connectors;
using Sluice.Core.Records;
using Sluice.Postgres.Destinations.Warehouse;
using Sluice.Postgres.Tests.Destinations;
using Sluice.Testing;
using Sluice.Testing.Conformance;
using static Sluice.Postgres.Tests.TestSql;

namespace Sluice.Postgres.Tests.Conformance;

/// <summary>The warehouse passes the destination conformance suite, fed Segment track events as the ingest source yields them.</summary>
public sealed class WarehouseDestinationConformance : DestinationConformance
{
    private static readonly DateTime ReceivedAt = new(2024, 5, 1, 12, 0, 0, DateTimeKind.Utc);
    private readonly List<IAsyncDisposable> _owned = [];
    private string _connectionString = null!;
    private NpgsqlDataSource _db = null!;

    protected override SourceSchema RecordSchema { get; } = IngestTestEvents.Schema;

    protected override async Task SetUpAsync()
    {
        _connectionString = await TestPostgres.CreateDatabaseAsync(nameof(WarehouseDestinationConformance));
        _db = NpgsqlDataSource.Create(_connectionString);
    }

    protected override async Task TearDownAsync()
    {
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }

        await _db.DisposeAsync();
    }

    protected override IDestination CreateDestination() => Destination(new NpgsqlConnectionStringBuilder(_connectionString));

    // A database that does not exist: the connection fails.
    protected override IDestination CreateMisconfiguredDestination() =>
        Destination(new NpgsqlConnectionStringBuilder(_connectionString) { Database = "no_such_warehouse" });

    protected override (string Key, IReadOnlyDictionary<string, object?> Values) Record(int i) =>
        Track(i, $$$"""{"type":"track","event":"Conformance Checked","messageId":"m-{{{i}}}","userId":"u{{{i}}}","timestamp":"2024-05-01T10:00:00Z","properties":{"n":{{{i}}}}}""");

    // A track without a messageId cannot be loaded (its row has no id).
    protected override IReadOnlyDictionary<string, object?>? Unacceptable(int i) =>
        Track(i, $$"""{"type":"track","event":"Conformance Checked","userId":"u{{i}}"}""").Values;

    protected override async Task<long> CountHeldAsync() => (long)(await ScalarAsync(_db, "SELECT count(*) FROM web.tracks"))!;

    private static (string Key, IReadOnlyDictionary<string, object?> Values) Track(int i, string payload)
    {
        var id = new Guid($"00000000-0000-0000-0000-{i:D12}");
        return (id.ToString(), new Dictionary<string, object?>
        {
            ["event_id"] = id,
            ["source"] = "web",
            ["kind"] = "segment",
            ["type"] = "track",
            ["event"] = "Conformance Checked",
            ["received_at"] = ReceivedAt,
            ["payload"] = payload,
        });
    }

    private WarehouseDestination Destination(NpgsqlConnectionStringBuilder builder)
    {
        var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        var connection = new PostgresConnectionOptions { Name = "wh", Database = builder.Database!, User = builder.Username!, Host = builder.Host!, Port = builder.Port };
        var destination = new WarehouseDestination(dataSource, connection, new WarehouseDestinationOptions { Schema = "web" });
        _owned.Add(dataSource);
        return destination;
    }
}
