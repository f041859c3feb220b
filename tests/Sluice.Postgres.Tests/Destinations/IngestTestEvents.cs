using Sluice.Core.Checkpoints;
using Sluice.Core.Configuration;
using Sluice.Core.Connectors;
using Sluice.Core.Mapping;
using Sluice.Core.Records;

namespace Sluice.Postgres.Tests.Destinations;

/// <summary>Events as the ingest source yields them (its columns, one change per event), for destination tests.</summary>
internal static class IngestTestEvents
{
    public static readonly DateTime ReceivedAt = new(2024, 5, 1, 12, 0, 0, DateTimeKind.Utc);

    public static readonly SourceSchema Schema = new("ingest source 'web'",
    [
        new SourceColumn("event_id", "uuid", ColumnType.Uuid, false),
        new SourceColumn("source", "text", ColumnType.Text, false),
        new SourceColumn("kind", "text", ColumnType.Text, false),
        new SourceColumn("type", "text", ColumnType.Text, false),
        new SourceColumn("event", "text", ColumnType.Text, true),
        new SourceColumn("received_at", "timestamptz", ColumnType.TimestampWithTimeZone, false),
        new SourceColumn("payload", "jsonb", ColumnType.Json, false),
    ], ["event_id"]);

    public static IngestChange Envelope(Guid id, string json) => new(id, "envelope", "event", null, json);

    public static IngestChange SegmentEvent(Guid id, string type, string? name, string json) => new(id, "segment", type, name, json);

    public static CompiledMapping Mapping(IDestination destination) =>
        CompiledMapping.Compile(MappingSpec.None(new ConfigLocation("sluice.yaml", 1, 1, "syncs.events_sync")), Schema, destination.Shape);

    public static EncodedRecord Encode(IDestination destination, IngestChange change)
    {
        var mapping = Mapping(destination);
        return destination.Encode(change.ToChange(mapping), mapping);
    }

    public static Change Change(string key, object?[] values) => new(key, ChangeOperation.Upsert, values, new NoPosition());

    /// <summary>An event as the ingest source yields it.</summary>
    public sealed record IngestChange(Guid Id, string Kind, string Type, string? Event, string Payload)
    {
        public Change ToChange(CompiledMapping mapping)
        {
            var byColumn = new Dictionary<string, object?>
            {
                ["event_id"] = Id,
                ["source"] = "web",
                ["kind"] = Kind,
                ["type"] = Type,
                ["event"] = Event,
                ["received_at"] = ReceivedAt,
                ["payload"] = Payload,
            };
            return IngestTestEvents.Change(Id.ToString(), mapping.Columns.Select(c => byColumn[c]).ToArray());
        }
    }

    private sealed class NoPosition : SourcePosition
    {
        public override Checkpoint ToCheckpoint() => throw new InvalidOperationException("not committed in these tests");
    }
}
