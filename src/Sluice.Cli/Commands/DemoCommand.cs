using System.CommandLine;
using Sluice.Cli.Demo;
using Sluice.Cli.Terminal;
using Sluice.Core.Configuration;
using Sluice.Core.Engine;
using Sluice.Core.State;
using Sluice.Emulators.Segment;
using Sluice.Server;
using Sluice.Server.Hosting;
using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice demo [--once]</c>: the whole product locally, nothing to install or configure.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var once = new Option<bool>("--once") { Description = "Run the demo sync once, print a summary and exit (for scripts and CI)." };
        var users = new Option<int>("--users") { Description = "Demo users to create on first run.", DefaultValueFactory = _ => 10_000 };
        var listen = new Option<string?>("--listen") { Description = "Dashboard address (default http://127.0.0.1:7080, or a free port)." };
        var command = new Command("demo",
            $"""
            Everything locally: starts (or reuses) a PostgreSQL cluster in $SLUICE_HOME/demo (default ./.sluice/demo),
            loads a demo application database (users, accounts, orders), starts the Segment emulator, writes a
            sluice.yaml, and syncs users to Segment as identify calls. Then it keeps running: app activity is
            simulated, the sync runs every 30 s, and the dashboard shows it. Ctrl-C stops everything.

            The generated config is {Path.Combine("$SLUICE_HOME", "demo", "sluice.yaml")}; open it to see what a sync looks like.
            """)
        {
            once, users, listen,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(() => RunAsync(parse.GetValue(once), parse.GetValue(users), parse.GetValue(listen), ct)));
        return command;
    }

    private static async Task<int> RunAsync(bool once, int users, string? listen, CancellationToken ct)
    {
        Output.Line("Sluice demo");
        var cluster = await Step($"PostgreSQL in {DemoEnvironment.DataDirectory}", () => DemoEnvironment.StartClusterAsync(ct));
        try
        {
            Output.Ok($"PostgreSQL on {cluster.Host}:{cluster.Port}{(cluster.StartedHere ? "" : " (already running; reused)")}");
            var data = await Step("demo data", () => DemoEnvironment.LoadDataAsync(cluster, users, ct));
            Output.Ok($"database {DemoEnvironment.Database}: {data.Users:N0} users, {data.Accounts:N0} accounts, {data.Orders:N0} orders");

            await using var emulator = await SegmentEmulator.StartAsync(new SegmentEmulatorOptions { Port = DemoEnvironment.PortOr(9100) }, ct);
            Output.Ok($"Segment emulator on {emulator.BaseUrl} (inspect: {emulator.BaseUrl}__emulator/stats)");

            await DemoEnvironment.WriteConfigAsync(cluster, emulator.BaseUrl, once ? "manual" : "every 30s", ct);
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

            var changed = 0;
            if (await DemoEnvironment.HasSyncedBeforeAsync(cluster, ct))
            {
                changed = await DemoEnvironment.SimulateActivityAsync(cluster, Math.Max(1, users / 40), ct);
            }

            var result = await SyncProgress.ShowAsync(DemoEnvironment.SyncName,
                observer => workspace.RunAsync(DemoEnvironment.SyncName, RunKind.Incremental, observer, ct));
            PrintSummary(result, emulator.Stats, changed);

            var delivered = emulator.Stats.Unique >= result.Acknowledged && result.Rejected == 0;
            if (once)
            {
                return delivered ? ExitCodes.Ok : ExitCodes.Failure;
            }

            return await ServeAsync(workspace, cluster, emulator, users, listen, ct);
        }
        finally
        {
            if (once && cluster.StartedHere)
            {
                await cluster.StopAsync(ct: CancellationToken.None);
            }
        }
    }

    private static async Task<int> ServeAsync(SluiceWorkspace workspace, Postgres.Embedded.LocalCluster cluster, SegmentEmulator emulator, int users, string? listen, CancellationToken ct)
    {
        var address = listen ?? $"http://127.0.0.1:{DemoEnvironment.PortOr(7080)}";
        Output.Line("");
        Output.Line($"Dashboard: {address}   Emulator: {emulator.BaseUrl}__emulator/messages?limit=5");
        Output.Line("App activity is simulated every 10 s; the sync runs every 30 s. Ctrl-C stops the demo.");
        using var activity = new PeriodicTimer(TimeSpan.FromSeconds(10));
        var simulate = Task.Run(async () =>
        {
            while (await activity.WaitForNextTickAsync(ct))
            {
                await DemoEnvironment.SimulateActivityAsync(cluster, Math.Max(1, users / 200), ct);
            }
        }, ct);
        try
        {
            await new SluiceServer(workspace, Output.Log).RunAsync(address, ct);
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

    private static void PrintSummary(RunResult result, SegmentEmulatorStats stats, int changed)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("demo summary").AddColumn(new TableColumn("").RightAligned());
        if (changed > 0)
        {
            table.AddRow("users changed by simulated activity", changed.ToString("N0", null));
        }

        table.AddRow("rows read from public.users", result.Read.ToString("N0", null));
        table.AddRow("identify events sent and acknowledged", result.Acknowledged.ToString("N0", null));
        table.AddRow("dead-lettered", result.Rejected.ToString("N0", null));
        table.AddRow("seen by the Segment emulator (unique messageIds)", stats.Unique.ToString("N0", null));
        table.AddRow("duplicates the emulator dropped", stats.Duplicates.ToString("N0", null));
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
