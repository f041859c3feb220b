using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Sluice.Cli.Terminal;
using Sluice.Core.Engine;
using Sluice.Core.State;
using Sluice.Dev.Embedded;
using Sluice.Emulators.Salesforce;
using Sluice.Server.Hosting;
using Spectre.Console;

namespace Sluice.Cli.Demo;

/// <summary>
/// The demo's Salesforce part (docs/salesforce.md, F3 and F7): the demo's accounts upserted by external id, its users
/// found by email or created as Contacts under their Account with the Contact Id written back to
/// <c>users.salesforce_contact_id</c>, and the trial users mirrored as members of a Campaign. Against the Salesforce
/// emulator the demo starts in process, or — when <c>$SALESFORCE_LOGIN_URL</c> is set — against that org instead.
/// </summary>
internal static class DemoSalesforce
{
    public const string AccountsSync = "accounts";
    public const string ContactsSync = "users_to_contacts";
    public const string CampaignsSync = "campaigns";
    public const string MembersSync = "trial_nurture_members";

    /// <summary>The syncs in the order their parents need: Accounts before Contacts, the Campaign before its members.</summary>
    public static readonly IReadOnlyList<string> Syncs = [AccountsSync, ContactsSync, CampaignsSync, MembersSync];

    public const string LoginUrlVariable = "SALESFORCE_LOGIN_URL";

    /// <summary>The column the Contact sync writes the Salesforce Id into.</summary>
    public const string WriteBackColumn = "salesforce_contact_id";

    /// <summary>
    /// The org the emulator serves: the custom fields the syncs write (docs/salesforce.md's worked examples' org file,
    /// less what the demo does not use). A real org needs the same fields.
    /// </summary>
    public const string OrgYaml = """
        # The Salesforce emulator's org for `sluice demo` (a real org needs the same custom fields):
        #   sluice emulate salesforce --org salesforce-org.yaml
        objects:
          Account:
            fields:
              External_Id__c: {type: string, length: 64, externalId: true, unique: true}
          Campaign:
            fields:
              External_Id__c: {type: string, length: 64, externalId: true, unique: true}

        """;

    public static string OrgPath => Path.Combine(DemoEnvironment.Home, "demo", "salesforce-org.yaml");

    /// <summary>The org the user pointed the demo at (<c>$SALESFORCE_LOGIN_URL</c>); null: the demo's own emulator.</summary>
    public static string? UserOrg => Environment.GetEnvironmentVariable(LoginUrlVariable) is { Length: > 0 } url ? url : null;

