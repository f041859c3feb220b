using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Sluice.Core.Configuration;
using Sluice.Server.Alerts;
using Sluice.Server.Hosting;
using Sluice.Testing;

namespace Sluice.EndToEnd;

/// <summary>
/// S7: a SQL metric on a schedule fires a Track event to Segment once per crossing, with hysteresis (docs/segment.md),
/// once even with two <c>sluice run</c> processes. The config is docs/segment.md's, on the test's database and emulator.
/// </summary>
public sealed class AlertTests
{
    private static string Config(TestBedEndpoints e, string schedule) => e.Connections() + $"""

        alerts:
          failed_payments:
            connection: app
            sql: SELECT v FROM metric
            schedule: {schedule}
            above: 10
            clear_at: 8
            event: Metric Alert
            user_id: ops-alerts
            properties:
              team: payments
            destination: segment
            on_recovery: true
        """;

    [Fact]
    public async Task An_alert_fires_once_per_crossing_with_hysteresis_not_on_every_poll()
    {
        await using var bed = await TestBed.CreateAsync(nameof(An_alert_fires_once_per_crossing_with_hysteresis_not_on_every_poll),
            "CREATE TABLE metric (v double precision); INSERT INTO metric VALUES (5);", e => Config(e, "every 5m"));
        var config = SluiceConfig.Load(bed.ConfigPath);
        var alert = Assert.Single(AlertOptions.AllOf(config));
        await using var workspace = new SluiceWorkspace(config, TimeProvider.System);
        await workspace.StateAsync(CancellationToken.None);
        using var http = new HttpClient();
        var evaluator = new AlertEvaluator(bed.Db, config.State.Schema, _ => bed.Db, new AlertSender(http, TimeProvider.System, workspace.Gate), TimeProvider.System);

        var sent = new List<string?>();
        foreach (var value in new[] { 5, 12, 11, 9, 12, 8, 7, 12, 13 })
        {
            await bed.ExecuteAsync($"UPDATE metric SET v = {value}");
            sent.Add((await evaluator.EvaluateAsync(alert, CancellationToken.None)).Sent);
        }

        // 12 crosses; 11, 9 (over clear_at 8) and 12 again do not; 8 recovers; 7 stays ok; 12 crosses again; 13 does not.
        var fired1 = AlertEvaluator.MessageId("failed_payments", 1, "fired");
        var recovered1 = AlertEvaluator.MessageId("failed_payments", 1, "recovered");
        var fired2 = AlertEvaluator.MessageId("failed_payments", 2, "fired");
        Assert.Equal([null, fired1, null, null, null, recovered1, null, fired2, null], sent);
        var tracks = bed.Emulator.Messages("track");
        Assert.Equal([fired1, recovered1, fired2], tracks.Select(t => t.MessageId));
        Assert.All(tracks, t => Assert.Equal(("ops-alerts", 1), (t.UserId, t.TimesReceived)));
        Assert.Contains("\"value\":12", tracks[0].Json, StringComparison.Ordinal);
        Assert.Contains("\"threshold\":10", tracks[0].Json, StringComparison.Ordinal);
        Assert.Contains("\"transition\":\"recovered\"", tracks[1].Json, StringComparison.Ordinal);
        Assert.Contains("\"team\":\"payments\"", tracks[2].Json, StringComparison.Ordinal);

        var status = Assert.Single(await workspace.AlertStatusAsync(CancellationToken.None));
        Assert.Equal(("firing", 13.0, 9L, 2L, 12.0), (status.State, status.LastValue, status.Evaluations, status.Crossings, status.LastFiredValue));
    }

