using System.Text.Json;
using Sluice.Emulators.Segment;
using Sluice.State.Ingest;

namespace Sluice.EndToEnd;

/// <summary>
/// Alerting through the binary (docs/alerting.md): <c>sluice status</c> exits 1 and says why a sync needs attention,
/// <c>/metrics</c> says the same through <c>sluice_sync_needs_attention</c>, and both clear when the cause is fixed.
/// </summary>
public sealed class AlertingTests
{
    private const string Users = """
        CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, updated_at timestamptz NOT NULL);
        INSERT INTO users SELECT i, 'user' || i || '@example.com', '2024-01-01'::timestamptz + i * interval '1 second' FROM generate_series(1, 10) i;
        """;

    [Fact]
    public async Task A_refused_write_key_makes_status_exit_1_with_the_error_and_a_good_run_clears_it()
    {
        await using var bed = await TestBed.CreateAsync(nameof(A_refused_write_key_makes_status_exit_1_with_the_error_and_a_good_run_clears_it), Users,
            at => UsersConfig(at, "the-wrong-key"), new SegmentEmulatorOptions { Port = 0, WriteKeys = ["the-right-key"] });

        var (syncExit, syncOutput) = await bed.RunSluiceAsync("sync", "users_sync", "-c", bed.ConfigPath);
        Assert.True(syncExit != 0, syncOutput);

        var (exit, output) = await bed.RunSluiceAsync("status", "-c", bed.ConfigPath);
        Assert.True(exit == 1, output);
        Assert.Contains("users_sync: last run failed:", output, StringComparison.Ordinal);
        Assert.Contains("the write key was refused", output, StringComparison.Ordinal);

        var (jsonExit, json) = await bed.RunSluiceAsync("status", "-c", bed.ConfigPath, "--json");
        Assert.True(jsonExit == 1, json);
        var reasons = Reasons(json, "users_sync");
        var failed = Assert.Single(reasons, r => r.Kind == "failed");
        Assert.Contains("the write key was refused", failed.Text, StringComparison.Ordinal);
        Assert.Equal("1", await NeedsAttentionAsync(bed, "users_sync"));

        // Fixed: the next run succeeds, and nothing needs attention any more.
        await File.WriteAllTextAsync(bed.ConfigPath, (await File.ReadAllTextAsync(bed.ConfigPath)).Replace("the-wrong-key", "the-right-key", StringComparison.Ordinal));
        (syncExit, syncOutput) = await bed.RunSluiceAsync("sync", "users_sync", "-c", bed.ConfigPath);
        Assert.True(syncExit == 0, syncOutput);
        (exit, output) = await bed.RunSluiceAsync("status", "-c", bed.ConfigPath, "--json");
        Assert.True(exit == 0, output);
        Assert.Empty(Reasons(output, "users_sync"));
        Assert.Equal("0", await NeedsAttentionAsync(bed, "users_sync"));

        // Dead letters growing: the last run added some, and they wait.
        await bed.ExecuteAsync(
            """
            INSERT INTO sluice.dead_letters (sync_id, run_id, record_key, reason)
            SELECT sync_id, max(id), '1', 'refused' FROM sluice.runs GROUP BY sync_id
            """);
        (exit, output) = await bed.RunSluiceAsync("status", "-c", bed.ConfigPath);
        Assert.True(exit == 1, output);
        Assert.Contains("users_sync: the last run added 1 dead letters", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_ingest_backlog_over_its_alerts_threshold_needs_attention_until_the_threshold_is_off()
    {
        await using var bed = await TestBed.CreateAsync(nameof(An_ingest_backlog_over_its_alerts_threshold_needs_attention_until_the_threshold_is_off), "SELECT 1",
            at => at.IngestToEventsTable("alerting-web-write-key-0123456789") + "\n    attention: {ingest_backlog: 3}\n");
        await using (var workspace = bed.Workspace())
        {
            _ = await workspace.StateAsync(default);
            await using var queue = new IngestQueue(bed.Db, "sluice");
            await queue.EnqueueAsync([.. Enumerable.Range(1, 5).Select(n => new IngestEvent("web", Guid.NewGuid(), IngestEventKind.Segment, "track", "E", DateTimeOffset.UtcNow,
                System.Text.Encoding.UTF8.GetBytes($$"""{"type":"track","event":"E","userId":"u{{n}}"}""")))], default);
        }

        var (exit, output) = await bed.RunSluiceAsync("status", "-c", bed.ConfigPath, "--json");
        Assert.True(exit == 1, output);
        var reason = Assert.Single(Reasons(output, "web_events"));
        Assert.Equal("ingest_backlog", reason.Kind);
        Assert.Contains("over attention.ingest_backlog 3", reason.Text, StringComparison.Ordinal);

        await File.WriteAllTextAsync(bed.ConfigPath, (await File.ReadAllTextAsync(bed.ConfigPath)).Replace("ingest_backlog: 3", "ingest_backlog: off", StringComparison.Ordinal));
        (exit, output) = await bed.RunSluiceAsync("status", "-c", bed.ConfigPath, "--json");
        Assert.True(exit == 0, output);
        Assert.Empty(Reasons(output, "web_events"));
    }

    private static List<(string Kind, string Text)> Reasons(string json, string sync)
    {
        using var document = JsonDocument.Parse(json);
        var found = document.RootElement.GetProperty("syncs").EnumerateArray().Single(s => s.GetProperty("name").GetString() == sync);
        return [.. found.GetProperty("reasons").EnumerateArray().Select(r => (r.GetProperty("kind").GetString()!, r.GetProperty("text").GetString()!))];
    }

    /// <summary>The sync's <c>sluice_sync_needs_attention</c> as <c>/metrics</c> renders it, from the same collector.</summary>
    private static async Task<string> NeedsAttentionAsync(TestBed bed, string sync)
    {
        await using var collector = new Sluice.Server.Metrics.SyncHealthCollector(Sluice.Core.Configuration.SluiceConfig.Load(bed.ConfigPath), TimeProvider.System);
        var text = await Sluice.Server.Metrics.PrometheusText.RenderAsync(await collector.CollectAsync(default));
        var line = text.Split('\n').SingleOrDefault(l => l.StartsWith($"sluice_sync_needs_attention{{sync=\"{sync}\"}} ", StringComparison.Ordinal));
        Assert.True(line is not null, text);
        return line[(line.LastIndexOf(' ') + 1)..];
    }

    private static string UsersConfig(TestBedEndpoints at, string writeKey) => $"""
        {at.Connections(writeKey: writeKey)}
        syncs:
          users_sync:
            schedule: manual
            source:
              connection: app
              table: public.users
              cursor: updated_at
            destination:
              connection: segment
              call: identify
            mapping:
              user_id: id
              traits:
                email: email
        """;
}
