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
    public async Task<string> CreateAsync(string soql, bool queryAll, CancellationToken ct)
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
        return created!.RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>Polls until the job is done; a failed or aborted job is a fatal error with Salesforce's message.</summary>
    public async Task WaitAsync(string jobId, CancellationToken ct)
    {
        var started = client.Time.GetTimestamp();
        var delay = BulkPollDelay.First;
        while (true)
        {
            using (var info = await client.GetJsonAsync($"jobs/query/{jobId}", ct))
            {
                var root = info.RootElement;
                var state = root.GetProperty("state").GetString();
                if (state == "JobComplete")
                {
                    return;
                }

                if (state is "Failed" or "Aborted")
                {
                    var message = root.TryGetProperty("errorMessage", out var error) ? error.GetString() : null;
                    throw SluiceException.Fatal($"Salesforce connection '{client.Options.Name}': Bulk query job {jobId} ended {state}{(message is null ? "" : ": " + message)}");
                }
            }

            await Task.Delay(delay, client.Time, ct);
            delay = NextDelay(delay, client.Time.GetElapsedTime(started));
        }
    }

    /// <summary>
    /// The wait before the next poll of a query job, which reports no progress until it is done: doubling, but by no
    /// more than a quarter of the time waited so far (at least a second), so that the poll after a job's end comes at
    /// most that much late. Doubling alone polled a job that took 4 s at 7.75 s; jsforce polls every second.
    /// </summary>
    internal static TimeSpan NextDelay(TimeSpan previous, TimeSpan waited)
    {
        var cap = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, waited.Ticks / 4));
        var next = BulkPollDelay.Doubled(previous);
        return next > cap ? cap : next;
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
    /// </summary>
    public async IAsyncEnumerable<BulkQueryRow> ReadAsync(string jobId, string? locator, int pageSize, [EnumeratorCancellation] CancellationToken ct)
    {
        var page = locator;
        while (true)
        {
            var path = $"jobs/query/{jobId}/results?maxRecords={pageSize}" + (page is null ? "" : "&locator=" + Uri.EscapeDataString(page));
            string? next;
            using (var response = await client.SendAsync(HttpMethod.Get, path, () => null, retrySafe: true, ct))
            {
                next = response.Headers.TryGetValues("Sforce-Locator", out var values) ? values.FirstOrDefault() : null;
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
            }

            // Salesforce answers the literal "null" after the last page; a missing header is treated the same (jsforce
            // would loop for ever on it).
            if (string.IsNullOrEmpty(next) || next == "null")
            {
                yield break;
            }

            page = next;
        }
    }
}
