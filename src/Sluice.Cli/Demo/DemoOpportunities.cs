using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using Sluice.Dev.Embedded;

namespace Sluice.Cli.Demo;

/// <summary>
/// The demo's Salesforce → PostgreSQL part (docs/salesforce.md, F2): the <c>opportunities</c> sync follows the org's
/// Opportunity change events into <c>public.sf_opportunities</c>. The demo keeps a few Opportunities of its own in the
/// org (named <c>Sluice demo …</c>; created once) and changes some of them — a new stage and amount, through the REST
/// API as any Salesforce user would — then waits for each change to arrive in PostgreSQL.
/// </summary>
internal static class DemoOpportunities
{
    public const string SyncName = "opportunities";

    public const string Table = "public.sf_opportunities";

    /// <summary>The demo's own Opportunities: their names start so, and only they are ever changed.</summary>
    public const string NamePrefix = "Sluice demo ";

    /// <summary>How many the demo keeps in the org.</summary>
    public const int Kept = 20;

    private static readonly string[] Stages = ["Prospecting", "Qualification", "Needs Analysis", "Value Proposition", "Proposal/Price Quote", "Negotiation/Review"];

    /// <summary>The table the sync writes into (a PostgreSQL destination writes into a table that exists); emptied for a fresh org.</summary>
    public static string CreateTableSql(bool freshOrg) => $"""
        CREATE TABLE IF NOT EXISTS {Table} (
            id text PRIMARY KEY, name text NOT NULL, stage text NOT NULL, amount numeric(18, 2), close_date date,
            owner_email text, account_name text, last_modified timestamptz);
        {(freshOrg ? $"TRUNCATE {Table};" : "")}
        """;

    /// <summary>The sync, indented as an entry under <c>syncs:</c>: a stream, so it runs continuously (no schedule).</summary>
    public static string SyncEntry => $$"""
          # Salesforce → PostgreSQL (docs/salesforce.md, F2): Opportunities near real time, from Change Data Capture
          # events; the initial load reads them all through a Bulk API 2.0 query.
          {{SyncName}}:
            source: {connection: crm, object: Opportunity, fields: [Id, Name, StageName, Amount, CloseDate, Owner.Email, Account.Name, SystemModstamp], changes: stream}
            destination: {connection: app, table: {{Table}}, key: id, mode: sync}
            mapping:
              id: Id
              name: Name
              stage: StageName
              amount: Amount
              close_date: CloseDate
              owner_email: Owner.Email
              account_name: Account.Name
              last_modified: SystemModstamp
        """;

    /// <summary>
    /// Changes <paramref name="count"/> of the demo's Opportunities (creating the demo's set first when the org lacks
    /// it) and waits until each change is in PostgreSQL or <paramref name="within"/> passed. Counts what arrived.
    /// </summary>
    public static async Task<DemoOpportunityChanges> ChangeAndWaitAsync(LocalCluster cluster, string loginUrl, int count, TimeSpan within, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var org = await OrgSession.LoginAsync(http, loginUrl, ct);
        var ids = await org.DemoOpportunitiesAsync(ct);
        var created = 0;
        if (ids.Count < Kept)
        {
            created = await org.CreateAsync(Kept - ids.Count, ids.Count, ct);
            ids = await org.DemoOpportunitiesAsync(ct);
        }

        // Each change gets an amount no earlier change had: arrival is that amount in the table.
        var stamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds() % 1_000_000;
        var changed = new Dictionary<string, decimal>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        foreach (var (id, i) in ids.Take(count).Select((id, i) => (id, i)))
        {
            var amount = 1_000_000m + (stamp * 100) + i;
            await org.UpdateAsync(id, Stages[(int)((stamp + i) % Stages.Length)], amount, ct);
            changed[id] = amount;
        }

        await using var dataSource = NpgsqlDataSource.Create(cluster.ConnectionString(DemoEnvironment.Database));
        var arrived = 0;
        var waited = Stopwatch.StartNew();
        while (true)
        {
            arrived = await ArrivedAsync(dataSource, changed, ct);
            if (arrived == changed.Count || waited.Elapsed > within)
            {
                break;
            }

            await Task.Delay(100, ct);
        }

        return new DemoOpportunityChanges(created, changed.Count, arrived, clock.Elapsed);
    }

