using System.Text;
using System.Text.Json;
using Sluice.Core.Connectors;
using Sluice.Core.Errors;
using Sluice.Salesforce.Connection;

namespace Sluice.Salesforce.Bulk;

/// <summary>
/// One Bulk API 2.0 ingest job for one upload: created as soon as it is started (while the caller still lays out the
/// rows), then the CSV uploaded in one streamed request, closed, polled until done, and the successful, failed and
/// unprocessed results read to give each row its answer. About seven requests whatever the upload's size, where
/// sObject Collections take one per 200 records.
/// </summary>
internal sealed class BulkIngestJob
{
    private readonly SalesforceClient _client;
    private readonly Task<string> _created;

    private BulkIngestJob(SalesforceClient client, Task<string> created)
    {
        _client = client;
        _created = created;
    }

    /// <summary>Starts creating the job; the request is in flight when this returns.</summary>
    public static BulkIngestJob Start(SalesforceClient client, string objectName, string operation, string? externalId, CancellationToken ct)
    {
        var create = new Dictionary<string, object?>
        {
            ["object"] = objectName,
            ["operation"] = operation,
            ["contentType"] = "CSV",
            ["lineEnding"] = "LF",
        };
        if (externalId is not null)
        {
            create["externalIdFieldName"] = externalId;
        }

        return new BulkIngestJob(client, CreateAsync(client, JsonSerializer.SerializeToUtf8Bytes(create), ct));
    }

