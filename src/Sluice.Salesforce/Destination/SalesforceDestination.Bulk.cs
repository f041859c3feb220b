using Sluice.Core.Connectors;
using Sluice.Salesforce.Bulk;

namespace Sluice.Salesforce.Destination;

/// <summary>
/// The Bulk API 2.0 path: a batch at or above <c>bulk_threshold</c> goes as CSV uploads written straight from each
/// record's prepared cells onto the request stream.
/// </summary>
public sealed partial class SalesforceDestination
{
    // Batches whose upload started while the engine filled them, until they are written or given up.
    private readonly List<BulkEarlyUpload> _early = [];

    /// <summary>
    /// An upsert by external id or an insert (without <c>match:</c>, which looks Ids up once the batch is whole) uploads a
    /// large batch while the engine fills it: the job is created at the batch's <c>bulk_threshold</c>-th record and each
    /// row streamed as it joins. An update, which finds its Ids first, does not.
    /// </summary>
    public IEarlyBatch? StartBatch(CancellationToken ct)
    {
        if (_options.Match is not null || _options.Operation == SalesforceOperation.Update || (_options.Operation == SalesforceOperation.Upsert && _options.ExternalId is null))
        {
            return null;
        }

        var upsert = _options.Operation == SalesforceOperation.Upsert;
        var early = new BulkEarlyUpload(
            () => BulkIngestJob.Start(_client, ObjectName, upsert ? "upsert" : "insert", upsert ? _options.ExternalId : null, ct),
            _options.BulkThreshold, MaxUploadBytes, Forget);
        lock (_early)
        {
            _early.Add(early);
        }

        return early;
    }

    private void Forget(BulkEarlyUpload early)
    {
        lock (_early)
        {
            _early.Remove(early);
        }
    }

    /// <summary>The early upload made for exactly <paramref name="records"/>, if one was.</summary>
    private BulkEarlyUpload? EarlyUploadOf(IReadOnlyList<EncodedRecord> records)
    {
        lock (_early)
        {
            return _early.FirstOrDefault(e => e.Matches(records));
        }
    }

    /// <summary>The record's CSV cells: as <see cref="Encode"/> made them, or from the payload for a record rebuilt from storage.</summary>
    private static BulkRecord Cells(EncodedRecord record) => record.Prepared as BulkRecord ?? BulkRecord.FromPayload(record.Payload);

    /// <summary>
    /// A large batch as Bulk API 2.0 ingest jobs: one job (a handful of requests however many records) unless the CSV
    /// would pass <see cref="MaxUploadBytes"/>, then one per upload. The first job is created while the rows are laid out.
    /// </summary>
    private async Task WriteBulkAsync(IReadOnlyList<EncodedRecord> batch, List<int> writes, WriteResult[] results, CancellationToken ct)
    {
        if (writes.Count == 0)
        {
            return;
        }

        var rest = writes.Select(i => batch[i]).ToList();
        if (EarlyUploadOf(rest) is { } early && await early.TryFinishAsync(rest, SettleBulkError, () => MakeMessageIds(rest), ct) is { } answers)
        {
            for (var i = 0; i < writes.Count; i++)
            {
                results[writes[i]] = answers[i];
            }

            return;
        }

        var upsert = _options.Operation == SalesforceOperation.Upsert && _options.ExternalId is not null;
        var operation = upsert ? "upsert" : _options.Operation == SalesforceOperation.Update ? "update" : "insert";
        var externalId = upsert ? _options.ExternalId : null;
        // An update first finds each record's Id, and may find none: its job is created once there is a row to send.
        var first = _options.Operation == SalesforceOperation.Update ? null : BulkIngestJob.Start(_client, ObjectName, operation, externalId, ct);
        var uploads = new List<(BulkRows Rows, List<int> Indexes)>();
        try
        {
            foreach (var chunk in writes.Chunk(CollectionSize))
            {
                var ids = new Dictionary<int, string>();
                var pending = _options.Operation == SalesforceOperation.Update ? await MatchForUpdateAsync(batch, chunk, ids, results, ct) : [.. chunk];
                foreach (var index in pending)
                {
                    AddRow(uploads, index, Cells(batch[index]), ids.GetValueOrDefault(index), keep: null);
                }
            }
        }
        catch
        {
            await (first?.AbandonAsync() ?? Task.CompletedTask);
            throw;
        }

        await RunUploadsAsync(batch, uploads, first, operation, externalId, results, ct);
    }

    /// <summary>
    /// The message ids <see cref="Encode"/> left to first use (a hash over each record's payload), made while Salesforce
    /// processes the job: the engine asks for them when it files the answers, and this way not after the job, nor
    /// while the batch was read and uploaded, when the process had the most to do.
    /// </summary>
    private static void MakeMessageIds(IReadOnlyList<EncodedRecord> records)
    {
        foreach (var record in records)
        {
            _ = record.MessageId;
        }
    }

    /// <summary>Adds a row to the last upload, or to a new one when the last would grow past <see cref="MaxUploadBytes"/>.</summary>
    private void AddRow(List<(BulkRows Rows, List<int> Indexes)> uploads, int index, BulkRecord record, string? id, Func<string, bool>? keep)
    {
        if (uploads.Count == 0 || !uploads[^1].Rows.TryAdd(record, id, keep, MaxUploadBytes))
        {
            uploads.Add((new BulkRows(), []));
            uploads[^1].Rows.TryAdd(record, id, keep, MaxUploadBytes);
        }

        uploads[^1].Indexes.Add(index);
    }

    /// <summary>Runs one job per upload, one after another (the first perhaps created already), and gives each row its answer.</summary>
    private async Task RunUploadsAsync(IReadOnlyList<EncodedRecord> batch, List<(BulkRows Rows, List<int> Indexes)> uploads, BulkIngestJob? first, string operation, string? externalId, WriteResult[] results, CancellationToken ct)
    {
        if (uploads.Count == 0)
        {
            await (first?.AbandonAsync() ?? Task.CompletedTask);
            return;
        }

        for (var u = 0; u < uploads.Count; u++)
        {
            var job = u == 0 && first is not null ? first : BulkIngestJob.Start(_client, ObjectName, operation, externalId, ct);
            var (rows, indexes) = uploads[u];
            var answers = await job.RunAsync(rows, SettleBulkError, () => MakeMessageIds([.. indexes.Select(i => batch[i])]), ct);
            for (var i = 0; i < indexes.Count; i++)
            {
                results[indexes[i]] = answers[i];
            }

            // The upload's rows are answered: let them go before the next upload is sent.
            uploads[u] = default;
        }
    }
}
