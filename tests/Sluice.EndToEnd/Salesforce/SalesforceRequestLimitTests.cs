using System.Text.RegularExpressions;

namespace Sluice.EndToEnd.Salesforce;

/// <summary>
/// The org's daily API requests run out while <c>sluice sync</c> runs (the emulator's request counter set to the
/// org's limit: every request after it is answered <c>403 REQUEST_LIMIT_EXCEEDED</c>, <c>TotalRequests Limit
/// exceeded.</c>). The run stops with a plain error naming the limit, having committed only what Salesforce
/// acknowledged; once the 24-hour window frees requests, the next run delivers the rest, each record once.
/// </summary>
public sealed class SalesforceRequestLimitTests
{
    [Fact]
    public async Task The_daily_limit_running_out_mid_sync_stops_it_cleanly_and_a_rerun_after_the_reset_delivers_the_rest_once()
    {
        await using var org = await SalesforceOrgs.StartAsync();
        await using var bed = await ContactsSyncBed.CreateAsync(nameof(The_daily_limit_running_out_mid_sync_stops_it_cleanly_and_a_rerun_after_the_reset_delivers_the_rest_once), org);
        var limit = org.Stats.ApiRequestsLimit;

        var (acted, exit, output) = await ContactsSyncBed.RunActingAsync(bed,
            // Once a batch is committed (its Ids written back), so the stop comes after acknowledged work.
            async () => await ContactsSyncBed.WrittenBackAsync(bed) > 0,
            () => org.SetApiUsage(limit));

        Assert.True(acted, $"the sync finished before the limit ran out; the test proves nothing\n{output}");
        Assert.True(exit != 0, output);
        Assert.Contains(org.Requests, r => r.Status == 403);
        // A plain message that names the limit, and no stack trace.
        Assert.Contains("daily API request", output, StringComparison.Ordinal);
        Assert.Contains("REQUEST_LIMIT_EXCEEDED", output, StringComparison.Ordinal);
        Assert.DoesNotMatch(new Regex(@"^\s+at \S+\(", RegexOptions.Multiline), output);
        Assert.DoesNotContain("Exception", output, StringComparison.Ordinal);

        // What was committed is a prefix of the cursor order, and each Id written back is a Contact the org holds:
        // the checkpoint is behind acknowledged records only.
        var users = await ContactsSyncBed.UsersAsync(bed);
        var written = users.Count(u => u.Written is not null);
        Assert.InRange(written, 1, ContactsSyncBed.Rows - 1);
        Assert.All(users.Take(written), u => Assert.NotNull(u.Written));
        Assert.All(users.Skip(written), u => Assert.Null(u.Written));
        var held = org.Org.Records("Contact").ToDictionary(c => c.Id, c => ((string)c.Get("Email")!).ToLowerInvariant());
        Assert.All(users.Take(written), u => Assert.Equal(u.Email, held[u.Written!]));

        // The window frees requests: the rest goes, and what Salesforce had taken before the stop is found, not doubled.
        org.SetApiUsage(0);
        var (rerun, rerunOutput) = await bed.RunSluiceAsync("sync", ContactsSyncBed.Sync, "-c", bed.ConfigPath);
        Assert.True(rerun == 0, rerunOutput);
        await ContactsSyncBed.AssertEachUserOnceAsync(bed, org);
    }
}
