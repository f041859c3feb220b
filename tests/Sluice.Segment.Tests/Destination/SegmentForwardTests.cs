using System.Text;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;
using Sluice.Segment.Destination;

namespace Sluice.Segment.Tests.Destination;

/// <summary><c>forward: true</c>: an ingested event is passed on byte for byte, but for what only its first receiver sets.</summary>
public sealed class SegmentForwardTests
{
    private static readonly SourceSchema Ingest = new(
        "ingest source 'web'",
        [
            new SourceColumn("event_id", "uuid", ColumnType.Uuid, IsNullable: false),
            new SourceColumn("kind", "text", ColumnType.Text, IsNullable: false),
            new SourceColumn("payload", "json", ColumnType.Json, IsNullable: false),
        ],
        ["event_id"]);

    [Fact]
    public async Task A_forwarded_event_keeps_its_message_id_context_and_integrations_and_loses_the_receivers_timestamps()
    {
        const string Stored = """{"type":"track","event":"Order Completed","userId":"u1","messageId":"ajs-next-1","integrations":{"All":true,"Mixpanel":false},"context":{"ip":"203.0.113.9","library":{"name":"analytics.js"}},"properties":{"revenue":42.5,"note":"\u00e9"},"originalTimestamp":"2026-05-01T12:00:00.000Z","sentAt":"2026-05-01T12:00:01.000Z","receivedAt":"2026-05-01T12:00:03.000Z","timestamp":"2026-05-01T12:00:02.000Z"}""";

        var encoded = await EncodeAsync("segment", Stored);

        Assert.Equal("ajs-next-1", encoded.MessageId);
        Assert.Equal(
            """{"type":"track","event":"Order Completed","userId":"u1","messageId":"ajs-next-1","integrations":{"All":true,"Mixpanel":false},"context":{"ip":"203.0.113.9","library":{"name":"analytics.js"}},"properties":{"revenue":42.5,"note":"\u00e9"},"timestamp":"2026-05-01T12:00:02.000Z"}""",
            Encoding.UTF8.GetString(encoded.Payload.Span));
    }

    [Fact]
    public async Task An_envelope_event_is_refused_alone_with_the_reason()
    {
        var error = await Assert.ThrowsAsync<SluiceException>(() => EncodeAsync("envelope", """{"eventId":"e1","eventType":"invoice.paid","payload":{}}"""));

        Assert.Equal(ErrorClass.RecordRejected, error.Class);
        Assert.Contains("envelope event", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Forwarding_with_a_call_is_a_config_error_naming_the_key()
    {
        var sync = EncodingBed.Load("forward: true\ncall: track\nevent: Order Completed", "user_id: user_id");

        var error = Assert.Throws<ConfigException>(() => SegmentDestinationOptions.Bind(sync.Destination));

        Assert.Contains("syncs.orders_to_segment.destination.call", error.Message, StringComparison.Ordinal);
        Assert.Contains("'forward: true' passes ingested events on as they came", error.Message, StringComparison.Ordinal);
    }

    private static async Task<Sluice.Core.Connectors.EncodedRecord> EncodeAsync(string kind, string payload)
    {
        await using var destination = new SegmentDestination(
            "web_to_segment",
            new SegmentConnectionOptions { Name = "segment", WriteKey = new Secret("k"), Endpoint = new Uri("http://127.0.0.1:9") },
            new SegmentDestinationOptions { Forward = true },
            TimeProvider.System);
        var mapping = CompiledMapping.Compile(MappingSpec.None(new ConfigLocation("sluice.yaml", 1, 1, "syncs.web_to_segment")), Ingest, destination.Shape);
        var row = new Dictionary<string, object?> { ["event_id"] = Guid.NewGuid(), ["kind"] = kind, ["payload"] = payload };
        var values = mapping.Columns.Select(c => row[c]).ToArray();
        return destination.Encode(new Change("k", ChangeOperation.Upsert, values, new Position()), mapping);
    }

    private sealed class Position : SourcePosition
    {
        public override Sluice.Core.Checkpoints.Checkpoint ToCheckpoint() => new("test", 1, "0");
    }
}
