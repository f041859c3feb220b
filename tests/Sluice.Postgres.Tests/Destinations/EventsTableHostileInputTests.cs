using Npgsql;
using Sluice.Core.Errors;
using Sluice.Postgres.Destinations;
using Sluice.Testing;
using static Sluice.Postgres.Tests.Destinations.IngestTestEvents;

namespace Sluice.Postgres.Tests.Destinations;

/// <summary>Inputs a public write key can send; each is refused as a record, never thrown as something else.</summary>
public sealed class EventsTableHostileInputTests
{
    [Theory]
    [InlineData("""{"type":"track","event":"\udc00","userId":"u"}""")]
    [InlineData("""{"type":"\ud800","userId":"u"}""")]
    [InlineData("""{"type":"track","event":"E","userId":"\udc00"}""")]
    [InlineData("""{"type":"track","event":"E","anonymousId":"a\ud800"}""")]
    public async Task A_lone_surrogate_in_a_top_level_field_is_refused_as_a_record(string json)
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_lone_surrogate_in_a_top_level_field_is_refused_as_a_record));
        await using var destination = new EventsTableDestination(
            "events_sync", db, new PostgresConnectionOptions { Name = "wh", Database = "test", User = "postgres" },
            new EventsTableOptions { Schema = "public", Table = "events" });

        var error = Assert.Throws<SluiceException>(() => Encode(destination, SegmentEvent(Guid.NewGuid(), "track", "E", json)));

        Assert.Equal(ErrorClass.RecordRejected, error.Class);
        Assert.Contains("lone UTF-16 surrogate", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"type":"track","event":"E","userId":"u","properties":{"note":"a\u0000b"}}""")]
    [InlineData("""{"type":"track","event":"E","userId":"u","properties":{"\u0000":1}}""")]
    [InlineData("""{"type":"track","event":"E","userId":"u","context":{"ip":"\\\u0000"}}""")]
    public async Task A_NUL_in_a_value_or_key_is_refused_as_a_record_with_the_reason_before_any_insert(string json)
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_NUL_in_a_value_or_key_is_refused_as_a_record_with_the_reason_before_any_insert));
        await using var destination = new EventsTableDestination(
            "events_sync", db, new PostgresConnectionOptions { Name = "wh", Database = "test", User = "postgres" },
            new EventsTableOptions { Schema = "public", Table = "events" });

        var error = Assert.Throws<SluiceException>(() => Encode(destination, SegmentEvent(Guid.NewGuid(), "track", "E", json)));

        Assert.Equal(ErrorClass.RecordRejected, error.Class);
        Assert.Contains("NUL", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_backslash_before_u0000_is_text_not_a_NUL_and_is_kept()
    {
        await using var db = await TestPostgres.CreateDataSourceAsync(nameof(A_backslash_before_u0000_is_text_not_a_NUL_and_is_kept));
        await using var destination = new EventsTableDestination(
            "events_sync", db, new PostgresConnectionOptions { Name = "wh", Database = "test", User = "postgres" },
            new EventsTableOptions { Schema = "public", Table = "events" });

        var encoded = Encode(destination, SegmentEvent(Guid.NewGuid(), "track", "E", """{"type":"track","event":"E","userId":"u","properties":{"u0000":"\\u0000"}}"""));

        Assert.Contains(@"\\u0000", System.Text.Encoding.UTF8.GetString(encoded.Payload.Span), StringComparison.Ordinal);
    }
}
