using System.Diagnostics;
using System.Runtime.Versioning;
using System.Text.RegularExpressions;
using Sluice.Dev.Embedded;
using Sluice.Emulators.Salesforce;
using Sluice.Emulators.Salesforce.Org;
using Sluice.Testing;

namespace Sluice.EndToEnd;

/// <summary>The set-up contract: <c>sluice demo --once</c> on a machine with nothing prepared.</summary>
public sealed class DemoTests
{
    [Fact]
    public async Task Demo_once_builds_everything_syncs_and_exits_0_and_a_second_run_sends_only_new_activity()
    {
        var home = Path.Combine(Path.GetTempPath(), $"sluice-demo-test-{Guid.NewGuid():N}");
        // The demo starts a cluster of its own, which outlives a demo that fails or is killed half-way.
        var cluster = Path.Combine(home, "demo", "pgdata");
        ClusterShutdown.StopWithThisProcess(cluster, home);
        // The demo's Salesforce syncs against an org that outlives both runs (as a user's own org does, named by
        // SALESFORCE_LOGIN_URL), so the test reads what they did from the org itself.
        await using var org = await DemoOrgAsync();
        await CleanUp.AfterAsync(async () =>
        {
            var (exit, output) = await RunDemoAsync(home, org);
            Assert.True(exit == 0, output);
            Assert.Contains("2,000 users", output, StringComparison.Ordinal);
            Assert.Matches(@"identify events sent and acknowledged\s*\S?\s*2,000", output);
            Assert.Matches(@"identify calls seen by the Segment emulator \(unique messageIds\)\s*\S?\s*2,000", output);
            AssertRealTime(output);
            Assert.Matches(@"customer records written \(new or changed\)\s*\S?\s*2,000\b", output);
            AssertRecords(output);
            var accounts = int.Parse(Regex.Match(output, @"2,000 users, ([\d,]+) accounts").Groups[1].Value, System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture);
            var members = AssertSalesforce(output, org, accounts, contacts: 2_000);
            Assert.Matches(@"accounts → Account\s*\S?\s*" + $"{accounts:N0}" + @"\s*\S?\s*" + $"{accounts:N0}" + @"\s*\S?\s*0\s", output);
            Assert.Matches(@"users_to_contacts → Contact\s*\S?\s*2,000\s*\S?\s*2,000\s*\S?\s*0\s*\S?\s*2,000\b", output);
            Assert.Matches(@"trial_nurture_members → CampaignMember\s*\S?\s*" + $"{members:N0}" + @"\b", output);
            AssertOpportunities(output, org, created: true);
            AssertGatewayEngageAndAlert(output);
            Assert.False(File.Exists(Path.Combine(cluster, "postmaster.pid")), "--once stops the cluster it started");

            var (again, second) = await RunDemoAsync(home, org);
            Assert.True(again == 0, second);
            Assert.Contains("users changed by simulated activity", second, StringComparison.Ordinal);
            Assert.Matches(@"rows read from public.users\s*\S?\s*50\b", second);
            AssertRealTime(second);
            // Only customers whose exported values changed are written again: at most the 50 the activity touched.
            var written = System.Text.RegularExpressions.Regex.Match(second, @"customer records written \(new or changed\)\s*\S?\s*(\d+)\b");
            Assert.True(written.Success && int.Parse(written.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) <= 50, second);
            AssertRecords(second);
            // The org kept the first run's records: the second creates no Contact, and sends at most the 50 users the
            // activity changed (none, when no mapped field changed: plan and status are not mapped to the Contact).
            AssertSalesforce(second, org, accounts, contacts: 2_000);
            AssertOpportunities(second, org, created: false);
            var updated = Regex.Match(second, @"users_to_contacts → Contact\s*\S?\s*(\d+)\s*\S?\s*0\s*\S?\s*\d+\s*\S?\s*2,000\b");
            Assert.True(updated.Success, second);
            Assert.True(int.Parse(updated.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) <= 50, second);
            AssertGatewayEngageAndAlert(second);
            await AssertDemoDatabaseAsync(cluster);
        }, () => ClusterShutdown.StopAndRemoveAsync(cluster, home));
    }

