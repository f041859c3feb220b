namespace Sluice.EndToEnd.Salesforce;

/// <summary><c>sluice check</c> on a Salesforce connection: it logs in and prints the org's remaining daily API requests.</summary>
public sealed class SalesforceCheckTests
{
    [Fact]
    public async Task Check_prints_the_remaining_daily_api_requests_of_a_salesforce_connection()
    {
        await using var org = await SalesforceOrgs.StartAsync();
        org.SetApiUsage(1_200, 15_000);
        await using var bed = await TestBed.CreateAsync(nameof(Check_prints_the_remaining_daily_api_requests_of_a_salesforce_connection),
            "CREATE TABLE users (id integer PRIMARY KEY, email text);",
            at => $"""
                {at.Connections(segment: false)}{SalesforceOrgs.Connection(org, "    max_daily_share: 10%")}
                syncs: {"{"}{"}"}

                """);

        var (exit, output) = await bed.RunSluiceAsync("check", "-c", bed.ConfigPath);

        Assert.True(exit == 0, output);
        var flat = string.Concat(output.Where(c => !char.IsWhiteSpace(c)));
        // /limits itself counts one request: 1,201 used of 15,000; 10% allows 1,500, of which 299 are left.
        Assert.True(flat.Contains("dailyAPIrequests:13,799of15,000remaining;max_daily_share(10%)leavesSluice299", StringComparison.Ordinal), output);
    }
}
