using System.Text;
using Npgsql;
using Sluice.Core.Errors;
using Sluice.Postgres.Destinations;
using static Sluice.Postgres.Tests.Destinations.IngestTestEvents;

namespace Sluice.Postgres.Tests.Destinations;

/// <summary>
/// The row of a Segment call, read in one pass over its text: which member fills which column when members repeat,
/// are escaped, spaced or null, and what is refused. Encoding needs no database (the data source is never opened).
/// </summary>
public sealed class EventsTableSegmentCallTests
{
    [Theory]
    // A repeated member: the last one fills its column; metadata keeps every other member as sent, in order.
    [InlineData("""{"type":"track","event":"E","userId":"u","properties":{"a":1},"context":{"x":1},"properties":{"b":2}}""",
        "E", "u", """{"b":2}""", """{"type":"track","event":"E","userId":"u","context":{"x":1}}""")]
    // Spacing inside the call is kept byte for byte, in the payload and in each metadata member.
    [InlineData("""{ "type" : "track" , "event":"E", "properties" : { "a" : 1 } , "anonymousId":"an" }""",
        "E", "an", """{ "a" : 1 }""", """{"type" : "track","event":"E","anonymousId":"an"}""")]
    // identify carries traits (its properties go nowhere but out of metadata); a numeric id as written.
    [InlineData("""{"type":"identify","userId":-12.5e3,"traits":{"plan":"pro"},"properties":{"ignored":true}}""",
        "identify", "-12.5e3", """{"plan":"pro"}""", """{"type":"identify","userId":-12.5e3}""")]
    // A page with traits only carries them; alias carries nothing.
    [InlineData("""{"type":"page","userId":"u","traits":{"t":1}}""", "page", "u", """{"t":1}""", """{"type":"page","userId":"u"}""")]
    [InlineData("""{"type":"alias","userId":"u","previousId":"p","properties":{"x":1}}""", "alias", "u", "{}", """{"type":"alias","userId":"u","previousId":"p"}""")]
    // null properties are an empty payload; a blank userId gives way to anonymousId.
    [InlineData("""{"type":"track","event":"E","userId":"  ","anonymousId":"a","properties":null}""", "E", "a", "{}", """{"type":"track","event":"E","userId":"  ","anonymousId":"a"}""")]
    // Member names and values may be escaped.
    [InlineData("""{"typ\u0065":"track","\u0065vent":"\u00c9t\u00e9","userId":"u"}""", "Été", "u", "{}", """{"typ\u0065":"track","\u0065vent":"\u00c9t\u00e9","userId":"u"}""")]
    public async Task Each_column_is_read_from_the_call_as_sent(string json, string eventType, string customer, string payload, string metadata)
    {
        await using var destination = Destination();

        var row = RowOf(Encode(destination, SegmentEvent(Guid.NewGuid(), "track", "fromQueue", json)).Prepared);

        Assert.Equal(eventType, row.EventType);
        Assert.Equal(customer, row.CustomerExternalId);
        Assert.Equal(payload, Encoding.UTF8.GetString(row.Payload));
        Assert.Equal(metadata, Encoding.UTF8.GetString(row.Metadata));
    }

    [Fact]
    public async Task The_time_is_the_timestamp_else_the_original_timestamp_else_when_received_in_UTC()
    {
        await using var destination = Destination();

        var offset = RowOf(Encode(destination, SegmentEvent(Guid.NewGuid(), "track", "E", """{"type":"track","event":"E","timestamp":"2024-05-01T14:00:00+02:00","originalTimestamp":"2020-01-01T00:00:00Z"}""")).Prepared);
        var original = RowOf(Encode(destination, SegmentEvent(Guid.NewGuid(), "track", "E", """{"type":"track","event":"E","timestamp":null,"originalTimestamp":"2024-05-01T10:00:00.123456Z"}""")).Prepared);
        var none = RowOf(Encode(destination, SegmentEvent(Guid.NewGuid(), "track", "E", """{"type":"track","event":"E","timestamp":""}""")).Prepared);

        Assert.Equal(new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero), offset.OccurredAt);
        Assert.Equal(new DateTimeOffset(2024, 5, 1, 10, 0, 0, TimeSpan.Zero).AddTicks(1_234_560), original.OccurredAt);
        Assert.Equal(new DateTimeOffset(ReceivedAt), none.OccurredAt);
    }

    [Theory]
    [InlineData("""{"type":"track","event":"E"} x""", "not valid JSON")]
    [InlineData("""{"type":"track","event":"E",}""", "not valid JSON")]
    [InlineData("""{"type":"track","properties":{"a":[1,}}""", "not valid JSON")]
    [InlineData("""[{"type":"track"}]""", "the event is JSON array, not an object")]
    [InlineData("""  "track"  """, "the event is JSON string, not an object")]
    [InlineData("""{"type":"track","event":"E","timestamp":"yesterday"}""", "timestamp 'yesterday' is not a timestamp")]
    public async Task A_call_that_is_not_one_is_refused_as_a_record_with_the_reason(string json, string reason)
    {
        await using var destination = Destination();

        var error = Assert.Throws<SluiceException>(() => Encode(destination, SegmentEvent(Guid.NewGuid(), "track", "E", json)));

        Assert.Equal(ErrorClass.RecordRejected, error.Class);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    /// <summary>Never opened: encoding reads nothing from the database.</summary>
    private static readonly NpgsqlDataSource Unopened = NpgsqlDataSource.Create("Host=127.0.0.1;Database=unused");

    private static EventsTableDestination Destination() => new(
        "events_sync", Unopened, new PostgresConnectionOptions { Name = "wh", Database = "unused", User = "postgres" },
        new EventsTableOptions { Schema = "public", Table = "events" });

    private static EventsTableRow RowOf(object? prepared) => Assert.IsType<EventsTableRow>(prepared);
}