    private static async Task<string> CreateAsync(SalesforceClient client, byte[] body, CancellationToken ct)
    {
        // Yield first, so the caller goes on laying out rows while the request is made.
        await Task.Yield();
        // Creating a job is not retried by the client: a second one would only sit open, but it would cost a request.
        using var created = await client.SendJsonAsync(HttpMethod.Post, "jobs/ingest", body, retrySafe: false, ct);
        return created!.RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>For a job started and then not needed (no row to send): aborted, so it does not sit open.</summary>
    public async Task AbandonAsync()
    {
        try
        {
            await AbortAsync(await _created);
        }
        catch (SluiceException)
        {
            // Not created, or not aborted: either way nothing was uploaded, and Salesforce deletes an open job after 7 days.
        }
    }

    /// <summary>Uploads <paramref name="rows"/> into the job and waits for it; one result per row, in order.</summary>
    public async Task<WriteResult[]> RunAsync(BulkRows rows, Func<string, WriteResult> settleError, Action? whileProcessing, CancellationToken ct)
    {
        try
        {
            await UploadAsync(() => new BulkCsvContent(rows), retrySafe: true, ct);
        }
        catch (SluiceException)
        {
            await AbortAsync(await _created);
            throw;
        }

        return await FinishAsync(rows, settleError, whileProcessing, ct);
    }

    /// <summary>
    /// The job's one upload (PUT <c>batches</c>). <paramref name="retrySafe"/>: the body can be made again for a resend; an
    /// upload streamed as the rows are read cannot.
    /// </summary>
    public async Task UploadAsync(Func<HttpContent?> content, bool retrySafe, CancellationToken ct)
    {
        var jobId = await _created;
        (await _client.SendAsync(HttpMethod.Put, $"jobs/ingest/{jobId}/batches", content, retrySafe, ct)).Dispose();
    }

    /// <summary>
    /// Closes the uploaded job (<c>UploadComplete</c>: Salesforce starts processing it only now), waits for it and gives
    /// each of <paramref name="rows"/> — the rows the upload held, in order — its answer. <paramref name="whileProcessing"/>
    /// runs while Salesforce processes the job, when the process has nothing else to do.
    /// </summary>
    public async Task<WriteResult[]> FinishAsync(BulkRows rows, Func<string, WriteResult> settleError, Action? whileProcessing, CancellationToken ct)
    {
        var client = _client;
        var jobId = await _created;
        try
        {
            (await client.SendJsonAsync(HttpMethod.Patch, $"jobs/ingest/{jobId}", """{"state":"UploadComplete"}"""u8.ToArray(), retrySafe: true, ct))?.Dispose();
        }
        catch (SluiceException)
        {
            await AbortAsync(jobId);
            throw;
        }

        // The rows are indexed by their cells while Salesforce processes the job, not after: the results are matched at once.
        var indexing = Task.Run(() => new BulkRowIndex(rows), ct);
        var preparing = whileProcessing is null ? Task.CompletedTask : Task.Run(whileProcessing, ct);
        var (state, error, processed, failed) = await WaitAsync(jobId, rows.Count, ct);
        await preparing;
        var results = new WriteResult?[rows.Count];
        var pending = await indexing;
        if (state == "JobComplete" || state == "Failed")
        {
            // Each results CSV costs a request: read only those that can hold rows, and those at the same time.
            var reads = new List<Task>
            {
                ReadResultsAsync(jobId, "successfulResults", pending, results, (id, _) => WriteResult.Acknowledged(id), ct),
            };
            if (failed != 0)
            {
                reads.Add(ReadResultsAsync(jobId, "failedResults", pending, results, (_, error) => settleError(error ?? ""), ct));
            }

            if (state != "JobComplete" || processed != rows.Count)
            {
                reads.Add(ReadResultsAsync(jobId, "unprocessedrecords", pending, results, (_, _) => WriteResult.Retry("Salesforce left the record unprocessed"), ct));
            }

            await Task.WhenAll(reads);
        }

        var fallback = state == "JobComplete"
            ? WriteResult.Retry($"Bulk job {jobId} finished without a result for the record")
            : WriteResult.Retry($"Bulk job {jobId} ended {state}{(error is null ? "" : ": " + error)}");
        return results.Select(r => r ?? fallback).ToArray();
    }

    /// <summary>Polls until the job ends; its state, error and counts (a count Salesforce leaves out reads as unknown, -1).</summary>
    private async Task<(string State, string? Error, long Processed, long Failed)> WaitAsync(string jobId, int rows, CancellationToken ct)
    {
        var lastPoll = _client.Time.GetTimestamp();
        var schedule = new BulkPollDelay(rows);
        while (true)
        {
            await Task.Delay(schedule.Current, _client.Time, ct);
            using var info = await _client.GetJsonAsync($"jobs/ingest/{jobId}", ct);
            var root = info.RootElement;
            var state = root.GetProperty("state").GetString()!;
            var processed = Count(root, "numberRecordsProcessed");
            if (state is "JobComplete" or "Failed" or "Aborted")
            {
                return (state, root.TryGetProperty("errorMessage", out var message) ? message.GetString() : null, processed, Count(root, "numberRecordsFailed"));
            }

            // Polls cost API requests: aim the next one past the job's end as its progress so far predicts it.
            var now = _client.Time.GetTimestamp();
            schedule.Next(_client.Time.GetElapsedTime(lastPoll, now), Math.Max(0, processed));
            lastPoll = now;
        }
    }

    private static long Count(JsonElement job, string name) =>
        job.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt64() : -1;

    /// <summary>
    /// Reads one results CSV; its leading <c>sf__</c> columns (<c>sf__Id</c>, <c>sf__Created</c> / <c>sf__Error</c>) come
    /// before the uploaded ones. <paramref name="settle"/> gets the row's <c>sf__Id</c> and <c>sf__Error</c> (null where the file has none).
    /// </summary>
    private async Task ReadResultsAsync(string jobId, string kind, BulkRowIndex pending, WriteResult?[] results, Func<string?, string?, WriteResult> settle, CancellationToken ct)
    {
        using var response = await _client.SendAsync(HttpMethod.Get, $"jobs/ingest/{jobId}/{kind}/", () => null, retrySafe: true, ct);
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var prefix = -1;
        var (idAt, errorAt) = (-1, -1);
        await BulkResultRows.ReadAsync(reader, row =>
        {
            if (prefix < 0)
            {
                prefix = 0;
                while (prefix < row.Count && row[prefix].StartsWith("sf__", StringComparison.Ordinal))
                {
                    idAt = row[prefix].SequenceEqual("sf__Id") ? prefix : idAt;
                    errorAt = row[prefix].SequenceEqual("sf__Error") ? prefix : errorAt;
                    prefix++;
                }

                return;
            }

            // Result files are read at the same time; a row is in at most one of them.
            if (pending.Claim(row, prefix) is var index and >= 0)
            {
                results[index] = settle(idAt >= 0 && idAt < row.Count ? row[idAt].ToString() : null, errorAt >= 0 && errorAt < row.Count ? row[errorAt].ToString() : null);
            }
        }, ct);
    }

    private async Task AbortAsync(string jobId)
    {
        try
        {
            (await _client.SendJsonAsync(HttpMethod.Patch, $"jobs/ingest/{jobId}", """{"state":"Aborted"}"""u8.ToArray(), retrySafe: true, CancellationToken.None))?.Dispose();
        }
        catch (SluiceException)
        {
            // The job stays open and Salesforce deletes it after 7 days; the original error is what the user needs.
        }
    }
}
