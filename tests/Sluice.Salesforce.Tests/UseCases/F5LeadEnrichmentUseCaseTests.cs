using System.Globalization;
using System.Text.Json.Nodes;
using Sluice.Emulators.Salesforce.Org;
using Sluice.State;

namespace Sluice.Salesforce.Tests.UseCases;

/// <summary>
/// F5 of docs/salesforce.md: a new Lead is looked up in PostgreSQL by email — one query per batch through the sync's
/// <c>lookup:</c> — and updated in Salesforce with signup date, plan, last activity and lifetime value, running its config
/// file as written. A Lead with no match is skipped with its reason, not an error or a dead letter; the update does not
/// bring the Lead back, so a rerun sends nothing.
/// </summary>
public sealed class F5LeadEnrichmentUseCaseTests
{
    // The app's table is read through a view that counts each time a query reads it (once per query, whatever its rows):
    // the number of lookup queries PostgreSQL really ran, not a mock's.
    private const string AppSchema = """
        CREATE TABLE public.app_user_rows (
          email text PRIMARY KEY, signup_date date NOT NULL, plan text NOT NULL, last_activity timestamptz, lifetime_value numeric(16, 2));
        CREATE TABLE public.lookup_queries (n bigint NOT NULL);
        CREATE FUNCTION public.count_lookup_query() RETURNS boolean LANGUAGE sql VOLATILE AS 'INSERT INTO public.lookup_queries VALUES (1) RETURNING true';
        CREATE VIEW public.app_users AS SELECT u.* FROM public.app_user_rows u, (SELECT public.count_lookup_query() AS counted OFFSET 0) c WHERE c.counted;
        INSERT INTO public.app_user_rows VALUES
          ('ada@example.com', '2025-03-01', 'team', '2026-11-30T09:15:00Z', 1250.50),
          ('grace@example.com', '2024-07-15', 'enterprise', NULL, 98000);
        """;

    [Fact]
    public async Task F5_new_leads_are_enriched_from_postgres_in_one_query_per_batch_unmatched_ones_are_skipped_with_their_reason_and_a_rerun_sends_nothing()
    {
        await using var bed = await UseCaseBed.StartAsync("f5-leads.yaml", AppSchema);
        var ids = Save(bed, [
            Lead("Lovelace", "Ada@Example.com"),
            Lead("Hopper", "grace@example.com"),
            Lead("Nobody", "stranger@example.com"),
        ]);

        var first = await bed.RunAsync("lead_enrichment");

        Assert.Equal((3, 2, 0, 1), (first.Read, first.Acknowledged, first.Rejected, first.Skipped));
        Assert.Equal([1L], await bed.ColumnAsync<long>("SELECT count(*) FROM public.lookup_queries")); // one batch, one query
        var ada = bed.Emulator.Org.Find(ids[0])!;
        Assert.Equal(("2025-03-01", "team", 1250.50m), (Text(ada.Get("Signup_Date__c")), Text(ada.Get("Plan__c")), Convert.ToDecimal(ada.Get("Lifetime_Value__c"), CultureInfo.InvariantCulture)));
        Assert.StartsWith("2026-11-30T09:15:00", Text(ada.Get("Last_Activity__c")), StringComparison.Ordinal);
        var grace = bed.Emulator.Org.Find(ids[1])!;
        Assert.Equal(("enterprise", null), (Text(grace.Get("Plan__c")), grace.Get("Last_Activity__c")));
        Assert.Null(bed.Emulator.Org.Find(ids[2])!.Get("Plan__c"));

        // The unmatched Lead: handled (left out, with why), not a dead letter.
        var history = await bed.Workspace.HistoryAsync(CancellationToken.None);
        var stranger = await history.LoadStateAsync("lead_enrichment", ids[2], CancellationToken.None);
        Assert.Equal("left_out", stranger?.Status);
        Assert.Equal("lookup in app: no match in app for Email 'stranger@example.com'", stranger?.SkipReason);
        Assert.Null(await history.LoadLastDeadLetterAsync("lead_enrichment", ids[2], CancellationToken.None));

        // The update changed the enriched Leads (a new SystemModstamp): the next poll sees them as changed, which
        // `on: [added]` leaves out — nothing is looked up or sent again. A new Lead is, once.
        var writes = bed.ApiRequests("/composite/sobjects", "PATCH");
        var rerun = await bed.RunAsync("lead_enrichment");
        Assert.Equal((0, 0L), (rerun.Acknowledged, rerun.Skipped));
        Assert.Equal(writes, bed.ApiRequests("/composite/sobjects", "PATCH"));
        Assert.Equal([1L], await bed.ColumnAsync<long>("SELECT count(*) FROM public.lookup_queries"));

        await bed.ExecuteAsync("INSERT INTO public.app_user_rows VALUES ('linus@example.com', '2026-01-02', 'starter', NULL, 0)");
        var linus = Save(bed, [Lead("Torvalds", "linus@example.com")])[0];
        var next = await bed.RunAsync("lead_enrichment");
        var quiet = await bed.RunAsync("lead_enrichment");

        Assert.Equal((1, 0L, 0, 0L), (next.Acknowledged, next.Skipped, quiet.Acknowledged, quiet.Skipped));
        Assert.Equal("starter", Text(bed.Emulator.Org.Find(linus)!.Get("Plan__c")));
        Assert.Equal([2L], await bed.ColumnAsync<long>("SELECT count(*) FROM public.lookup_queries"));
    }