    /// <summary>
    /// An alert's Track spends the Segment connection's one rate budget, as syncs do: while that budget is paused (a
    /// 429 a sync or another process got), the alert waits with them instead of sending past it.
    /// </summary>
    [Fact]
    public async Task An_alert_waits_out_a_pause_of_the_Segment_connections_shared_rate_budget_as_syncs_do()
    {
        await using var bed = await TestBed.CreateAsync(nameof(An_alert_waits_out_a_pause_of_the_Segment_connections_shared_rate_budget_as_syncs_do),
            "CREATE TABLE metric (v double precision); INSERT INTO metric VALUES (50);", e => Config(e, "every 5m"));
        var config = SluiceConfig.Load(bed.ConfigPath);
        var alert = Assert.Single(AlertOptions.AllOf(config));
        await using var workspace = new SluiceWorkspace(config, TimeProvider.System);
        await workspace.StateAsync(CancellationToken.None);
        var now = DateTimeOffset.UtcNow;
        await new Sluice.State.PostgresRateBudgets(bed.Db, config.State.Schema).PauseAsync("segment", now.AddMinutes(10), now, CancellationToken.None);
        using var http = new HttpClient();
        var evaluator = new AlertEvaluator(bed.Db, config.State.Schema, _ => bed.Db, new AlertSender(http, TimeProvider.System, workspace.Gate), TimeProvider.System);

        using var stop = new CancellationTokenSource();
        var evaluation = evaluator.EvaluateAsync(alert, stop.Token);
        // The gate learns of the pause from the shared budget when the alert asks it for a permit.
        var gate = workspace.Gate(alert.Destination);
        await Eventually.HoldsAsync(() => Task.FromResult(evaluation.IsCompleted || gate.PausedUntil > now.AddMinutes(5)), "the alert's send to wait on the shared budget's pause");
        Assert.False(evaluation.IsCompleted, "the alert was sent past the budget's pause");
        Assert.Empty(bed.Emulator.Messages("track"));

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => evaluation);
        // Not sent, so not recorded as firing: the next evaluation sends it.
        Assert.Equal("ok", await bed.ScalarAsync("SELECT state FROM sluice.alerts WHERE name = 'failed_payments'"));
    }

    /// <summary>docs/segment.md's S7 example run verbatim: the alert it configures fires the event it shows, then recovers.</summary>
    [Fact]
    public async Task The_S7_worked_example_fires_the_event_docs_segment_md_shows_and_recovers()
    {
        await using var bed = await TestBed.CreateAsync(nameof(The_S7_worked_example_fires_the_event_docs_segment_md_shows_and_recovers),
            "CREATE TABLE payments (id bigserial PRIMARY KEY, status text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())",
            e => e.Connections() + "\n" + SegmentDocs.Block("S7", "yaml", "alerts:"));
        var config = SluiceConfig.Load(bed.ConfigPath);
        var alert = Assert.Single(AlertOptions.AllOf(config));
        await using var workspace = new SluiceWorkspace(config, TimeProvider.System);
        await workspace.StateAsync(CancellationToken.None);
        using var http = new HttpClient();
        var evaluator = new AlertEvaluator(bed.Db, config.State.Schema, _ => bed.Db, new AlertSender(http, TimeProvider.System, workspace.Gate), TimeProvider.System);

        // 14 failed payments in the last hour: over 10, as on the page.
        await bed.ExecuteAsync("INSERT INTO payments (status) SELECT 'failed' FROM generate_series(1, 14)");
        Assert.NotNull((await evaluator.EvaluateAsync(alert, CancellationToken.None)).Sent);
        using var shown = System.Text.Json.JsonDocument.Parse(SegmentDocs.Block("S7", "json", "{"));
        using var sent = System.Text.Json.JsonDocument.Parse(Assert.Single(bed.Emulator.Messages("track")).Json);
        foreach (var key in new[] { "type", "event", "userId" })
        {
            Assert.Equal(shown.RootElement.GetProperty(key).GetString(), sent.RootElement.GetProperty(key).GetString());
        }

        Assert.StartsWith("sluice-alert-", sent.RootElement.GetProperty("messageId").GetString(), StringComparison.Ordinal);
        Assert.EndsWith("-1-fired", sent.RootElement.GetProperty("messageId").GetString(), StringComparison.Ordinal);
        foreach (var property in shown.RootElement.GetProperty("properties").EnumerateObject())
        {
            Assert.Equal(property.Value.GetRawText(), sent.RootElement.GetProperty("properties").GetProperty(property.Name).GetRawText());
        }

        // Down to 5, the clear_at level: it recovers, and says so (on_recovery: true).
        await bed.ExecuteAsync("DELETE FROM payments WHERE id > 5");
        Assert.EndsWith("-1-recovered", (await evaluator.EvaluateAsync(alert, CancellationToken.None)).Sent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_sluice_run_processes_send_a_crossing_once()
    {
        await using var bed = await TestBed.CreateAsync(nameof(Two_sluice_run_processes_send_a_crossing_once),
            "CREATE TABLE metric (v double precision); INSERT INTO metric VALUES (50);", e => Config(e, "every 1s"));
        var runs = new[] { Start(bed), Start(bed) };
        try
        {
            // Both processes poll every second; wait until they have evaluated it many times between them.
            await Eventually.HoldsAsync(async () => await EvaluationsAsync(bed) >= 8,
                "the alert is evaluated 8 times", state: () => string.Join("\n---\n", runs.Select(r => r.Output())));
            Assert.All(runs, r => Assert.False(r.Process.HasExited, r.Output()));

            var track = Assert.Single(bed.Emulator.Messages("track"));
            Assert.Equal(1, track.TimesReceived);
            Assert.Equal(AlertEvaluator.MessageId("failed_payments", 1, "fired"), track.MessageId);
        }
        finally
        {
            foreach (var run in runs)
            {
                run.Process.Kill(entireProcessTree: true);
                await run.Process.WaitForExitAsync();
                run.Process.Dispose();
            }
        }

        var (exit, output) = await bed.RunSluiceAsync("alerts", "-c", bed.ConfigPath);
        Assert.Equal(1, exit);
        Assert.Contains("failed_payments", output, StringComparison.Ordinal);
        Assert.Contains("firing", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("above: 10\n    below: 5", "alerts.a.below", "needs exactly one of 'above' and 'below'")]
    [InlineData("above: 10\n    clear_at: 12", "alerts.a.clear_at", "clear_at 12 is on the firing side of 'above: 10'")]
    [InlineData("above: 10\n    destination: app", "alerts.a.destination", "'destination' must be a segment connection")]
    public void A_wrong_alert_names_the_file_the_key_and_the_fix(string keys, string key, string problem)
    {
        var yaml = $"""
            connections:
              app: {"{"}type: postgres, host: localhost, database: app, user: sluice{"}"}
              segment: {"{"}type: segment, write_key: k{"}"}
            alerts:
              a:
                connection: app
                sql: SELECT 1
                schedule: every 5m
                user_id: ops
                {keys}
            """;
        if (!keys.Contains("destination", StringComparison.Ordinal))
        {
            yaml += "\n    destination: segment";
        }

        var error = Assert.Throws<ConfigException>(() => AlertOptions.AllOf(SluiceConfig.Parse(yaml, "sluice.yaml")));
        Assert.StartsWith("sluice.yaml:", error.Message, StringComparison.Ordinal);
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(error.Fix));
    }

    /// <summary>How many times the alert was evaluated; 0 until a process has created the state store.</summary>
    private static async Task<long> EvaluationsAsync(TestBed bed)
    {
        try
        {
            return await bed.ScalarAsync("SELECT evaluations FROM sluice.alerts") as long? ?? 0;
        }
        catch (Npgsql.PostgresException e) when (e.SqlState is Npgsql.PostgresErrorCodes.UndefinedTable or Npgsql.PostgresErrorCodes.InvalidSchemaName)
        {
            return 0;
        }
    }

    private static (Process Process, Func<string> Output) Start(TestBed bed)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var process = bed.StartSluice("run", "-c", bed.ConfigPath, "--listen", $"http://127.0.0.1:{port}");
        var output = new StringBuilder();
        DataReceivedEventHandler append = (_, e) =>
        {
            lock (output)
            {
                output.AppendLine(e.Data);
            }
        };
        process.OutputDataReceived += append;
        process.ErrorDataReceived += append;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        string Printed()
        {
            lock (output)
            {
                return output.ToString();
            }
        }

        return (process, Printed);
    }
}
