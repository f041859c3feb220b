using System.Text.Json;

namespace Sluice.Salesforce.Streaming;

/// <summary>
/// One Change Data Capture event as the Streaming API delivers it: its replay id (the stream's position) and its
/// <c>ChangeEventHeader</c>; <see cref="Payload"/> holds the changed fields.
/// </summary>
internal sealed record ChangeEventMessage(
    long ReplayId,
    string EntityName,
    string ChangeType,
    IReadOnlyList<string> RecordIds,
    string ChangeOrigin,
    long CommitTimestampMs,
    JsonElement Payload)
{
    /// <summary>A header-only event (<c>GAP_CREATE</c>…<c>GAP_OVERFLOW</c>): the record must be read again.</summary>
    public bool IsGap => ChangeType.StartsWith("GAP_", StringComparison.Ordinal);

    /// <summary>A transaction too big for events: which records changed is unknown, only a poll finds them.</summary>
    public bool IsOverflow => ChangeType == "GAP_OVERFLOW";

    public bool IsDelete => ChangeType is "DELETE" or "GAP_DELETE";

    /// <summary>Whether the write that caused it carried <c>Sforce-Call-Options: client=<paramref name="client"/></c>.</summary>
    public bool CameFrom(string client) =>
        ChangeOrigin.EndsWith(";client=" + client, StringComparison.Ordinal) || ChangeOrigin.Contains(";client=" + client + ";", StringComparison.Ordinal);

    /// <summary>Reads a CometD event message's <c>data</c>; null when it is not a change event.</summary>
    public static ChangeEventMessage? Read(JsonElement data)
    {
        if (!data.TryGetProperty("payload", out var payload) || !payload.TryGetProperty("ChangeEventHeader", out var header)
            || !data.TryGetProperty("event", out var @event) || !@event.TryGetProperty("replayId", out var replayId))
        {
            return null;
        }

        string Text(string name) => header.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";
        var ids = header.TryGetProperty("recordIds", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Select(id => id.GetString()!).ToList()
            : [];
        var commit = header.TryGetProperty("commitTimestamp", out var stamp) && stamp.ValueKind == JsonValueKind.Number ? stamp.GetInt64() : 0;
        return new ChangeEventMessage(replayId.GetInt64(), Text("entityName"), Text("changeType"), ids, Text("changeOrigin"), commit, payload.Clone());
    }
}