    /// <summary>
    /// The first README command as most people first run it: root, a clone in a 0700 home. As root the server runs as
    /// the <c>postgres</c> OS user, which cannot reach into the checkout, so the demo keeps its cluster outside it, says
    /// where, and <c>--reset</c> stops that cluster and removes it.
    /// </summary>
    [RootFact]
    [SupportedOSPlatform("linux")]
    public async Task Demo_once_as_root_from_a_0700_checkout_keeps_its_cluster_outside_and_reset_stops_and_removes_it()
    {
        var parent = Path.Combine(Path.GetTempPath(), $"sluice-setup-test-{Guid.NewGuid():N}");
        Directory.CreateDirectory(parent, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var checkout = Path.Combine(parent, "sluice");
        var launcher = Path.Combine(checkout, "sluice");
        string? dataDirectory = null;
        try
        {
            var (cloned, cloneOutput) = await RunAsync("git", ["clone", "--quiet", RepositoryRoot(), checkout], parent);
            Assert.True(cloned == 0, cloneOutput);
            SeedLauncherBuild(checkout);

            var (exit, output) = await RunAsync(launcher, ["demo", "--once", "--users", "200"], checkout);
            var placed = Regex.Match(output, @"PostgreSQL data in (/\S+)");
            dataDirectory = placed.Success ? placed.Groups[1].Value : null;
            Assert.True(exit == 0, output);
            Assert.Contains("demo summary", output, StringComparison.Ordinal);
            Assert.Matches(@"identify events sent and acknowledged\s*\S?\s*200\b", output);
            // The demo's own Salesforce emulator: every user a Contact, every Id written back.
            Assert.Matches(@"Salesforce emulator on http://127\.0\.0\.1:\d+", output);
            Assert.Matches(@"salesforce: [\d,]+ accounts, 200 contacts, [\d,]+ campaign members; 200 ids written back", output);
            Assert.True(dataDirectory is not null, output);
            Assert.False(dataDirectory.StartsWith(parent + "/", StringComparison.Ordinal), output);
            Assert.True(File.Exists(Path.Combine(dataDirectory, "PG_VERSION")), output);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dataDirectory));
            Assert.Equal("postgres", (await RunAsync("stat", ["--format=%U", dataDirectory], "/")).Output.Trim());
            Assert.False(File.Exists(Path.Combine(checkout, ".sluice", "demo", "pgdata", "PG_VERSION")), output);

            // A demo left serving in another terminal: its cluster runs when --reset comes.
            var serving = await LocalCluster.StartAsync(new LocalClusterOptions { DataDirectory = dataDirectory });
            Assert.True(serving.StartedHere);
            Assert.NotEmpty(ServerProcesses(dataDirectory));

            var (reset, resetOutput) = await RunAsync(launcher, ["demo", "--reset"], checkout);
            Assert.True(reset == 0, resetOutput);
            // At once, not after a wait: a postmaster whose directory is gone refuses new sessions and, within a
            // minute, stops by itself; only its listening socket tells whether it was stopped.
            using var probe = new System.Net.Sockets.TcpClient();
            await Assert.ThrowsAsync<System.Net.Sockets.SocketException>(async () => await probe.ConnectAsync(serving.Host, serving.Port));
            Assert.True(await NoServerProcessesAsync(dataDirectory), resetOutput);
            Assert.False(Directory.Exists(dataDirectory), resetOutput);
            Assert.False(Directory.Exists(Path.Combine(checkout, ".sluice", "demo")), resetOutput);
        }
        finally
        {
            await CleanUpAsync(launcher, dataDirectory, parent);
        }
    }

    /// <summary>
    /// Puts this test run's build where the launcher keeps its own, stamped newer than the fresh clone's sources, so
    /// the launcher uses it instead of publishing for a minute or more: the subject here is where the cluster goes.
    /// </summary>
    private static void SeedLauncherBuild(string checkout)
    {
        var bin = Path.Combine(checkout, ".sluice", "bin");
        Directory.CreateDirectory(bin);
        foreach (var file in Directory.GetFiles(AppContext.BaseDirectory))
        {
            File.Copy(file, Path.Combine(bin, Path.GetFileName(file)));
        }

        File.WriteAllText(Path.Combine(bin, ".built"), "");
    }

    /// <summary>Stops whatever cluster the test left (even when an assertion failed) and deletes its files.</summary>
    private static async Task CleanUpAsync(string launcher, string? dataDirectory, string parent)
    {
        try
        {
            if (File.Exists(launcher))
            {
                await RunAsync(launcher, ["demo", "--reset"], Path.GetDirectoryName(launcher)!);
            }

            foreach (var pid in dataDirectory is null ? [] : ServerProcesses(dataDirectory))
            {
                // SIGQUIT: PostgreSQL's immediate shutdown.
                await RunAsync("kill", ["-QUIT", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)], "/");
            }

            if (dataDirectory is not null && Directory.Exists(dataDirectory))
            {
                Directory.Delete(dataDirectory, recursive: true);
            }

            Directory.Delete(parent, recursive: true);
        }
        catch (Exception)
        {
            // Best effort: a failure here must not hide the test's own.
        }
    }

    /// <summary>
    /// Whether every server process of <paramref name="dataDirectory"/> has ended, within a generous deadline: pg_ctl
    /// returns once the pid file is gone, which the postmaster removes moments before it exits.
    /// </summary>
    private static async Task<bool> NoServerProcessesAsync(string dataDirectory)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (ServerProcesses(dataDirectory).Count > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(50);
        }

        return true;
    }

    /// <summary>Live (not zombie) PostgreSQL server processes whose command line names <paramref name="dataDirectory"/>.</summary>
    private static List<int> ServerProcesses(string dataDirectory)
    {
        var found = new List<int>();
        foreach (var proc in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(proc), out var pid))
            {
                continue;
            }

            try
            {
                var arguments = File.ReadAllText(Path.Combine(proc, "cmdline")).Split('\0');
                var state = File.ReadAllText(Path.Combine(proc, "stat"));
                var zombie = state[(state.LastIndexOf(')') + 2)..].StartsWith('Z');
                if (!zombie && arguments.Contains(dataDirectory) && arguments.Any(a => Path.GetFileName(a) == "postgres"))
                {
                    found.Add(pid);
                }
            }
            catch (IOException)
            {
                // the process ended while we looked
            }
        }

        return found;
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Sluice.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException($"no Sluice.slnx above {AppContext.BaseDirectory}");
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, IReadOnlyList<string> arguments, string workingDirectory)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("SLUICE_HOME");
        start.Environment.Remove("SALESFORCE_LOGIN_URL");
        start.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>The ingest API's events landed in both layouts, and every upgrade reached Segment from the WAL.</summary>
    private static void AssertRealTime(string output)
    {
        Assert.Matches(@"website events sent to the ingest API \(page, identify, track\)\s*\S?\s*60\b", output);
        Assert.Matches(@"landed in public\.events\s*\S?\s*60\b", output);
        Assert.Matches(@"landed in web\.pages / identifies / tracks\s*\S?\s*20 / 20 / 20\b", output);
        var upgraded = System.Text.RegularExpressions.Regex.Match(output, @"users upgraded trial → paid\s*\S?\s*(\d+)");
        var tracked = System.Text.RegularExpressions.Regex.Match(output, @"Subscription Upgraded tracks from the WAL\s*\S?\s*(\d+)");
        Assert.True(upgraded.Success && tracked.Success, output);
        Assert.True(int.Parse(tracked.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= int.Parse(upgraded.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), output);
    }

    /// <summary>
    /// S5, S6 and S7 as the demo's summary counts them from its Segment emulator's messages and the app database: of
    /// the shop's 10 orders, 9 forwarded and the one naming an unknown product quarantined, then released once (its
    /// messageId received once); the alert on the quarantine fired one Track and recovered; the Engage pushes landed.
    /// </summary>
    private static void AssertGatewayEngageAndAlert(string output)
    {
        Assert.Contains("gateway: 10 orders, 9 forwarded, 1 quarantined, 1 released once; alert unknown_products fired 1, recovered 1", output, StringComparison.Ordinal);
        Assert.Matches(@"shop_to_segment: 1 released to Segment \S+, 0 still quarantined", output);
        Assert.Matches(@"engage: \d+ deliveries, 4 in power_users, 1 left, 5 traits", output);
    }

    /// <summary>What the two demo runs left in the app database: read with the demo's cluster started again.</summary>
    private static async Task AssertDemoDatabaseAsync(string dataDirectory)
    {
        var started = await LocalCluster.StartAsync(new LocalClusterOptions { DataDirectory = dataDirectory });
        await using var db = Npgsql.NpgsqlDataSource.Create(started.ConnectionString("sluice_demo"));
        async Task<object?> ScalarAsync(string sql)
        {
            await using var command = db.CreateCommand(sql);
            return await command.ExecuteScalarAsync();
        }

        // Each run quarantined its unknown order, and released it once the product was in the catalogue.
        Assert.Equal(2L, await ScalarAsync("SELECT count(*) FROM sluice.quarantine WHERE sync = 'shop_to_segment' AND replay_outcome = 'delivered'"));
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM sluice.quarantine WHERE sync = 'shop_to_segment' AND replayed_at IS NULL"));
        Assert.Equal(true, await ScalarAsync("SELECT EXISTS (SELECT 1 FROM public.products WHERE sku = 'studio')"));
        // One crossing a run, each recovered: the alert is ok again.
        Assert.Equal("ok/2", await ScalarAsync("SELECT state || '/' || crossings FROM sluice.alerts WHERE name = 'unknown_products'"));
        // User 3 left power_users; user 2's exit, computed before its entry and delivered late, changed nothing.
        Assert.Equal("1:t 2:t 3:f 4:t 5:t", await ScalarAsync(
            "SELECT string_agg(user_id || ':' || CASE WHEN member THEN 't' ELSE 'f' END, ' ' ORDER BY user_id) FROM public.audience_members WHERE audience = 'power_users'"));
        Assert.Equal(5L, await ScalarAsync("SELECT count(*) FROM public.customer_traits WHERE trait = 'orders_last_30d'"));
        await started.StopAsync(ct: CancellationToken.None);
    }

    /// <summary>The records export's summary: every customer has its row in the second database, and some are high value.</summary>
    private static void AssertRecords(string output)
    {
        var summary = System.Text.RegularExpressions.Regex.Match(output, @"records: 2,000 customers, ([\d,]+) in high_value");
        Assert.True(summary.Success, output);
        var members = int.Parse(summary.Groups[1].Value, System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(members is > 0 and < 2_000, output);
    }

    /// <summary>
    /// What the demo's summary says it did in Salesforce is what the org holds: every user a Contact under its Account
    /// (found by the Account's external id), the Campaign, and its members — the trial users, each once. Returns the
    /// number of members.
    /// </summary>
    private static int AssertSalesforce(string output, SalesforceEmulator org, int accounts, int contacts)
    {
        var summary = Regex.Match(output, @"salesforce: ([\d,]+) accounts, ([\d,]+) contacts, ([\d,]+) campaign members; ([\d,]+) ids written back");
        Assert.True(summary.Success, output);
        int Count(int group) => int.Parse(summary.Groups[group].Value, System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture);
        var accountIds = org.Org.Records("Account").Select(a => a.Id).ToHashSet();
        var held = org.Org.Records("Contact");
        var campaign = Assert.Single(org.Org.Records("Campaign"));
        var members = org.Org.Records("CampaignMember");
        Assert.Equal(accounts, accountIds.Count);
        Assert.Equal(accounts, Count(1));
        Assert.Equal(contacts, held.Count);
        Assert.Equal(contacts, Count(2));
        Assert.Equal(contacts, held.Select(c => ((string)c.Get("Email")!).ToLowerInvariant()).Distinct().Count());
        Assert.All(held, c => Assert.Contains((string)c.Get("AccountId")!, accountIds));
        Assert.Equal("trial-nurture", campaign.Get("External_Id__c"));
        Assert.Equal(members.Count, Count(3));
        Assert.True(members.Count > 0, output);
        Assert.All(members, m => Assert.Equal(campaign.Id, m.Get("CampaignId")));
        Assert.Equal(members.Count, members.Select(m => (string)m.Get("ContactId")!).Distinct().Count());
        Assert.Equal(contacts, Count(4));
        return members.Count;
    }

    /// <summary>
    /// Salesforce → PostgreSQL in near real time: the demo changed ten of its Opportunities in the org (creating its
    /// twenty on the first run only) and every change arrived in PostgreSQL through change events, within seconds.
    /// </summary>
    private static void AssertOpportunities(string output, SalesforceEmulator org, bool created)
    {
        var line = Regex.Match(output, @"opportunities: (\d+) of (\d+) changed Opportunities arrived in public\.sf_opportunities within ([\d.]+) s( \((\d+) demo Opportunities created first\))?");
        Assert.True(line.Success, output);
        Assert.Equal(("10", "10"), (line.Groups[1].Value, line.Groups[2].Value));
        Assert.True(double.Parse(line.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture) < 30, output);
        Assert.Equal(created ? "20" : "", line.Groups[5].Value);
        Assert.Matches(@"arrived in public\.sf_opportunities from change events\s*\S?\s*10\b", output);
        Assert.Equal(20, org.Org.Records("Opportunity").Count(o => ((string)o.Get("Name")!).StartsWith("Sluice demo ", StringComparison.Ordinal)));
    }

    /// <summary>An emulator with the org the demo writes (<c>salesforce-org.yaml</c>): External_Id__c on Account and Campaign.</summary>
    private static Task<SalesforceEmulator> DemoOrgAsync()
    {
        var org = OrgDefinition.Default();
        foreach (var name in new[] { "Account", "Campaign" })
        {
            org.Objects[name] = new ObjectDefinition
            {
                Fields = new() { ["External_Id__c"] = new FieldDefinition { Type = "string", Length = 64, ExternalId = true, Unique = true } },
            };
        }

        return SalesforceEmulator.StartAsync(new SalesforceEmulatorOptions { Port = 0, Org = org });
    }

    private static async Task<(int ExitCode, string Output)> RunDemoAsync(string home, SalesforceEmulator org)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "sluice.dll"), "demo", "--once", "--users", "2000" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["SLUICE_HOME"] = home;
        start.Environment["NO_COLOR"] = "1";
        start.Environment["SALESFORCE_LOGIN_URL"] = org.InstanceUrl;
        start.Environment["SALESFORCE_CLIENT_ID"] = "sluice-client";
        start.Environment["SALESFORCE_CLIENT_SECRET"] = "sluice-secret";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"sluice demo did not finish within 3 minutes:\n{await stdout}{await stderr}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
