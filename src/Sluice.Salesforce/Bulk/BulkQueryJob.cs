using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Sluice.Core.Errors;
using Sluice.Salesforce.Connection;

namespace Sluice.Salesforce.Bulk;

/// <summary>
/// A Bulk API 2.0 query job: created with its SOQL, polled until Salesforce has run it (chunking a large object by its
/// own PK chunking), then its CSV results read a page at a time (<c>maxRecords</c>), each page found by the
/// <c>Sforce-Locator</c> the one before answered (the literal <c>null</c> after the last). Rows stream: one page's
/// response is read as it arrives, never held whole, its cells parsed from the response's bytes.
/// </summary>
internal sealed class BulkQueryJob(SalesforceClient client)
{
    /// <summary>Creates a job for <paramref name="soql"/> (<c>queryAll</c> includes deleted records) and answers its id.</summary>
    public async Task<string> CreateAsync(string soql, bool queryAll, CancellationToken ct) => (await CreateJobAsync(soql, queryAll, ct)).Id;

    /// <summary>
    /// Creates a job for <paramref name="soql"/> and answers its id and when the org says it created it (its
    /// <c>createdDate</c>, the org's clock, which <c>SystemModstamp</c> is on too; null when the answer has none). The job
    /// runs after that instant, so it holds every record committed before it.
    /// </summary>
    public async Task<(string Id, DateTimeOffset? CreatedDate)> CreateJobAsync(string soql, bool queryAll, CancellationToken ct)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string>
        {
            ["operation"] = queryAll ? "queryAll" : "query",
            ["query"] = soql,
            ["contentType"] = "CSV",
            ["columnDelimiter"] = "COMMA",
            ["lineEnding"] = "LF",
        });
        using var created = await client.SendJsonAsync(HttpMethod.Post, "jobs/query", body, retrySafe: false, ct);
        var root = created!.RootElement;
        var createdDate = root.TryGetProperty("createdDate", out var date) && date.GetString() is { } text
            ? Source.SourceValues.ParseInstant(text)
            : (DateTimeOffset?)null;
        return (root.GetProperty("id").GetString()!, createdDate);
    }

    /// <summary>
    /// Polls until the job is done and answers how many records it holds (its <c>numberRecordsProcessed</c>; -1 when the
    /// answer has none); a failed or aborted job is a fatal error with Salesforce's message.
    /// </summary>
    public async Task<long> WaitAsync(string jobId, CancellationToken ct)
    {
        var started = client.Time.GetTimestamp();
        while (true)
        {
            using (var info = await client.GetJsonAsync($"jobs/query/{jobId}", ct))
            {
                var root = info.RootElement;
                var state = root.GetProperty("state").GetString();
                if (state == "JobComplete")
                {
                    return root.TryGetProperty("numberRecordsProcessed", out var records) && records.TryGetInt64(out var count) ? count : -1;
                }

                if (state is "Failed" or "Aborted")
                {
                    var message = root.TryGetProperty("errorMessage", out var error) ? error.GetString() : null;
                    throw SluiceException.Fatal($"Salesforce connection '{client.Options.Name}': Bulk query job {jobId} ended {state}{(message is null ? "" : ": " + message)}");
                }
            }

            await Task.Delay(NextDelay(client.Time.GetElapsedTime(started)), client.Time, ct);
        }
    }

    /// <summary>
    /// The wait before the next poll of a query job, which reports no progress until it is done: a quarter of the time
    /// waited so far, at least <see cref="BulkPollDelay.First"/> and at most <see cref="BulkPollDelay.Longest"/>, so
    /// that a job is seen done at most a quarter of its run (or a quarter second) after its end. A poll a second at first
    /// (jsforce's cadence, and ours before) saw a job done after 1.05 s only at 1.75 s, and a load waits for two such
    /// jobs (the load's, and the poll's after it): in the salesforce-source bench, ~0.5 s of each run was polls come late.
    /// The cost: five polls more for a job of 4 s or longer (a 60 s job takes 24 instead of 19), none after that.
    /// </summary>
    internal static TimeSpan NextDelay(TimeSpan waited)
    {
        var next = TimeSpan.FromTicks(waited.Ticks / 4);
        return next < BulkPollDelay.First ? BulkPollDelay.First : next > BulkPollDelay.Longest ? BulkPollDelay.Longest : next;
    }

    /// <summary>Whether Salesforce still holds the job (it deletes jobs 7 days after they end).</summary>
    public async Task<bool> ExistsAsync(string jobId, CancellationToken ct)
    {
        using var response = await client.SendAsync(HttpMethod.Get, $"jobs/query/{jobId}", () => null, retrySafe: true, ct, allowNotFound: true);
        return response.StatusCode != HttpStatusCode.NotFound;
    }

    /// <summary>
    /// The rows of the results from the page at <paramref name="locator"/> (<c>null</c>: the first) on: each with the
    /// header, the locator of its page and its index in that page, so that a reader can come back to the row after it.
    /// A page's rows are one <see cref="BulkQueryRow"/> moved along: take what a row holds before asking for the next.
    /// The next page is asked for as soon as a page's answer names it, and read once this one's rows are taken: Salesforce
    /// prepares it while this one is parsed and handed on (jsforce streams the same way), where asking only after the last
    /// row left every page's preparation and first bytes in the load's path.
    /// </summary>
    public async IAsyncEnumerable<BulkQueryRow> ReadAsync(string jobId, string? locator, int pageSize, [EnumeratorCancellation] CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var page = locator;
        Task<HttpResponseMessage>? next = PageAsync(jobId, page, pageSize, stop.Token);
        try
        {
            while (next is not null)
            {
                using var response = await next;
                next = null;
                var following = response.Headers.TryGetValues("Sforce-Locator", out var values) ? values.FirstOrDefault() : null;
                // Salesforce answers the literal "null" after the last page; a missing header is treated the same (jsforce
                // would loop for ever on it).
                if (!string.IsNullOrEmpty(following) && following != "null")
                {
                    next = PageAsync(jobId, following, pageSize, stop.Token);
                }

                await using var stream = await response.Content.ReadAsStreamAsync(ct);
                using var reader = new Utf8CsvReader(stream);
                if (await reader.ReadAsync(ct))
                {
                    var row = new BulkQueryRow(reader.ToArray(), reader, page);
                    var index = 0;
                    while (await reader.ReadAsync(ct))
                    {
                        row.Index = index++;
                        yield return row;
                    }
                }

                page = following;
            }
        }
        finally
        {
            if (next is not null)
            {
                // The reader stopped (or failed) before the page asked for ahead: that answer is not needed.
                await stop.CancelAsync();
                try
                {
                    (await next).Dispose();
                }
                catch (Exception)
                {
                    // Cancelled, or failed: nothing was read from it, and the read's own outcome is what counts.
                }
            }
        }
    }

    private Task<HttpResponseMessage> PageAsync(string jobId, string? locator, int pageSize, CancellationToken ct) =>
        client.SendAsync(HttpMethod.Get, $"jobs/query/{jobId}/results?maxRecords={pageSize}" + (locator is null ? "" : "&locator=" + Uri.EscapeDataString(locator)),
            () => null, retrySafe: true, ct);
}
