using System.Text.Json.Nodes;
using Sluice.Emulators.Salesforce.Org;
using Sluice.Testing;

namespace Sluice.Salesforce.Tests.UseCases;

/// <summary>
/// F2 of docs/salesforce.md: Opportunities (stage, amount, close date, owner, account name) into
/// <c>public.sf_opportunities</c>, running its config file as written — the Bulk initial load, then polls that bring
/// changes, deletes and a change committed late, each exactly once.
/// </summary>
public sealed class F2OpportunitiesUseCaseTests
{
    private const string Table = """
        CREATE TABLE public.sf_opportunities (
          id text PRIMARY KEY, name text NOT NULL, stage text NOT NULL, amount numeric(18, 2), close_date date,
          owner_email text, account_name text);
        """;

    [Fact]
    public async Task F2_opportunities_land_in_a_table_then_changes_deletes_and_late_commits_follow_each_exactly_once()
    {
        await using var bed = await UseCaseBed.StartAsync("f2-opportunities.yaml", Table);
        var acme = Save(bed, [Insert("Account", ("Name", "Acme"))])[0];
        var ids = Save(bed, [.. Enumerable.Range(1, 3).Select(i => Insert("Opportunity", ("Name", $"Deal {i}"), ("StageName", "Prospecting"), ("CloseDate", "2026-06-30"), ("Amount", "1200.50"), ("AccountId", acme)))]);

        var load = await bed.RunAsync("opportunities");

        Assert.Equal(3, load.Acknowledged);
        Assert.Equal(1, bed.ApiRequests("/jobs/query", "POST")); // the initial load is one Bulk query job
        Assert.Equal(["Acme"], (await bed.ColumnAsync<string>("SELECT DISTINCT account_name FROM public.sf_opportunities")));
        Assert.Equal(["admin@sluice.test"], await bed.ColumnAsync<string>("SELECT DISTINCT owner_email FROM public.sf_opportunities"));
        Assert.Equal([1200.50m, 1200.50m, 1200.50m], await bed.ColumnAsync<decimal>("SELECT amount FROM public.sf_opportunities"));

        // A stage moves, a deal is deleted, one is new: the next poll brings the three, as an update, a delete and an insert.
        Save(bed, [new SaveRequest { Operation = SaveOperation.Update, Id = ids[0], Fields = [new("StageName", "Closed Won")] }]);
        Save(bed, [new SaveRequest { Operation = SaveOperation.Delete, Id = ids[1] }]);
        var fourth = Save(bed, [Insert("Opportunity", ("Name", "Deal 4"), ("StageName", "Qualification"), ("CloseDate", "2026-07-31"))])[0];

        var poll = await bed.RunAsync("opportunities");

        Assert.Equal(3, poll.Acknowledged);
        Assert.Equal(
            [$"{ids[0]} Closed Won", $"{ids[2]} Prospecting", $"{fourth} Qualification"],
            await bed.ColumnAsync<string>("SELECT id || ' ' || stage FROM public.sf_opportunities ORDER BY id"));

        // A transaction stamped before a change that commits after it (3 s late): the poll after the commit finds it
        // through the lookback, and the change that came first is not written again.
        Save(bed, [new SaveRequest { Operation = SaveOperation.Update, Id = ids[2], Fields = [new("StageName", "Negotiation/Review")] }], new SaveOptions { CommitLag = TimeSpan.FromSeconds(3) });
        Save(bed, [new SaveRequest { Operation = SaveOperation.Update, Id = fourth, Fields = [new("Amount", "99")] }]);
        var before = await bed.RunAsync("opportunities");
        await Eventually.HoldsAsync(() => (string?)bed.Emulator.Org.Find(ids[2])?.Get("StageName") == "Negotiation/Review", "the late transaction to commit");
        var after = await bed.RunAsync("opportunities");
        var quiet = await bed.RunAsync("opportunities");

        Assert.Equal((1, 1, 0), (before.Acknowledged, after.Acknowledged, quiet.Acknowledged));
        Assert.Equal(["Negotiation/Review"], await bed.ColumnAsync<string>($"SELECT stage FROM public.sf_opportunities WHERE id = '{ids[2]}'"));
        Assert.Equal([99m], await bed.ColumnAsync<decimal>($"SELECT amount FROM public.sf_opportunities WHERE id = '{fourth}'"));
    }

    private static SaveRequest Insert(string objectName, params (string Name, string Value)[] fields) => new()
    {
        Operation = SaveOperation.Insert,
        ObjectName = objectName,
        Fields = [.. fields.Select(f => new KeyValuePair<string, JsonNode?>(f.Name, JsonValue.Create(f.Value)))],
    };

    private static List<string> Save(UseCaseBed bed, IReadOnlyList<SaveRequest> requests, SaveOptions? options = null)
    {
        var results = bed.Emulator.Org.Save(requests, options);
        Assert.All(results, r => Assert.True(r.Success, string.Join("; ", r.Errors.Select(e => e.Message))));
        return [.. results.Select(r => r.Id!)];
    }
}
