using System.Text.Json;
using Sluice.Testing;
using static Sluice.EndToEnd.Gateway.GatewayBed;

namespace Sluice.EndToEnd.Gateway;

/// <summary>
/// S5, the validation gateway: events checked against PostgreSQL reference tables on their way from the ingest API to
/// Segment; what fails goes to the quarantine with every failed rule, the rest of its batch flows on; a release
/// re-validates against today's data and sends what now passes, once.
/// </summary>
public sealed class ValidationGatewayTests
{
    [Fact]
    public async Task An_event_failing_two_rules_is_quarantined_with_both_reasons_while_its_batch_flows_with_one_lookup_per_rule()
    {
        await using var bed = await TestBed.CreateAsync(nameof(An_event_failing_two_rules_is_quarantined_with_both_reasons_while_its_batch_flows_with_one_lookup_per_rule), Setup, e => Config(e));
        using var counter = new PostgresCommandCounter();
        await using (var workspace = bed.Workspace())
        {
            await EnqueueAsync(workspace,
                Track("ok-1", "u1", "Order Completed", "p1"),
                Track("bad-both", "u9", "Order Completed", "p9"),
                Track("bad-product", "u2", "Order Completed", "p9"),
                Track("ok-2", "u2", "Product Viewed", "p-anything"));
            await RunUntilAsync(workspace, async () => bed.Emulator.Messages().Count == 2 && (await QuarantineAsync(bed)).Count == 2, "2 events forwarded and 2 quarantined");
        }

        Assert.Equal(["ok-1", "ok-2"], bed.Emulator.Messages().Select(m => m.MessageId).Order());
        var quarantined = await QuarantineAsync(bed);
        var both = quarantined.Single(q => q.MessageId == "bad-both").Reason;
        Assert.Contains("user: userId 'u9' is not in app.public.users.id", both, StringComparison.Ordinal);
        Assert.Contains("product: properties.product_id 'p9' is not in app.public.products.sku", both, StringComparison.Ordinal);
        Assert.DoesNotContain("user:", quarantined.Single(q => q.MessageId == "bad-product").Reason, StringComparison.Ordinal);

        // One query per batch per rule: the four events were read as one batch, so each table was asked once.
        Assert.Equal(1L, await BatchesAsync(bed));
        Assert.True(counter.Count("\"public\".\"users\"") == 1, $"lookups in users: {counter.Count("\"public\".\"users\"")}\n{counter.Seen()}");
        Assert.True(counter.Count("\"public\".\"products\"") == 1, $"lookups in products: {counter.Count("\"public\".\"products\"")}\n{counter.Seen()}");
    }

    [Fact]
    public async Task A_release_after_the_reference_data_is_fixed_sends_the_event_once_and_a_second_release_sends_nothing()
    {
        await using var bed = await TestBed.CreateAsync(nameof(A_release_after_the_reference_data_is_fixed_sends_the_event_once_and_a_second_release_sends_nothing), Setup, e => Config(e));
        await using (var workspace = bed.Workspace())
        {
            await EnqueueAsync(workspace,
                Track("ok-1", "u1", "Order Completed", "p1"),
                Track("bad-both", "u9", "Order Completed", "p9"),
                Track("bad-product", "u2", "Order Completed", "p9"));
            await RunUntilAsync(workspace, async () => bed.Emulator.Messages().Count == 1 && (await QuarantineAsync(bed)).Count == 2, "1 event forwarded and 2 quarantined");
        }

        var (listed, listing) = await bed.RunSluiceAsync("quarantine", "list", SyncName, "--reason", "app.public.users.id", "-c", bed.ConfigPath);
        Assert.True(listed == 0, listing);
        Assert.Contains("u9", listing, StringComparison.Ordinal);
        Assert.DoesNotContain("'u2'", listing, StringComparison.Ordinal);

        // The product arrives: the event that failed only on it is released; the other still fails, now on its user alone.
        await bed.ExecuteAsync("INSERT INTO public.products VALUES ('p9', 'Desk')");
        var (exit, output) = await bed.RunSluiceAsync("quarantine", "release", SyncName, "--all", "-c", bed.ConfigPath);
        Assert.True(exit == 1, output); // one is still held back
        Assert.Equal(["bad-product", "ok-1"], bed.Emulator.Messages().Select(m => m.MessageId).Order());
        var still = (await QuarantineAsync(bed)).Where(q => q.Pending).ToList();
        Assert.Equal("bad-both", Assert.Single(still).MessageId);
        Assert.Equal("user: userId 'u9' is not in app.public.users.id", still[0].Reason);

        await bed.ExecuteAsync("INSERT INTO public.users VALUES ('u9', 'new@example.com')");
        (exit, output) = await bed.RunSluiceAsync("quarantine", "release", SyncName, "--all", "-c", bed.ConfigPath);
        Assert.True(exit == 0, output);
        (exit, output) = await bed.RunSluiceAsync("quarantine", "release", SyncName, "--all", "-c", bed.ConfigPath);
        Assert.True(exit == 0, output);
        Assert.Contains("0 released", output, StringComparison.Ordinal);

        // Each sent once, under the messageId it came with: Segment counts no duplicate.
        Assert.Equal(["bad-both", "bad-product", "ok-1"], bed.Emulator.Messages().Select(m => m.MessageId).Order());
        Assert.All(bed.Emulator.Messages(), m => Assert.Equal(1, m.TimesReceived));
        Assert.DoesNotContain(await QuarantineAsync(bed), q => q.Pending);
    }

    [Fact]
    public async Task Dropping_a_quarantined_event_keeps_it_out_with_the_reason_and_status_and_explain_show_the_quarantine()
    {
        await using var bed = await TestBed.CreateAsync(nameof(Dropping_a_quarantined_event_keeps_it_out_with_the_reason_and_status_and_explain_show_the_quarantine), Setup, e => Config(e));
        await using (var workspace = bed.Workspace())
        {
            await EnqueueAsync(workspace, Track("bad-1", "u9", "Order Completed", "p1"), Track("bad-2", "u8", "Signed Up", null));
            await RunUntilAsync(workspace, async () => (await QuarantineAsync(bed)).Count == 2, "2 events quarantined");
        }

        var (exit, status) = await bed.RunSluiceAsync("status", "-c", bed.ConfigPath);
        Assert.Contains("2 quarantined", status, StringComparison.Ordinal);

        (exit, var explained) = await bed.RunSluiceAsync("explain", SyncName, "bad-1", "-c", bed.ConfigPath);
        Assert.True(exit == 0, explained);
        Assert.Contains("quarantined", explained, StringComparison.Ordinal);
        Assert.Contains("user: userId 'u9' is not in app.public.users.id", explained, StringComparison.Ordinal);

        var id = (await QuarantineAsync(bed)).Single(q => q.MessageId == "bad-1").Id;
        (exit, var output) = await bed.RunSluiceAsync("quarantine", "drop", SyncName, "--id", id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--reason", "test traffic", "-c", bed.ConfigPath);
        Assert.True(exit == 0, output);
        await bed.ExecuteAsync("INSERT INTO public.users VALUES ('u9', 'x'), ('u8', 'y')");
        (exit, output) = await bed.RunSluiceAsync("quarantine", "release", SyncName, "--all", "-c", bed.ConfigPath);
        Assert.True(exit == 0, output);
        Assert.Equal(["bad-2"], bed.Emulator.Messages().Select(m => m.MessageId));
        Assert.Equal("test traffic", await bed.ScalarAsync($"SELECT dropped_reason FROM sluice.dead_letters WHERE id = {id}"));
    }

    [Fact]
    public async Task Metrics_count_each_syncs_quarantined_events_until_they_are_released_or_dropped()
    {
        await using var bed = await TestBed.CreateAsync(nameof(Metrics_count_each_syncs_quarantined_events_until_they_are_released_or_dropped), Setup, e => Config(e));
        await using (var workspace = bed.Workspace())
        {
            await EnqueueAsync(workspace, Track("ok-1", "u1", "Order Completed", "p1"), Track("bad-1", "u9", "Order Completed", "p1"), Track("bad-2", "u8", "Signed Up", null));
            await RunUntilAsync(workspace, async () => bed.Emulator.Messages().Count == 1 && (await QuarantineAsync(bed)).Count == 2, "1 event forwarded and 2 quarantined");
        }

        Assert.Contains($"sluice_sync_quarantined_events{{sync=\"{SyncName}\"}} 2", await ScrapeAsync(bed));

        var id = (await QuarantineAsync(bed)).Single(q => q.MessageId == "bad-1").Id;
        var (exit, output) = await bed.RunSluiceAsync("quarantine", "drop", SyncName, "--id", id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--reason", "test traffic", "-c", bed.ConfigPath);
        Assert.True(exit == 0, output);
        var lines = await ScrapeAsync(bed);
        Assert.Contains($"sluice_sync_quarantined_events{{sync=\"{SyncName}\"}} 1", lines);
        Assert.Contains("# TYPE sluice_sync_quarantined_events gauge", lines);
    }

    private static async Task<string[]> ScrapeAsync(TestBed bed)
    {
        await using var collector = new Sluice.Server.Metrics.SyncHealthCollector(Sluice.Core.Configuration.SluiceConfig.Load(bed.ConfigPath), TimeProvider.System);
        return (await Sluice.Server.Metrics.PrometheusText.RenderAsync(await collector.CollectAsync(default))).Split('\n');
    }

    [Theory]
    [InlineData("nowhere.public.users.id", "'exists_in' names connection 'nowhere'", "syncs.web_to_segment.validate.user.exists_in")]
    [InlineData("app.public.users.ident", "'exists_in' names column 'ident', which table public.users does not have", "syncs.web_to_segment.validate.user.exists_in")]
    [InlineData("app.users", "'exists_in' is 'app.users', which does not name a column", "syncs.web_to_segment.validate.user.exists_in")]
    public async Task A_rule_naming_what_does_not_exist_is_refused_by_check_naming_file_key_and_fix(string existsIn, string message, string key)
    {
        await using var bed = await TestBed.CreateAsync($"gateway_config_{Math.Abs(existsIn.GetHashCode(StringComparison.Ordinal))}", Setup, e => Config(e, $"""
                validate:
                  user: {"{"}field: userId, exists_in: {existsIn}{"}"}
            """));
        var (exit, output) = await bed.RunSluiceAsync("check", "-c", bed.ConfigPath);
        // A malformed or dangling rule stops the config (2); a missing column is found by connecting (1).
        Assert.True(exit != 0, output);
        Assert.Contains(message, output, StringComparison.Ordinal);
        Assert.Contains("sluice.yaml", output, StringComparison.Ordinal);
        Assert.Contains(key, output, StringComparison.Ordinal);
        Assert.Contains("fix:", output, StringComparison.OrdinalIgnoreCase);
    }
}
