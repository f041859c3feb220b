using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Sluice.Core.Checkpoints;
using Sluice.Core.Records;

namespace Sluice.Salesforce.Source;

/// <summary>
/// Where a Salesforce source stands. While the initial load runs: its Bulk query job, the results page and the row
/// there. Once it has run: the poll's <see cref="FloorMs"/> (the next poll reads every record stamped after it) and where
/// getDeleted reads from. Always: the versions handed on inside the lookback window (<see cref="DeliveredWindow"/>) —
/// inside the load without the job's own rows, which a resumed load reads back from the job.
/// Stored as JSON, format <c>salesforce</c> version 1; the format only grows.
/// </summary>
internal sealed class SalesforcePosition : SourcePosition
{
    public const string Format = "salesforce";

    public const int Version = 1;

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>True while the initial load's job is being read.</summary>
    public required bool Loading { get; init; }

    public string? Job { get; init; }

    /// <summary>The locator of the results page the last row came from; null for the first page.</summary>
    public string? Page { get; init; }

    /// <summary>The index of the last row handed on in its page; -1 when none of the job's rows was.</summary>
    public int Row { get; init; } = -1;

    /// <summary>The newest SystemModstamp seen so far (Unix ms), if any.</summary>
    public long? MaxMs { get; init; }

    /// <summary>Every record stamped at or before it was handed on (or committed later than the lookback allows).</summary>
    public long? FloorMs { get; init; }

    /// <summary>Where the next getDeleted call starts (Unix ms).</summary>
    public long? DeletedFromMs { get; init; }

    public required DeliveredWindow Window { get; init; }

    public long Sequence { get; init; }

    /// <summary>How far back the window reaches, for dropping what is below it.</summary>
    public required TimeSpan Lookback { get; init; }

    public override Checkpoint ToCheckpoint()
    {
        // Below the floor nothing is read again; while loading, the floor is where the load's newest stamp puts it.
        // Deletes are kept down to the minute getDeleted reads again from (it covers whole minutes, so it lags behind).
        long? floor = FloorMs ?? (MaxMs is { } max ? max - (long)Lookback.TotalMilliseconds : null);
        long? deletesFloor = DeletedFromMs is { } from ? from - (from % 60_000) - 1 : null;

        // Written by hand rather than through Stored: the window can hold a whole load's records, and boxing each entry
        // into an object[] for the serializer cost more than the load's own work for it. Same JSON as Stored serializes.
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("phase", Loading ? "load" : "poll");
            if (Loading)
            {
                if (Job is { } job)
                {
                    writer.WriteString("job", job);
                }

                if (Page is { } page)
                {
                    writer.WriteString("page", page);
                }

                writer.WriteNumber("row", Row);
            }

            if (MaxMs is { } newest)
            {
                writer.WriteNumber("max", newest);
            }

            if (FloorMs is { } floorMs)
            {
                writer.WriteNumber("floor", floorMs);
            }

            if (DeletedFromMs is { } deletedFrom)
            {
                writer.WriteNumber("deletedFrom", deletedFrom);
            }

            writer.WriteStartArray("window");
            Window.WriteTo(writer, Sequence, floor, deletesFloor, loaded: !Loading);
            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return new Checkpoint(Format, Version, Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    /// <summary>A stored checkpoint read back; null when there is none. A checkpoint of another source is a config error's business, not this.</summary>
    public static Stored? Read(Checkpoint? checkpoint)
    {
        if (checkpoint is null)
        {
            return null;
        }

        if (checkpoint.Format != Format || checkpoint.Version != Version)
        {
            throw new InvalidOperationException($"checkpoint {checkpoint.Format}/v{checkpoint.Version} is not a Salesforce source's");
        }

        return JsonSerializer.Deserialize<Stored>(checkpoint.Value, Json) ?? throw new InvalidOperationException("empty Salesforce checkpoint");
    }

    /// <summary>The stored form.</summary>
    internal sealed class Stored
    {
        [JsonPropertyName("phase")]
        public string Phase { get; init; } = "poll";

        [JsonPropertyName("job")]
        public string? Job { get; init; }

        [JsonPropertyName("page")]
        public string? Page { get; init; }

        [JsonPropertyName("row")]
        public int? Row { get; init; }

        [JsonPropertyName("max")]
        public long? Max { get; init; }

        [JsonPropertyName("floor")]
        public long? Floor { get; init; }

        [JsonPropertyName("deletedFrom")]
        public long? DeletedFrom { get; init; }

        /// <summary>[id, stamp ms, 1 when a delete].</summary>
        [JsonPropertyName("window")]
        public List<object[]> Window { get; init; } = [];

        public IEnumerable<DeliveredVersion> Versions() => Window.Select(entry => new DeliveredVersion(
            ((JsonElement)entry[0]).GetString()!, ((JsonElement)entry[1]).GetInt64(), ((JsonElement)entry[2]).GetInt32() == 1));
    }
}
