using System.CommandLine;
using Microsoft.Extensions.Logging;
using Sluice.Cli.Demo;
using Sluice.Cli.Terminal;
using Sluice.Core.Configuration;
using Sluice.Core.Engine;
using Sluice.Core.State;
using Sluice.Dev.Embedded;
using Sluice.Emulators.Segment;
using Sluice.Server;
using Sluice.Server.Hosting;
using Sluice.Server.Logging;
using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice demo [--once | --reset]</c>: the whole product locally, nothing to install or configure.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var once = new Option<bool>("--once") { Description = "Run the demo syncs once (and the real-time ones until caught up), print a summary and exit (for scripts and CI)." };
        var users = new Option<int>("--users") { Description = "Demo users to create on first run.", DefaultValueFactory = _ => 10_000 };
        var listen = new Option<string?>("--listen") { Description = "Ingest API address (default http://127.0.0.1:7080, or a free port); the dashboard is on 127.0.0.1:7081, or a free port." };
        var reset = new Option<bool>("--reset") { Description = "Stop the demo's PostgreSQL cluster and remove it and the demo's config, wherever they are, then exit; the next run starts afresh." };
        var command = new Command("demo",
            $"""
            Everything locally: starts (or reuses) a PostgreSQL cluster in $SLUICE_HOME/demo (default ./.sluice/demo),
            loads a demo application database (users, accounts, orders), starts the Segment emulator, writes a
            sluice.yaml, and syncs users to Segment as identify calls. It starts the Salesforce emulator too and
            syncs accounts and users to it (Contacts, their Ids written back) and trial users as Campaign members;
            with $SALESFORCE_LOGIN_URL (and $SALESFORCE_CLIENT_ID, $SALESFORCE_CLIENT_SECRET) set it uses that org. It serves the ingest API too: website events
            land in PostgreSQL (Segment's warehouse schema and an events table), and users going from trial to paid
            reach Segment in real time from the WAL. Then it keeps running: app activity and website traffic are
            simulated, the users sync runs every 30 s, and the dashboard shows it. Ctrl-C stops everything.

            The generated config is {Path.Combine("$SLUICE_HOME", "demo", "sluice.yaml")}; open it to see what a sync looks like.

            As root, PostgreSQL runs as the 'postgres' OS user; when that user cannot reach $SLUICE_HOME (a clone in
            root's 0700 home), the cluster lives in /var/lib/sluice/demo-<hash of $SLUICE_HOME> instead (under the temp
            directory if /var/lib is read-only), owned by 'postgres', mode 0700; the demo says so and reuses it on every
            run. 'sluice demo --reset' stops and removes the cluster wherever it is.
            """)
        {
            once, users, listen, reset,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(() => parse.GetValue(reset)
            ? ResetAsync(ct)
            : RunAsync(parse.GetValue(once), parse.GetValue(users), parse.GetValue(listen), ct)));
        return command;
    }

    private static async Task<int> RunAsync(bool once, int users, string? listen, CancellationToken ct)
    {
        Output.Line("Sluice demo");
        var placement = await DemoEnvironment.ChooseDataDirectoryAsync(ct);
        if (placement.Relocated)
        {
            Output.Ok($"PostgreSQL data in {placement.DataDirectory} (the 'postgres' OS user, which runs the server as root, cannot reach {DemoEnvironment.PreferredDataDirectory}; 'sluice demo --reset' removes it)");
        }

        var cluster = await Step($"PostgreSQL in {placement.DataDirectory}", () => DemoEnvironment.StartClusterAsync(placement.DataDirectory, ct));
        try
        {
            Output.Ok($"PostgreSQL on {cluster.Host}:{cluster.Port}{(cluster.StartedHere ? "" : " (already running; reused)")}");
            var data = await Step("demo data", () => DemoEnvironment.LoadDataAsync(cluster, users, ct));
            await DemoRecords.PrepareAsync(cluster, ct);
            Output.Ok($"database {DemoEnvironment.Database}: {data.Users:N0} users, {data.Accounts:N0} accounts, {data.Orders:N0} orders");

            await using var emulator = await SegmentEmulator.StartAsync(new SegmentEmulatorOptions { Port = DemoEnvironment.PortOr(9100) }, ct);
            Output.Ok($"Segment emulator on {emulator.BaseUrl} (inspect: {emulator.BaseUrl}__emulator/stats)");

            await using var salesforce = await DemoSalesforce.StartEmulatorAsync(ct);
            var salesforceUrl = salesforce?.InstanceUrl ?? DemoSalesforce.UserOrg!;
            Output.Ok(salesforce is not null
                ? $"Salesforce emulator on {salesforceUrl} (inspect: {salesforceUrl}/__emulator/records/Contact?limit=5)"
                : $"Salesforce org at {salesforceUrl} (${DemoSalesforce.LoginUrlVariable})");
            await DemoSalesforce.PrepareAsync(cluster, freshOrg: salesforce is not null, ct);
            await DemoGateway.PrepareAsync(cluster, ct);

            await DemoEnvironment.WriteConfigAsync(cluster, emulator.BaseUrl, salesforce?.InstanceUrl ?? "http://127.0.0.1:9200", once ? "manual" : "every 30s", ct);
            Output.Ok($"config {DemoEnvironment.ConfigPath}");

            var config = SluiceConfig.Load(DemoEnvironment.ConfigPath);
            await using var workspace = new SluiceWorkspace(config, TimeProvider.System);
            var failed = (await workspace.CheckAsync(ct)).Where(r => !r.Ok).ToList();
            foreach (var failure in failed)
            {
                Output.Fail($"{failure.What}: {failure.Problem}");
            }

            if (failed.Count > 0)
            {
                return ExitCodes.Failure;
            }

            if (once)
            {
                return await OnceAsync(workspace, cluster, emulator, salesforceUrl, users, ct);
            }

            var changed = 0;
            if (await DemoEnvironment.HasSyncedBeforeAsync(cluster, ct))
            {
                changed = (await DemoEnvironment.SimulateActivityAsync(cluster, Math.Max(1, users / 40), ct)).Changed;
            }

            var result = await SyncProgress.ShowAsync(DemoEnvironment.SyncName,
                observer => workspace.RunAsync(DemoEnvironment.SyncName, RunKind.Incremental, observer, ct));
            PrintSummary(result, emulator, changed);
            await DemoRecords.RunAndPrintAsync(workspace, cluster, ct);
            await DemoSalesforce.RunAndPrintAsync(workspace, cluster, salesforceUrl, ct);
            await DemoGateway.RunAndPrintAsync(workspace, cluster, emulator, alerting: false, ct);

            return await ServeAsync(workspace, cluster, emulator, salesforce?.InstanceUrl, users, listen, ct);
        }
        finally
        {
            if (once && cluster.StartedHere)
            {
                await cluster.StopAsync(ct: CancellationToken.None);
            }
        }
    }

    /// <summary><c>--reset</c>: stops the demo's cluster and removes it (in the home or outside it) and the demo's config.</summary>
    private static async Task<int> ResetAsync(CancellationToken ct)
    {
        var removed = false;
        foreach (var directory in DemoEnvironment.DataDirectoryCandidates)
        {
            if (await LocalCluster.RemoveAsync(directory, ct))
            {
                Output.Ok($"removed the demo's PostgreSQL cluster in {directory}");
                removed = true;
            }
        }

        var demoFiles = Path.GetDirectoryName(DemoEnvironment.ConfigPath)!;
        if (Directory.Exists(demoFiles))
        {
            Directory.Delete(demoFiles, recursive: true);
            Output.Ok($"removed {demoFiles}");
            removed = true;
        }

        if (!removed)
        {
            Output.Line($"nothing to remove: no demo cluster or config for {DemoEnvironment.Home}");
        }

        return ExitCodes.Ok;
    }

    private static async Task<int> ServeAsync(SluiceWorkspace workspace, LocalCluster cluster, SegmentEmulator emulator, string? salesforceEmulator, int users, string? listen, CancellationToken ct)
    {
        var address = listen ?? $"http://127.0.0.1:{DemoEnvironment.PortOr(7080)}";
        var dashboard = $"http://127.0.0.1:{DemoEnvironment.PortOr(7081)}";
        Output.Line("");
        Output.Line($"Dashboard: {dashboard}   Emulator: {emulator.BaseUrl}__emulator/messages?limit=5");
        Output.Line($"Ingest API: {address}/v1/batch (write key '{DemoTraffic.WriteKey}'); landed in public.events and schema {DemoEnvironment.WarehouseSchema}.");
        Output.Line("App activity and website events are simulated every 10 s; users sync every 30 s, upgrades in real time from the WAL. Ctrl-C stops the demo.");
        Output.Line($"Engage audiences ({DemoEngage.Audience}) and computed traits are pushed once the ingest API answers, into public.audience_members and public.customer_traits.");
        if (salesforceEmulator is not null)
        {
            Output.Line($"Opportunities in the Salesforce emulator change every 10 s too, and arrive in {DemoOpportunities.Table} within seconds (change events).");
        }

        using var activity = new PeriodicTimer(TimeSpan.FromSeconds(10));
        var simulate = Task.Run(async () =>
        {
            var audiencesPushed = false;
            while (await activity.WaitForNextTickAsync(ct))
            {
                await DemoEnvironment.SimulateActivityAsync(cluster, Math.Max(1, users / 200), ct);
                try
                {
                    await DemoTraffic.SendAsync(new Uri(address + "/"), Math.Max(5, users / 1000), ct);
                    if (!audiencesPushed)
                    {
                        // Once the ingest API answers: Engage's audience and trait deliveries, pushed by a second emulator.
                        await DemoEngage.PushAndPrintAsync(new Uri(address), cluster, ct);
                        audiencesPushed = true;
                    }

                    if (salesforceEmulator is not null)
                    {
                        await DemoOpportunities.ChangeAndWaitAsync(cluster, salesforceEmulator, 2, TimeSpan.Zero, ct);
                    }
                }
                catch (Exception e) when (e is HttpRequestException or Core.Errors.SluiceException or TimeoutException)
                {
                    // The server may still be starting (or stopping); the next tick tries again.
                }
            }
        }, ct);
        try
        {
            using var logs = ConsoleLogging.Create(LogFormat.Text, LogLevel.Information);
            await new SluiceServer(workspace, logs).RunAsync(address, dashboard, ct);
        }
        finally
        {
            try
            {
                await simulate;
            }
            catch (OperationCanceledException)
            {
                // stopping
            }

            if (cluster.StartedHere)
            {
                await cluster.StopAsync(ct: CancellationToken.None);
            }
        }

        return ExitCodes.Ok;
    }

    /// <summary>
    /// <c>--once</c>: serves the ingest API and runs the continuous syncs (as <c>sluice run</c> does), simulates the
    /// application (some users upgrade), runs the users sync, sends website events, and waits until every event
    /// landed in both layouts and the replication slot confirmed past the upgrades. Exit 0 when everything arrived.
    /// </summary>
    private static async Task<int> OnceAsync(SluiceWorkspace workspace, LocalCluster cluster, SegmentEmulator emulator, string salesforceUrl, int users, CancellationToken ct)
    {
        var address = $"http://127.0.0.1:{DemoEnvironment.PortOr(7080)}";
        var log = new CollectedLog();
        using var logs = LoggerFactory.Create(builder => builder.AddProvider(log));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var server = Task.Run(() => new SluiceServer(workspace, logs).RunAsync(address, "http://127.0.0.1:0", stop.Token), CancellationToken.None);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            await UntilAsync(async () => await IsUpAsync(http, address, ct), server, deadline, $"the server on {address}");
            // 'start: now': the slot is created by the sync's first run, and only changes after it are streamed.
            await UntilAsync(async () => await DemoEnvironment.ConfirmedPositionAsync(cluster, ct) is not null, server, deadline, "the real-time sync's replication slot to be created");
            var before = await DemoEnvironment.LandedAsync(cluster, ct);
            var upgradesBefore = UpgradesSeen(emulator);

            // The application at work (on a first run too: the first sync reads every user anyway), then the users sync.
            var activity = await DemoEnvironment.SimulateActivityAsync(cluster, Math.Max(1, users / 40), ct);
            var position = await DemoEnvironment.CurrentWalPositionAsync(cluster, ct);
            var result = await SyncProgress.ShowAsync(DemoEnvironment.SyncName,
                observer => workspace.RunAsync(DemoEnvironment.SyncName, RunKind.Incremental, observer, ct));
            PrintSummary(result, emulator, activity.Changed);
            var delivered = emulator.Stats.Unique >= result.Acknowledged && result.Rejected == 0;
            delivered &= await DemoRecords.RunAndPrintAsync(workspace, cluster, ct);
            delivered &= await DemoSalesforce.RunAndPrintAsync(workspace, cluster, salesforceUrl, ct);
            var opportunities = await DemoOpportunities.ChangeAndWaitAsync(cluster, salesforceUrl, 10, TimeSpan.FromSeconds(60), ct);
            delivered &= opportunities.Arrived == opportunities.Changed;

            var sent = await DemoTraffic.SendAsync(new Uri(address + "/"), Math.Max(10, users / 100), ct);
            var landed = before;
            await UntilAsync(async () =>
            {
                landed = await DemoEnvironment.LandedAsync(cluster, ct);
                return landed.Events >= before.Events + sent.Total && landed.Tracks >= before.Tracks + sent.Tracks
                    && landed.Pages >= before.Pages + sent.Pages && landed.Identifies >= before.Identifies + sent.Identifies
                    && await DemoEnvironment.ConfirmedPositionAsync(cluster, ct) >= position;
            }, server, deadline, "the events to land and the upgrades to be delivered");

            var upgrades = UpgradesSeen(emulator) - upgradesBefore;
            delivered &= await DemoGateway.RunAndPrintAsync(workspace, cluster, emulator, alerting: true, ct) & await DemoEngage.PushAndPrintAsync(new Uri(address), cluster, ct);
            var table = new Table().Border(TableBorder.Rounded).AddColumn("real time").AddColumn(new TableColumn("").RightAligned());
            table.AddRow("website events sent to the ingest API (page, identify, track)", sent.Total.ToString("N0", null));
            table.AddRow("landed in public.events", (landed.Events - before.Events).ToString("N0", null));
            table.AddRow($"landed in {DemoEnvironment.WarehouseSchema}.pages / identifies / tracks",
                $"{landed.Pages - before.Pages:N0} / {landed.Identifies - before.Identifies:N0} / {landed.Tracks - before.Tracks:N0}");
            table.AddRow("users upgraded trial → paid", activity.Upgraded.ToString("N0", null));
            table.AddRow("Subscription Upgraded tracks from the WAL", upgrades.ToString("N0", null));
            table.AddRow("Opportunities changed in Salesforce (stage, amount)", opportunities.Changed.ToString("N0", null));
            table.AddRow($"arrived in {DemoOpportunities.Table} from change events", opportunities.Arrived.ToString("N0", null));
            AnsiConsole.Write(table);
            Output.Line($"opportunities: {opportunities.Arrived:N0} of {opportunities.Changed:N0} changed Opportunities arrived in {DemoOpportunities.Table} within {opportunities.Elapsed.TotalSeconds:0.0} s" +
                (opportunities.Created > 0 ? $" ({opportunities.Created:N0} demo Opportunities created first)" : ""));
            return delivered && upgrades >= activity.Upgraded ? ExitCodes.Ok : ExitCodes.Failure;
        }
        catch (TimeoutException e)
        {
            Output.Fail(e.Message);
            foreach (var line in log.Lines)
            {
                Output.Hint(line);
            }

            return ExitCodes.Failure;
        }
        finally
        {
            await stop.CancelAsync();
            try
            {
                await server;
            }
            catch (OperationCanceledException)
            {
                // stopped
            }
        }
    }

    private static async Task<bool> IsUpAsync(HttpClient http, string address, CancellationToken ct)
    {
        try
        {
            using var answer = await http.GetAsync(new Uri(address + "/healthz"), ct);
            return answer.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static int UpgradesSeen(SegmentEmulator emulator) =>
        emulator.Messages("track").Count(m => m.Json.Contains("\"Subscription Upgraded\"", StringComparison.Ordinal));

    /// <summary>Polls until <paramref name="done"/>; a failed server ends the wait with its error.</summary>
    private static async Task UntilAsync(Func<Task<bool>> done, Task server, DateTime deadline, string what)
    {
        while (!await done())
        {
            if (server.IsCompleted)
            {
                await server;
                throw new TimeoutException($"the server stopped while waiting for {what}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"gave up waiting for {what}");
            }

            await Task.Delay(200);
        }
    }

    private static void PrintSummary(RunResult result, SegmentEmulator emulator, int changed)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("demo summary").AddColumn(new TableColumn("").RightAligned());
        if (changed > 0)
        {
            table.AddRow("users changed by simulated activity", changed.ToString("N0", null));
        }

        table.AddRow("rows read from public.users", result.Read.ToString("N0", null));
        table.AddRow("identify events sent and acknowledged", result.Acknowledged.ToString("N0", null));
        table.AddRow("dead-lettered", result.Rejected.ToString("N0", null));
        table.AddRow("identify calls seen by the Segment emulator (unique messageIds)", emulator.Messages("identify").Count.ToString("N0", null));
        table.AddRow("duplicates the emulator dropped", emulator.Stats.Duplicates.ToString("N0", null));
        table.AddRow("time", $"{result.Elapsed.TotalSeconds:0.00} s");
        AnsiConsole.Write(table);
    }

    private static async Task<T> Step<T>(string what, Func<Task<T>> work)
    {
        if (!Output.Interactive)
        {
            return await work();
        }

        return await AnsiConsole.Status().StartAsync(what + "…", _ => work());
    }
}
