using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Emulators.Salesforce.Org;

namespace Sluice.Emulators.Salesforce.Streaming;

/// <summary>
/// Turns a committed transaction into Change Data Capture events as Salesforce builds them: a create carries every
/// set field, an update only the changed ones (<c>changedFields</c>, <c>nulledFields</c>; nulled fields are omitted
/// from the body), a delete only its header. Changes of one object with the same type and body in one transaction
/// merge into one event listing several <c>recordIds</c>. Past the overflow threshold, the rest of the transaction
/// becomes one <c>GAP_OVERFLOW</c> event per object; with gap events on, every event is a header-only <c>GAP_*</c>.
/// </summary>
internal static class ChangeEventFactory
{
    // Not part of a change event's body (Salesforce leaves out these system fields).
    private static readonly HashSet<string> Omitted = new(StringComparer.Ordinal) { "Id", "IsDeleted", "SystemModstamp" };

    // Every event names its schema: hashed once per object, not once per event.
    private static readonly ConcurrentDictionary<string, string> SchemaIds = new(StringComparer.Ordinal);

    /// <summary>
    /// The events of <paramref name="commit"/>, in order, each as (entity, header, body) without its replay id; the body is
    /// its JSON text, the payload's fields after the header.
    /// </summary>
    public static IReadOnlyList<(string Entity, JsonObject Header, string Body)> Build(OrgCommit commit, SalesforceStreamingOptions options, long commitNumber)
    {
        var events = new List<Pending>();
        // Events by key, for merging equal changes: a Bulk job's chunk commits hundreds of changes at once.
        var byKey = new Dictionary<string, Pending>(StringComparer.Ordinal);
        var overflowed = new List<string>();
        var counted = 0;
        foreach (var change in commit.Changes)
        {
            var entity = change.After.Schema.Name;
            var (body, changed, nulled) = Body(change);
            counted += change.Type == RecordChangeType.Update ? Math.Max(1, changed.Count) : 1;
            if (counted > options.OverflowThreshold)
            {
                if (!overflowed.Contains(entity))
                {
                    overflowed.Add(entity);
                }

                continue;
            }

            var type = change.Type switch
            {
                RecordChangeType.Create => "CREATE",
                RecordChangeType.Update => "UPDATE",
                _ => "DELETE",
            };
            if (options.GapEvents)
            {
                (type, body, changed, nulled) = ("GAP_" + type, [], [], []);
            }

            var bodyJson = body.ToJsonString();
            var key = entity + "|" + type + "|" + bodyJson;
            if (byKey.TryGetValue(key, out var same))
            {
                same.RecordIds.Add(change.After.Id);
                continue;
            }

            var pending = new Pending(key, entity, type, [change.After.Id], bodyJson, changed, nulled);
            byKey[key] = pending;
            events.Add(pending);
        }

        events.AddRange(overflowed.Select(entity => new Pending(entity + "|GAP_OVERFLOW", entity, "GAP_OVERFLOW", [], "{}", [], [])));
        var transactionKey = TransactionKey(commitNumber);
        var result = new List<(string, JsonObject, string)>(events.Count);
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            var header = new JsonObject
            {
                ["entityName"] = e.Entity,
                ["recordIds"] = new JsonArray([.. e.RecordIds.Select(id => (JsonNode)id)]),
                ["changeType"] = e.Type,
                ["changeOrigin"] = commit.Origin,
                ["transactionKey"] = transactionKey,
                ["sequenceNumber"] = i + 1,
                ["commitTimestamp"] = commit.CommitTime.ToUnixTimeMilliseconds(),
                ["commitNumber"] = commitNumber,
                ["commitUser"] = commit.UserId,
                ["nulledFields"] = new JsonArray([.. e.Nulled.Select(f => (JsonNode)f)]),
                ["diffFields"] = new JsonArray(),
                ["changedFields"] = new JsonArray([.. e.Changed.Select(f => (JsonNode)f)]),
            };
            result.Add((e.Entity, header, e.Body));
        }

        return result;
    }

    /// <summary>A per-object schema id, stable for the emulator's life (Salesforce's changes with the object's fields).</summary>
    public static string SchemaId(string entity) => SchemaIds.GetOrAdd(entity, static name =>
        Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..22].Replace('+', '-').Replace('/', '_'));

    private static (JsonObject Body, List<string> Changed, List<string> Nulled) Body(RecordChange change)
    {
        var body = new JsonObject();
        var changed = new List<string>();
        var nulled = new List<string>();
        if (change.Type == RecordChangeType.Delete)
        {
            return (body, changed, nulled);
        }

        foreach (var field in change.After.Schema.Fields)
        {
            if (Omitted.Contains(field.Name))
            {
                continue;
            }

            var value = change.After.Values.GetValueOrDefault(field.Name);
            if (change.Type == RecordChangeType.Update)
            {
                var before = change.Before!.Values.GetValueOrDefault(field.Name);
                if (Equals(before, value) && field.Name != "LastModifiedDate")
                {
                    continue;
                }

                changed.Add(field.Name);
                if (value is null)
                {
                    nulled.Add(field.Name);
                    continue;
                }
            }
            else if (value is null)
            {
                continue;
            }

            body[field.Name] = value is DateTimeOffset time
                ? time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)
                : FieldValues.ToJson(field, value);
        }

        return (body, changed, nulled);
    }

    private static string TransactionKey(long commitNumber)
    {
        Span<byte> bytes = stackalloc byte[16];
        BitConverter.TryWriteBytes(bytes, commitNumber);
        RandomNumberGenerator.Fill(bytes[8..]);
        return new Guid(bytes).ToString();
    }

    private sealed record Pending(string Key, string Entity, string Type, List<string> RecordIds, string Body, List<string> Changed, List<string> Nulled);

    /// <summary>
    /// The <c>data</c> object of an event message, serialized: <c>{"schema":…,"payload":{"ChangeEventHeader":…,
    /// …body},"event":{"replayId":…}}</c>. The body is already JSON text (its key merged equal events), so it is spliced
    /// in rather than built and serialized again: the same bytes a writer makes of the whole payload, minified, with the
    /// default encoder.
    /// </summary>
    public static byte[] Data(string entity, JsonObject header, string body, long replayId)
    {
        var json = new StringBuilder(body.Length + 512)
            .Append("{\"schema\":\"").Append(SchemaId(entity)).Append("\",\"payload\":{\"ChangeEventHeader\":")
            .Append(header.ToJsonString());
        if (body.Length > 2)
        {
            json.Append(',').Append(body, 1, body.Length - 2);
        }

        json.Append("},\"event\":{\"replayId\":").Append(replayId.ToString(CultureInfo.InvariantCulture)).Append("}}");
        return Encoding.UTF8.GetBytes(json.ToString());
    }
}
