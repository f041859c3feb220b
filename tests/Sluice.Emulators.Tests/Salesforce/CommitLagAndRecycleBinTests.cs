using System.Text;
using System.Text.Json.Nodes;
using Sluice.Emulators.Salesforce;
using Sluice.Emulators.Salesforce.Bulk;
using Sluice.Emulators.Salesforce.Org;
using Sluice.Emulators.Salesforce.Soql;
using Sluice.Testing;

namespace Sluice.Emulators.Tests.Salesforce;

/// <summary>
/// The emulator's commit-lag fault (a record visible later than its SystemModstamp, as a long transaction shows it) and
/// the emptied recycle bin (queryAll no longer finds a deleted record; getDeleted still does).
/// </summary>
public sealed class CommitLagAndRecycleBinTests
{
    private const string Api = SalesforceHarness.Api;

    [Fact]
    public async Task A_save_that_commits_late_is_stamped_when_saved_but_seen_by_queries_only_after_the_lag()
    {
        var time = new Segment.ManualTimeProvider(new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero));
        await using var harness = await SalesforceHarness.StartAsync(time: time);
        var id = (await harness.JsonAsync(HttpMethod.Post, $"{Api}/sobjects/Account", new { Name = "Before" }, 201))["id"]!.GetValue<string>();
        harness.Emulator.SetFaults(new SalesforceFaultOptions { CommitLagRate = 1, CommitLag = TimeSpan.FromSeconds(30) });
        time.Now = time.Now.AddSeconds(5);
        await harness.SendAsync(HttpMethod.Patch, $"{Api}/sobjects/Account/{id}", new { Name = "Late" });
        var created = (await harness.JsonAsync(HttpMethod.Post, $"{Api}/sobjects/Account", new { Name = "New and late" }, 201))["id"]!.GetValue<string>();
        harness.Emulator.SetFaults(new SalesforceFaultOptions());

        const string Soql = "SELECT Id, Name, SystemModstamp FROM Account ORDER BY Name";
        var during = await harness.JsonAsync(HttpMethod.Get, $"{Api}/query?q={Uri.EscapeDataString(Soql)}");
        var record = Assert.Single(during["records"]!.AsArray())!;
        Assert.Equal("Before", record["Name"]!.GetValue<string>());
        Assert.Equal("2026-03-01T10:00:00.000+0000", record["SystemModstamp"]!.GetValue<string>());

        time.Now = time.Now.AddSeconds(30);
        var after = (await harness.JsonAsync(HttpMethod.Get, $"{Api}/query?q={Uri.EscapeDataString(Soql)}"))["records"]!.AsArray();

        Assert.Equal(["Late", "New and late"], after.Select(r => r!["Name"]!.GetValue<string>()));
        // Stamped when saved, 30 s before anyone could see them.
        Assert.All(after, r => Assert.Equal("2026-03-01T10:00:05.000+0000", r!["SystemModstamp"]!.GetValue<string>()));
        Assert.Contains(after, r => r!["Id"]!.GetValue<string>() == created);
    }

    [Fact]
    public async Task The_commit_lag_is_set_through_the_admin_api()
    {
        await using var harness = await SalesforceHarness.StartAsync();

        var faults = await harness.JsonAsync(HttpMethod.Put, "/__emulator/faults", new JsonObject { ["commitLagRate"] = 0.5, ["commitLag"] = "00:00:20" });

        Assert.Equal(0.5, faults["commitLagRate"]!.GetValue<double>());
        Assert.Equal("00:00:20", (await harness.JsonAsync(HttpMethod.Get, "/__emulator/faults"))["commitLag"]!.GetValue<string>());
        using var refused = await harness.SendAsync(HttpMethod.Put, "/__emulator/faults", new JsonObject { ["commitLagRate"] = 2 });
        Assert.Equal(400, (int)refused.StatusCode);
    }

    [Fact]
    public async Task An_emptied_recycle_bin_hides_deleted_records_from_query_all_but_get_deleted_still_lists_them()
    {
        var time = new Segment.ManualTimeProvider(new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero));
        await using var harness = await SalesforceHarness.StartAsync(time: time);
        var id = (await harness.JsonAsync(HttpMethod.Post, $"{Api}/sobjects/Account", new { Name = "Gone" }, 201))["id"]!.GetValue<string>();
        time.Now = time.Now.AddMinutes(1);
        await harness.SendAsync(HttpMethod.Delete, $"{Api}/sobjects/Account/{id}");
        const string Deleted = "SELECT Id FROM Account WHERE IsDeleted = true";
        Assert.Single((await harness.JsonAsync(HttpMethod.Get, $"{Api}/queryAll?q={Uri.EscapeDataString(Deleted)}"))["records"]!.AsArray());

        var purged = await harness.JsonAsync(HttpMethod.Post, "/__emulator/empty-recycle-bin?object=Account");
        time.Now = time.Now.AddMinutes(2);

        Assert.Equal(1, purged["purged"]!.GetValue<int>());
        Assert.Empty((await harness.JsonAsync(HttpMethod.Get, $"{Api}/queryAll?q={Uri.EscapeDataString(Deleted)}"))["records"]!.AsArray());
        var log = await harness.JsonAsync(HttpMethod.Get, $"{Api}/sobjects/Account/deleted/?start=2026-03-01T10:00:00Z&end=2026-03-01T10:05:00Z");
        Assert.Equal(id, Assert.Single(log["deletedRecords"]!.AsArray())!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_bulk_hard_delete_skips_the_recycle_bin_and_is_only_in_the_delete_log()
    {
        var org = new SalesforceOrg(OrgFiles.WithSubscriptions());
        var bulk = new BulkService(org, new QueryService(org));
        var ids = org.Save([.. new[] { "Hard", "Soft" }.Select(name => new SaveRequest
        {
            Operation = SaveOperation.Insert,
            ObjectName = "Account",
            Fields = [KeyValuePair.Create("Name", (JsonNode?)name)],
        })]).Select(r => r.Id!).ToList();
        org.Save([new SaveRequest { Operation = SaveOperation.Delete, Id = ids[1] }]);

        var job = bulk.CreateIngest(new JsonObject { ["object"] = "Account", ["operation"] = "hardDelete" }, "62.0", org.DefaultUserId);
        bulk.Upload(job.Id, Encoding.UTF8.GetBytes($"Id\n{ids[0]}\n"));
        bulk.ChangeState(job.Id, "UploadComplete", ingest: true);
        await Eventually.HoldsAsync(() => BulkJobState.IsTerminal(job.State), "the job finishes", state: () => job.State);

        Assert.Equal(BulkJobState.JobComplete, job.State);
        Assert.Equal([ids[1]], org.Records("Account", includeDeleted: true).Select(r => r.Id)); // the soft delete stays in the bin
        Assert.Equal(ids.Order(StringComparer.Ordinal), org.Deleted("Account", DateTimeOffset.MinValue, DateTimeOffset.MaxValue).Select(d => d.Id).Order(StringComparer.Ordinal));
    }
}
