using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Sluice.Bench.Harness;

namespace Sluice.Bench.Salesforce;

/// <summary>
/// <c>sluice emulate salesforce --port N --org FILE</c> as a child process on a free port, and what the bench reads from
/// its admin API (<c>/__emulator/…</c>, never counted as API requests): counters, the request log, the Accounts.
/// </summary>
internal sealed class SalesforceEmulatorChild : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    private readonly HttpClient _http;

    private SalesforceEmulatorChild(ChildProcess process, Uri uri, HttpClient http)
    {
        Process = process;
        Uri = uri;
        _http = http;
    }

    public ChildProcess Process { get; }

    /// <summary>Request log entries already attributed to an earlier run on this emulator.</summary>
    public int RequestsSeen { get; set; }

    /// <summary>Both the login URL and the instance URL.</summary>
    public Uri Uri { get; }

    /// <summary>The org file: the Account fields the bench writes, and a daily API limit no run comes near.</summary>
    public const string OrgYaml = """
        # Written by bench/Sluice.Bench (salesforce) for one run.
        dailyApiRequests: 10000000
        objects:
          Account:
            fields:
              External_Id__c: {type: string, length: 64, externalId: true, unique: true}
              MRR__c: {type: currency, precision: 16, scale: 2}
              Renewal_Date__c: {type: date}
              Tier__c: {type: picklist, values: [Free, Starter, Growth, Enterprise], restricted: true}

        """;

    public static async Task<SalesforceEmulatorChild> StartAsync(string sluice, string work, string orgFile, string logPath, HttpClient http, CancellationToken ct)
    {
        var port = FreePort.Next();
        var uri = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        var process = ChildProcess.Start(sluice, ["emulate", "salesforce", "--port", port.ToString(CultureInfo.InvariantCulture), "--org", orgFile], work, logPath);
        var emulator = new SalesforceEmulatorChild(process, uri, http);
        try
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                if (process.HasExited)
                {
                    throw new BenchFailure($"the Salesforce emulator exited with {process.ExitCode}; last lines of {process.LogPath}:\n{process.Tail()}");
                }

                try
                {
                    await emulator.StatsAsync(ct);
                    return emulator;
                }
                catch (BenchFailure) when (clock.Elapsed < ReadyTimeout)
                {
                    await Task.Delay(100, ct);
                }
            }
        }
        catch
        {
            await emulator.DisposeAsync();
            throw;
        }
    }

    /// <summary><c>GET /__emulator/stats</c>.</summary>
    public async Task<ApiStats> StatsAsync(CancellationToken ct)
    {
        var json = await GetAsync("/__emulator/stats", ct);
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var accounts = 0;
        if (root.TryGetProperty("records", out var records) && records.ValueKind == JsonValueKind.Object)
        {
            foreach (var entry in records.EnumerateObject())
            {
                if (entry.Name.Equals("Account", StringComparison.OrdinalIgnoreCase))
                {
                    accounts = entry.Value.GetInt32();
                }
            }
        }

        return new ApiStats(root.GetProperty("apiRequestsUsed").GetInt32(), root.GetProperty("requests").GetInt64(), root.GetProperty("tokensIssued").GetInt64(), accounts, json);
    }

    /// <summary>The request log (the emulator keeps the last 100,000), oldest first.</summary>
    public async Task<IReadOnlyList<LoggedRequest>> RequestsAsync(CancellationToken ct)
    {
        var json = await GetAsync("/__emulator/requests?limit=1000000", ct);
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray()
            .Select(e => new LoggedRequest(e.GetProperty("time").GetDateTimeOffset(), e.GetProperty("method").GetString()!, e.GetProperty("path").GetString()!, e.GetProperty("status").GetInt32()))
            .ToList();
    }

    /// <summary>Every live Account, as REST returns them, a page at a time.</summary>
    public async IAsyncEnumerable<JsonElement> AccountsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        const int Page = 10_000;
        for (var offset = 0; ; offset += Page)
        {
            var json = await GetAsync(string.Create(CultureInfo.InvariantCulture, $"/__emulator/records/Account?offset={offset}&limit={Page}"), ct);
            using var document = JsonDocument.Parse(json);
            var records = document.RootElement.GetProperty("records");
            foreach (var record in records.EnumerateArray())
            {
                yield return record.Clone();
            }

            if (records.GetArrayLength() < Page)
            {
                yield break;
            }
        }
    }

    public ValueTask DisposeAsync() => Process.DisposeAsync();

    private async Task<string> GetAsync(string path, CancellationToken ct)
    {
        try
        {
            return await _http.GetStringAsync(new Uri(Uri, path), ct);
        }
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !ct.IsCancellationRequested))
        {
            throw new BenchFailure($"the Salesforce emulator did not answer GET {path}: {e.Message}");
        }
    }
}

/// <summary>The emulator's counters.</summary>
/// <param name="ApiRequestsUsed">Requests under <c>/services/data/vXX.X/</c>, counted against the org's daily API limit (logins and the admin API are not).</param>
/// <param name="Requests">Every request answered but the admin API's, logins included.</param>
internal sealed record ApiStats(int ApiRequestsUsed, long Requests, long TokensIssued, int Accounts, string Json);

/// <summary>One entry of the emulator's request log.</summary>
internal sealed record LoggedRequest(DateTimeOffset Time, string Method, string Path, int Status)
{
    /// <summary>Whether Salesforce counts it against the daily API limit: everything under <c>/services/data/vXX.X/</c>.</summary>
    public bool IsApiCall => Path.StartsWith("/services/data/v", StringComparison.Ordinal);

    /// <summary>What the call did, for the breakdown in the results: <c>PUT jobs/ingest/{id}/batches</c>, <c>PATCH composite/sobjects/Account/External_Id__c</c>, …</summary>
    public string Kind
    {
        get
        {
            var path = Path.Split('?')[0];
            if (!IsApiCall)
            {
                return $"{Method} {path} (not counted)";
            }

            // /services/data/v62.0/jobs/ingest/750…/batches -> jobs/ingest/{id}/batches
            var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Skip(3).Select(p => LooksLikeId(p) ? "{id}" : p);
            return $"{Method} {string.Join('/', parts)}";
        }
    }

    private static bool LooksLikeId(string part) => part.Length is 15 or 18 && part.All(char.IsAsciiLetterOrDigit) && part.Any(char.IsAsciiDigit);
}
