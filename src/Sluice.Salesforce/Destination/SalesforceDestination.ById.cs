using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Sluice.Core.Connectors;
using Sluice.Salesforce.Bulk;

namespace Sluice.Salesforce.Destination;

/// <summary>
/// Records whose Salesforce Id is known — kept by the record ledger from an earlier run, or found by <c>match:</c>
/// (find-or-create) — are updated by that Id: <c>PATCH /composite/sobjects</c> with the Id, or a Bulk API 2.0
/// <c>update</c> job. Fields Salesforce lets a record be created with but never changed (a CampaignMember's
/// <c>CampaignId</c> and <c>ContactId</c>) are left out of the update, as Salesforce would refuse them.
/// </summary>
public sealed partial class SalesforceDestination
{
    // The records MatchAsync has looked up: a record it has not (a waiting record offered again, which does not pass
    // through the engine's lookup) is looked up when it is written, so find-or-create never creates a second record.
    private readonly ConditionalWeakTable<EncodedRecord, object> _looked = [];

    /// <summary>
    /// Find-or-create (<c>match: {Email: email}</c>): the Ids of the records the org already holds with the same value of
    /// the match field, case-insensitive, by one SOQL <c>IN (…)</c> per ≤ 200 values — never a query per record.
    /// Without <c>match:</c> nothing is looked up and nothing is found.
    /// </summary>
    public async Task<IReadOnlyList<string?>> MatchAsync(IReadOnlyList<EncodedRecord> records, CancellationToken ct)
    {
        var found = new string?[records.Count];
        if (_options.Match is not { } match)
        {
            return found;
        }

        foreach (var record in records)
        {
            _looked.AddOrUpdate(record, match);
        }

        var values = new string?[records.Count];
        for (var i = 0; i < records.Count; i++)
        {
            using var payload = JsonDocument.Parse(records[i].Payload);
            values[i] = payload.RootElement.TryGetProperty(match.Field, out var value) && value.ValueKind == JsonValueKind.String && value.GetString()!.Length > 0
                ? value.GetString()
                : null;
        }

        var distinct = values.OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (distinct.Count == 0)
        {
            return found;
        }

        var ids = await FindIdsAsync(match.Field, distinct, StringComparer.OrdinalIgnoreCase, ct);
        for (var i = 0; i < records.Count; i++)
        {
            found[i] = values[i] is { } v ? ids.GetValueOrDefault(v) : null;
        }

        return found;
    }

    /// <summary>With <c>match:</c>, looks up the records of <paramref name="writes"/> that have no Id and were not looked up yet.</summary>
    private async Task MatchUnlookedAsync(IReadOnlyList<EncodedRecord> batch, List<int> writes, CancellationToken ct)
    {
        if (_options.Match is null)
        {
            return;
        }

        var unlooked = writes.Where(i => batch[i].KnownDestinationId is null && !_looked.TryGetValue(batch[i], out _)).ToList();
        if (unlooked.Count == 0)
        {
            return;
        }

        var found = await MatchAsync([.. unlooked.Select(i => batch[i])], ct);
        for (var i = 0; i < unlooked.Count; i++)
        {
            batch[unlooked[i]].KnownDestinationId = found[i];
        }
    }

    private async Task UpdateChunkByIdAsync(IReadOnlyList<EncodedRecord> batch, int[] chunk, WriteResult[] results, CancellationToken ct)
    {
        var objectName = _described?.Name ?? _options.Object;
        var body = new ArrayBufferWriter<byte>(chunk.Length * 256);
        using (var writer = new Utf8JsonWriter(body))
        {
            writer.WriteStartObject();
            writer.WriteBoolean("allOrNone", false);
            writer.WriteStartArray("records");
            foreach (var index in chunk)
            {
                writer.WriteStartObject();
                writer.WriteStartObject("attributes");
                writer.WriteString("type", objectName);
                writer.WriteEndObject();
                writer.WriteString("Id", batch[index].KnownDestinationId);
                using var record = JsonDocument.Parse(batch[index].Payload);
                foreach (var property in record.RootElement.EnumerateObject().Where(p => Updateable(p.Name)))
                {
                    property.WriteTo(writer);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        using var answer = await _client.SendJsonAsync(HttpMethod.Patch, "composite/sobjects", body.WrittenMemory.ToArray(), retrySafe: true, ct);
        var items = answer?.RootElement.EnumerateArray().ToList() ?? [];
        for (var i = 0; i < chunk.Length; i++)
        {
            results[chunk[i]] = i < items.Count ? Settle(items[i]) : WriteResult.Retry("Salesforce answered fewer results than records were sent");
        }
    }

    private async Task UpdateBulkByIdAsync(IReadOnlyList<EncodedRecord> batch, List<int> byId, WriteResult[] results, CancellationToken ct)
    {
        if (byId.Count == 0)
        {
            return;
        }

        var job = BulkIngestJob.Start(_client, ObjectName, "update", null, ct);
        var uploads = new List<(BulkRows Rows, List<int> Indexes)>();
        foreach (var index in byId)
        {
            // A parent's column (Account.External_Id__c) is kept or left by its relationship's name.
            AddRow(uploads, index, Cells(batch[index]), batch[index].KnownDestinationId!, column => Updateable(column.IndexOf('.') is var dot and >= 0 ? column[..dot] : column));
        }

        await RunUploadsAsync(batch, uploads, job, "update", null, results, ct);
    }

    /// <summary>
    /// Records updated by an Id Salesforce answered <c>ENTITY_IS_DELETED</c> for (deleted there since: a CampaignMember
    /// removed by hand, or by the sync when the row left the segment) are sent again as records without an Id, so they
    /// are created (or, with <c>match:</c>/<c>update</c>, found) anew and the ledger learns the new Id, instead of being
    /// dead-lettered at every run.
    /// </summary>
    private async Task RecreateDeletedAsync(IReadOnlyList<EncodedRecord> batch, List<int> byId, WriteResult[] results, CancellationToken ct)
    {
        var gone = byId.Where(i => results[i] is { Status: WriteStatus.Rejected, Reason: { } reason } && reason.StartsWith("ENTITY_IS_DELETED", StringComparison.Ordinal)).ToList();
        if (gone.Count == 0)
        {
            return;
        }

        foreach (var index in gone)
        {
            batch[index].KnownDestinationId = null;
            _looked.Remove(batch[index]);
        }

        await MatchUnlookedAsync(batch, gone, ct);
        // A live record found by match: is updated by its Id; the rest are created. Once: an Id deleted again is answered as it is.
        var found = gone.Where(i => batch[i].KnownDestinationId is not null).ToList();
        var create = gone.Where(i => batch[i].KnownDestinationId is null).ToList();
        if (create.Count >= _options.BulkThreshold)
        {
            await WriteBulkAsync(batch, create, results, ct);
        }
        else
        {
            foreach (var chunk in create.Chunk(CollectionSize))
            {
                await WriteChunkAsync(batch, chunk, results, ct);
            }
        }

        foreach (var chunk in found.Chunk(CollectionSize))
        {
            await UpdateChunkByIdAsync(batch, chunk, results, ct);
        }
    }

    /// <summary>Whether an update may set the field (or the parent, by its relationship name) — per the object's describe.</summary>
    private bool Updateable(string name)
    {
        if (_described is not { } described)
        {
            return true;
        }

        if (described.ByName.TryGetValue(name, out var field))
        {
            return field.Updateable;
        }

        return !described.ByRelationship.TryGetValue(name, out var reference) || reference.Updateable;
    }
}
