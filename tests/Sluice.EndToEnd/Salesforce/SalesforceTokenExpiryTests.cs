namespace Sluice.EndToEnd.Salesforce;

/// <summary>
/// The access token dies while <c>sluice sync</c> runs (the emulator expires every token it issued, as a session
/// timeout or a revoked session does): the next request is answered <c>401 INVALID_SESSION_ID</c>, the connector logs
/// in again and sends it once more, and the run completes with every record delivered once.
/// </summary>
public sealed class SalesforceTokenExpiryTests
{
    [Fact]
    public async Task A_token_expiring_mid_run_is_refreshed_and_the_run_completes_with_each_record_once()
    {
        await using var org = await SalesforceOrgs.StartAsync();
        await using var bed = await ContactsSyncBed.CreateAsync(nameof(A_token_expiring_mid_run_is_refreshed_and_the_run_completes_with_each_record_once), org);

        var expired = 0;
        var (acted, exit, output) = await ContactsSyncBed.RunActingAsync(bed,
            () => Task.FromResult(ContactsSyncBed.AcknowledgedCollections(org) >= 2),
            () => expired = org.ExpireTokens());

        Assert.True(acted && expired > 0, $"the sync finished before its token could be expired; the test proves nothing\n{output}");
        Assert.True(exit == 0, output);
        var stats = org.Stats;
        Assert.True(stats.InvalidSessions >= 1, $"no request met the expired token ({stats.InvalidSessions} 401s)\n{output}");
        Assert.True(stats.TokensIssued >= 2, $"the connector did not log in again ({stats.TokensIssued} tokens)\n{output}");
        // After the 401, requests went on with a new token and succeeded.
        var lastRefusal = org.Requests.Select((r, i) => (r, i)).Last(x => x.r.Status == 401).i;
        Assert.Contains(org.Requests.Skip(lastRefusal + 1), r => r.Status < 300 && r.Path.Contains("/composite/sobjects", StringComparison.Ordinal));
        await ContactsSyncBed.AssertEachUserOnceAsync(bed, org);
    }
}
