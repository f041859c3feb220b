using Npgsql;
using Sluice.Core.Connectors;
using Sluice.Core.Records;
using Sluice.Postgres.Destinations;
using Sluice.Postgres.Tests.Destinations;
using Sluice.Testing;
using Sluice.Testing.Conformance;
using static Sluice.Postgres.Tests.TestSql;

namespace Sluice.Postgres.Tests.Conformance;

/// <summary>The events table passes the destination conformance suite, fed envelope events as the ingest source yields them.</summary>
public sealed class EventsTableDestinationConformance : DestinationConformance
{
    private NpgsqlDataSource _db = null!;

    protected override SourceSchema RecordSchema => IngestTestEvents.Schema;

    protected override async Task SetUpAsync()
    {
        _db = await TestPostgres.CreateDataSourceAsync(nameof(EventsTableDestinationConformance));
        await ExecuteAsync(_db, EventsTableDdl.CreateTable("public", "events"));
    }

    protected override async Task TearDownAsync() => await _db.DisposeAsync();

    protected override IDestination CreateDestination() => Destination("events");

    protected override IDestination CreateMisconfiguredDestination() => Destination("missing_events");

    protected override (string Key, IReadOnlyDictionary<string, object?> Values) Record(int i) =>
        Envelope(i, $$$"""{"eventType":"conformance","occurredAt":"2024-04-30T08:00:00Z","payload":{"n":{{{i}}}}}""");

    // An envelope must be a JSON object.
    protected override IReadOnlyDictionary<string, object?>? Unacceptable(int i) => Envelope(i, "[1,2]").Values;

    protected override async Task<long> CountHeldAsync() => (long)(await ScalarAsync(_db, "SELECT count(*) FROM public.events"))!;

    private static (string Key, IReadOnlyDictionary<string, object?> Values) Envelope(int i, string payload)
    {
        var id = new Guid($"00000000-0000-0000-0000-{i:D12}");
        return (id.ToString(), new Dictionary<string, object?>
        {
            ["event_id"] = id,
            ["source"] = "web",
            ["kind"] = "envelope",
            ["type"] = "event",
            ["event"] = null,
            ["received_at"] = IngestTestEvents.ReceivedAt,
            ["payload"] = payload,
        });
    }

    private EventsTableDestination Destination(string table) =>
        new("events_sync", _db, new PostgresConnectionOptions { Name = "wh", Database = "test", User = "postgres" },
            new EventsTableOptions { Schema = "public", Table = table });
}
