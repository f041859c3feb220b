using System.Text.Json;
using System.Text.Json.Serialization;
using Sluice.Core.Checkpoints;
using Sluice.Core.Records;

namespace Sluice.Salesforce.Streaming;

/// <summary>
/// Where a Salesforce source in <c>changes: stream</c> mode stands: the replay id of the last change event whose
/// changes are all handed on (null until the first one), and the polling position of the last load or reconciliation
/// poll — where a poll starts when the replay id has expired. Stored as JSON, format <c>salesforce-stream</c> version 1;
/// the format only grows.
/// </summary>
internal sealed class StreamPosition(long? replayId, Checkpoint? poll) : SourcePosition
{
    public const string Format = "salesforce-stream";

    public const int Version = 1;

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public long? ReplayId { get; } = replayId;

    /// <summary>The polling source's checkpoint (format <c>salesforce</c>), when a load or poll has committed one.</summary>
    public Checkpoint? Poll { get; } = poll;

    public override Checkpoint ToCheckpoint() =>
        new(Format, Version, JsonSerializer.Serialize(new Stored { ReplayId = ReplayId, Poll = Poll?.Value, PollVersion = Poll?.Version }, Json));

    /// <summary>
    /// A stored checkpoint read back: a stream checkpoint, or a polling one (a sync switched from <c>poll</c> to
    /// <c>stream</c>: it streams from now and polls once from there). Null: none.
    /// </summary>
    public static StreamPosition? Read(Checkpoint? checkpoint)
    {
        if (checkpoint is null)
        {
            return null;
        }

        if (checkpoint.Format == Source.SalesforcePosition.Format)
        {
            return new StreamPosition(null, checkpoint);
        }

        if (checkpoint.Format != Format || checkpoint.Version != Version)
        {
            throw new InvalidOperationException($"checkpoint {checkpoint.Format}/v{checkpoint.Version} is not a Salesforce source's");
        }

        var stored = JsonSerializer.Deserialize<Stored>(checkpoint.Value, Json) ?? throw new InvalidOperationException("empty Salesforce stream checkpoint");
        return new StreamPosition(stored.ReplayId, stored.Poll is { } poll ? new Checkpoint(Source.SalesforcePosition.Format, stored.PollVersion ?? 1, poll) : null);
    }

    private sealed class Stored
    {
        [JsonPropertyName("replayId")]
        public long? ReplayId { get; init; }

        [JsonPropertyName("poll")]
        public string? Poll { get; init; }

        [JsonPropertyName("pollVersion")]
        public int? PollVersion { get; init; }
    }
}