    [Fact]
    public void The_doc_shows_the_F5_file_verbatim()
    {
        var doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "salesforce.md"));
        Assert.Contains("```yaml\n" + UseCaseBed.Text("f5-leads.yaml") + "```", doc, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SELECT email, plan FROM public.app_users WHERE email = 'x'", "does not take the batch's keys as @keys")]
    [InlineData("SELECT email, plan FROM public.app_users WHERE email = ANY(@keys) AND plan = @plan", "names the parameter @plan")]
    public void A_lookup_query_that_cannot_answer_a_batch_in_one_parameterised_query_is_a_config_error(string sql, string message)
    {
        var yaml = UseCaseBed.Text("f5-leads.yaml").Replace(
            "sql: >-\n        SELECT email, signup_date, plan, last_activity, lifetime_value\n        FROM public.app_users WHERE lower(email) = ANY(@keys)",
            $"sql: \"{sql}\"", StringComparison.Ordinal);
        Assert.Contains(sql, yaml, StringComparison.Ordinal);
        var config = Sluice.Core.Configuration.SluiceConfig.Parse(yaml, "f5-leads.yaml", new Dictionary<string, string>
        {
            ["PGHOST"] = "localhost",
            ["PGPORT"] = "5432",
            ["PGDATABASE"] = "app",
            ["PGUSER"] = "postgres",
            ["SALESFORCE_LOGIN_URL"] = "http://127.0.0.1:9",
            ["SALESFORCE_CLIENT_ID"] = "id",
            ["SALESFORCE_CLIENT_SECRET"] = "secret",
        });
        var workspace = new Sluice.Server.Hosting.SluiceWorkspace(config, TimeProvider.System);

        var error = Assert.Throws<Sluice.Core.Configuration.ConfigException>(() => workspace.Build(config.Syncs[0]));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Sluice.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Sluice.slnx not found above " + AppContext.BaseDirectory);
    }

    private static string? Text(object? value) => value switch
    {
        null => null,
        DateOnly date => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTime time => time.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture),
        DateTimeOffset time => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture),
    };

    private static SaveRequest Lead(string lastName, string email) => new()
    {
        Operation = SaveOperation.Insert,
        ObjectName = "Lead",
        Fields = [new("LastName", JsonValue.Create(lastName)), new("Company", JsonValue.Create("Acme")), new("Email", JsonValue.Create(email))],
    };

    private static List<string> Save(UseCaseBed bed, IReadOnlyList<SaveRequest> requests)
    {
        var results = bed.Emulator.Org.Save(requests);
        Assert.All(results, r => Assert.True(r.Success, string.Join("; ", r.Errors.Select(e => e.Message))));
        return [.. results.Select(r => r.Id!)];
    }
}