    /// <summary>Starts the emulator in process with the demo's org, unless the user named an org of their own.</summary>
    public static async Task<SalesforceEmulator?> StartEmulatorAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(OrgPath)!);
        await File.WriteAllTextAsync(OrgPath, OrgYaml, ct);
        if (UserOrg is not null)
        {
            return null;
        }

        return await SalesforceEmulator.StartAsync(new SalesforceEmulatorOptions
        {
            Port = DemoEnvironment.PortOr(9200),
            Org = OrgFile.Parse(OrgYaml, OrgPath),
        }, ct);
    }

    /// <summary>
    /// Adds the write-back column. The demo's own emulator starts with an empty org every time, so the Salesforce
    /// syncs start afresh too: their checkpoints, record ledgers and dead letters point at records of an org that is
    /// gone. A user's org keeps everything.
    /// </summary>
    public static async Task PrepareAsync(LocalCluster cluster, bool freshOrg, CancellationToken ct)
    {
        await using var dataSource = NpgsqlDataSource.Create(cluster.ConnectionString(DemoEnvironment.Database));
        await using (var column = dataSource.CreateCommand($"ALTER TABLE public.users ADD COLUMN IF NOT EXISTS {WriteBackColumn} text;" + DemoOpportunities.CreateTableSql(freshOrg)))
        {
            await column.ExecuteNonQueryAsync(ct);
        }

        if (!freshOrg)
        {
            return;
        }

        // The Ids written back stay: the Contact sync writes the new org's Ids over them (and leaves a row alone when
        // the Id is the same, as the emulator's ids are for the same records in the same order), before the members
        // sync reads them. Clearing them would put every user through the real-time sync's WAL stream for nothing.
        await using var exists = dataSource.CreateCommand("SELECT to_regclass('sluice.syncs') IS NOT NULL");
        if (await exists.ExecuteScalarAsync(ct) is true)
        {
            await using var forget = dataSource.CreateCommand("""
                WITH demo AS (SELECT id FROM sluice.syncs WHERE name = ANY($1)),
                     c AS (DELETE FROM sluice.checkpoints WHERE sync_id IN (SELECT id FROM demo)),
                     r AS (DELETE FROM sluice.record_state WHERE sync_id IN (SELECT id FROM demo))
                DELETE FROM sluice.dead_letters WHERE sync_id IN (SELECT id FROM demo)
                """);
            forget.Parameters.Add(new NpgsqlParameter { Value = (string[])[.. Syncs, DemoOpportunities.SyncName] });
            await forget.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>
    /// The <c>crm</c> connection, indented as an entry under <c>connections:</c>: the emulator's URL and its default
    /// connected app unless the environment names a real org (<c>SALESFORCE_LOGIN_URL</c>, <c>SALESFORCE_CLIENT_ID</c>,
    /// <c>SALESFORCE_CLIENT_SECRET</c>).
    /// </summary>
    public static string Connection(string emulatorUrl) => $$"""
          crm:                       # Salesforce: the emulator, or your org when SALESFORCE_LOGIN_URL is set
            type: salesforce
            login_url: ${SALESFORCE_LOGIN_URL:-{{emulatorUrl.TrimEnd('/')}}}
            auth: {flow: client_credentials, client_id: "${SALESFORCE_CLIENT_ID:-sluice-client}", client_secret: "${SALESFORCE_CLIENT_SECRET:-sluice-secret}"}
        """;

    /// <summary>The F3 and F7 syncs of docs/salesforce.md, indented as entries under <c>syncs:</c>.</summary>
    public static string SyncEntries(string schedule) => $$"""
          # Salesforce (docs/salesforce.md, F3): accounts by external id, then users as Contacts — found by email or
          # created under their Account — with each Contact's Id written back to users.{{WriteBackColumn}}.
          {{AccountsSync}}:
            source: {connection: app, table: public.accounts, cursor: updated_at}
            destination: {connection: crm, object: Account, operation: upsert, external_id: External_Id__c}
            mapping:
              External_Id__c: id
              Name: name
            schedule: {{schedule}}
          {{ContactsSync}}:
            source: {connection: app, table: public.users, cursor: updated_at}
            destination:
              connection: crm
              object: Contact
              operation: upsert
              match: {Email: email}          # find the Contact by email (case-insensitive); create it when there is none
            mapping:
              Email: email
              FirstName: first_name
              LastName: last_name
              Account: {External_Id__c: account_id}
            write_back: {column: {{WriteBackColumn}}}
            after: [{{AccountsSync}}]
            schedule: {{schedule}}
          # Salesforce (F7): trial users with a Contact are members of the 'trial-nurture' Campaign; a user who leaves
          # the trial leaves the Campaign. The Campaign itself comes from a one-row query.
          {{CampaignsSync}}:
            source:
              connection: app
              query: SELECT 'trial-nurture' AS id, 'Trial nurture' AS name
              key: [id]
            destination: {connection: crm, object: Campaign, operation: upsert, external_id: External_Id__c}
            mapping:
              External_Id__c: id
              Name: name
            schedule: {{schedule}}
          {{MembersSync}}:
            source:
              connection: app
              query: |
                SELECT u.id AS user_id, u.{{WriteBackColumn}}, 'trial-nurture' AS campaign,
                       CASE WHEN u.last_seen_at > now() - interval '7 days' THEN 'Responded' ELSE 'Sent' END AS status
                FROM users u
                WHERE u.plan = 'trial' AND u.{{WriteBackColumn}} IS NOT NULL
              key: [user_id]
            on: [added, changed, deleted]    # a row that leaves the segment removes the member
            destination:
              connection: crm
              object: CampaignMember
              operation: insert              # a new member is created; a known one is updated by its Id
              delete: true                   # deleted by the Id Sluice kept for it
            mapping:
              Campaign: {External_Id__c: campaign}
              ContactId: {{WriteBackColumn}}
              Status: status
            after: [{{CampaignsSync}}, {{ContactsSync}}]
            schedule: {{schedule}}
        {{DemoOpportunities.SyncEntry}}
        """;

    /// <summary>
    /// Runs the four syncs once, parents first, and prints per sync what Salesforce acknowledged and how many records
    /// the org holds before and after (read from the emulator's admin API; a real org has none, so only the
    /// acknowledged counts show). True when nothing was dead-lettered and every user's Contact Id was written back.
    /// </summary>
    public static async Task<bool> RunAndPrintAsync(SluiceWorkspace workspace, LocalCluster cluster, string loginUrl, CancellationToken ct)
    {
        using var admin = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("Salesforce (PostgreSQL → Salesforce)")
            .AddColumn(new TableColumn("acknowledged").RightAligned())
            .AddColumn(new TableColumn("created").RightAligned())
            .AddColumn(new TableColumn("updated").RightAligned())
            .AddColumn(new TableColumn("in the org").RightAligned());
        var objects = new Dictionary<string, string>
        {
            [AccountsSync] = "Account",
            [ContactsSync] = "Contact",
            [CampaignsSync] = "Campaign",
            [MembersSync] = "CampaignMember",
        };
        var ok = true;
        var started = DateTime.UtcNow;
        var live = new Dictionary<string, int>();
        foreach (var sync in Syncs)
        {
            var before = await RecordsAsync(admin, loginUrl, ct);
            var result = await SyncProgress.ShowAsync(sync, observer => workspace.RunAsync(sync, RunKind.Incremental, observer, ct));
            var after = await RecordsAsync(admin, loginUrl, ct);
            ok &= result.Rejected == 0;
            var name = objects[sync];
            string created = "—", updated = "—", held = "—";
            if (before is not null && after is not null)
            {
                var was = before.GetValueOrDefault(name);
                var now = after.GetValueOrDefault(name);
                live[name] = now;
                held = now.ToString("N0", CultureInfo.InvariantCulture);
                // The members sync also deletes (users who left the trial), so its net change is not its creations.
                if (sync != MembersSync)
                {
                    created = Math.Max(0, now - was).ToString("N0", CultureInfo.InvariantCulture);
                    updated = Math.Max(0, result.Acknowledged - Math.Max(0, now - was)).ToString("N0", CultureInfo.InvariantCulture);
                }
            }

            table.AddRow(
                $"{sync} → {name}{(result.Rejected > 0 ? $" ({result.Rejected:N0} dead-lettered)" : "")}",
                result.Acknowledged.ToString("N0", CultureInfo.InvariantCulture), created, updated, held);
        }

        var (users, writtenBack) = await WrittenBackAsync(cluster, ct);
        table.AddRow($"Contact Ids written back to users.{WriteBackColumn}", writtenBack.ToString("N0", CultureInfo.InvariantCulture), "", "", "");
        table.AddRow("time", $"{(DateTime.UtcNow - started).TotalSeconds:0.00} s", "", "", "");
        AnsiConsole.Write(table);
        Output.Line(live.Count > 0
            ? $"salesforce: {live.GetValueOrDefault("Account"):N0} accounts, {live.GetValueOrDefault("Contact"):N0} contacts, {live.GetValueOrDefault("CampaignMember"):N0} campaign members; {writtenBack:N0} ids written back"
            : $"salesforce: {writtenBack:N0} ids written back");
        return ok && writtenBack == users;
    }

    /// <summary>Live records per object from the emulator's admin API; null for an org that has none (a real one).</summary>
    private static async Task<Dictionary<string, int>?> RecordsAsync(HttpClient admin, string loginUrl, CancellationToken ct)
    {
        try
        {
            using var answer = await admin.GetAsync(new Uri(new Uri(loginUrl.TrimEnd('/') + "/"), "__emulator/stats"), ct);
            if (!answer.IsSuccessStatusCode)
            {
                return null;
            }

            var stats = await answer.Content.ReadFromJsonAsync<JsonElement>(ct);
            return stats.TryGetProperty("records", out var records) && records.ValueKind == JsonValueKind.Object
                ? records.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32())
                : null;
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException or UriFormatException or InvalidOperationException)
        {
            return null;
        }
    }

    private static async Task<(long Users, long WrittenBack)> WrittenBackAsync(LocalCluster cluster, CancellationToken ct)
    {
        await using var dataSource = NpgsqlDataSource.Create(cluster.ConnectionString(DemoEnvironment.Database));
        await using var command = dataSource.CreateCommand($"SELECT count(*), count({WriteBackColumn}) FROM public.users");
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }
}