    private static async Task<int> ArrivedAsync(NpgsqlDataSource dataSource, Dictionary<string, decimal> changed, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"SELECT count(*) FROM {Table} t JOIN unnest($1::text[], $2::numeric[]) AS c(id, amount) ON c.id = t.id AND c.amount = t.amount");
        command.Parameters.Add(new NpgsqlParameter { Value = changed.Keys.ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = changed.Values.ToArray() });
        return (int)(long)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>A logged-in REST session with the org (client credentials, the demo's connected app or the environment's).</summary>
    private sealed class OrgSession(HttpClient http, Uri instance, string token)
    {
        private const string Api = "/services/data/v62.0";

        public static async Task<OrgSession> LoginAsync(HttpClient http, string loginUrl, CancellationToken ct)
        {
            using var form = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials",
                ["client_id"] = Environment.GetEnvironmentVariable("SALESFORCE_CLIENT_ID") is { Length: > 0 } id ? id : "sluice-client",
                ["client_secret"] = Environment.GetEnvironmentVariable("SALESFORCE_CLIENT_SECRET") is { Length: > 0 } secret ? secret : "sluice-secret",
            });
            using var answer = await http.PostAsync(new Uri(loginUrl.TrimEnd('/') + "/services/oauth2/token"), form, ct);
            var json = await Read(answer, "log in", ct);
            return new OrgSession(http, new Uri(json.GetProperty("instance_url").GetString()!), json.GetProperty("access_token").GetString()!);
        }

        public async Task<List<string>> DemoOpportunitiesAsync(CancellationToken ct)
        {
            var soql = $"SELECT Id FROM Opportunity WHERE Name LIKE '{NamePrefix}%' ORDER BY Name";
            using var request = Request(HttpMethod.Get, $"{Api}/query?q={Uri.EscapeDataString(soql)}");
            using var answer = await http.SendAsync(request, ct);
            var json = await Read(answer, "query the demo's Opportunities", ct);
            return [.. json.GetProperty("records").EnumerateArray().Select(r => r.GetProperty("Id").GetString()!)];
        }

        public async Task<int> CreateAsync(int count, int existing, CancellationToken ct)
        {
            var records = new JsonArray();
            for (var i = existing + 1; i <= existing + count; i++)
            {
                records.Add(new JsonObject
                {
                    ["attributes"] = new JsonObject { ["type"] = "Opportunity" },
                    ["Name"] = $"{NamePrefix}{i:00}",
                    ["StageName"] = Stages[i % Stages.Length],
                    ["Amount"] = 1_000 * i,
                    ["CloseDate"] = DateTime.UtcNow.Date.AddDays(30 + i).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                });
            }

            using var request = Request(HttpMethod.Post, $"{Api}/composite/sobjects");
            request.Content = JsonContent.Create(new JsonObject { ["allOrNone"] = true, ["records"] = records });
            using var answer = await http.SendAsync(request, ct);
            await Read(answer, "create the demo's Opportunities", ct);
            return count;
        }

        public async Task UpdateAsync(string id, string stage, decimal amount, CancellationToken ct)
        {
            using var request = Request(HttpMethod.Patch, $"{Api}/sobjects/Opportunity/{id}");
            request.Content = JsonContent.Create(new JsonObject { ["StageName"] = stage, ["Amount"] = amount });
            using var answer = await http.SendAsync(request, ct);
            if (!answer.IsSuccessStatusCode)
            {
                await Read(answer, $"change Opportunity {id}", ct);
            }
        }

        private HttpRequestMessage Request(HttpMethod method, string path)
        {
            var request = new HttpRequestMessage(method, new Uri(instance, path));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return request;
        }

        private static async Task<JsonElement> Read(HttpResponseMessage answer, string what, CancellationToken ct)
        {
            var body = await answer.Content.ReadAsStringAsync(ct);
            if (!answer.IsSuccessStatusCode)
            {
                throw Core.Errors.SluiceException.Transient($"the demo could not {what} in Salesforce: {(int)answer.StatusCode} {body}");
            }

            using var json = JsonDocument.Parse(body);
            return json.RootElement.Clone();
        }
    }
}

/// <summary>What the demo did to its Opportunities and how many of its changes reached PostgreSQL, in how long.</summary>
internal sealed record DemoOpportunityChanges(int Created, int Changed, int Arrived, TimeSpan Elapsed);
