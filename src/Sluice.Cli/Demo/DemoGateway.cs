using System.Globalization;
using System.Text.Json;
using Npgsql;
using Sluice.Cli.Commands;
using Sluice.Cli.Terminal;
using Sluice.Core.State;
using Sluice.Dev.Embedded;
using Sluice.Emulators.Segment;
using Sluice.Server.Hosting;
using Sluice.State.Ingest;
using Spectre.Console;

namespace Sluice.Cli.Demo;

/// <summary>
/// The demo's validation gateway and metric alert (docs/segment.md, S5 and S7): the shop's <c>Order Completed</c>
/// events reach Segment through Sluice, checked against the product catalogue (<c>public.products</c>) on the way; one
/// names a product not in the catalogue yet and is quarantined; an alert on the quarantine fires one Track to Segment;
/// the product is added and the quarantine released, so the held event is sent once, under its own messageId.
/// </summary>
internal static class DemoGateway
{
    public const string SyncName = "shop_to_segment";
    public const string AlertName = "unknown_products";
    public const string AlertEvent = "Quarantine Alert";

    /// <summary>The product the shop sells before the catalogue lists it: unknown on every run until the release adds it.</summary>
    public const string NewProduct = "studio";

    /// <summary>Orders the demo sends on each run; the last names <see cref="NewProduct"/>.</summary>
    public const int Orders = 10;

    private const string Source = "shop";
    private static readonly string[] Catalogue = ["starter", "team", "business"];

    /// <summary>The <c>shop</c> ingest source and the Engage webhook, indented as entries under <c>connections:</c>.</summary>
    public static string Connections => $$"""
          {{Source}}:                      # the shop's order events, checked against the catalogue on their way to Segment
            type: ingest
            write_key: ${SHOP_WRITE_KEY:-demo-shop-key}
        {{DemoEngage.Connection}}
        """;

    /// <summary>The gateway sync and the Engage sync, indented as entries under <c>syncs:</c>.</summary>
    public static string Syncs => $$"""
          # S5: orders forwarded to Segment; one naming a product not in public.products waits in the quarantine.
          # Manual: the demo runs it, then releases the quarantine (a release holds the sync's lock).
          {{SyncName}}:
            source: {connection: {{Source}}}
            destination: {connection: segment, forward: true}
            validate:
              product:
                field: properties.sku
                exists_in: app.public.products.sku
                when: Order Completed
            schedule: manual
        {{DemoEngage.Sync}}
        """;

    /// <summary>The config's top-level <c>alerts:</c>: one Track to Segment while the gateway's quarantine holds events.</summary>
    public static string Alerts => $"""
        # S7: a SQL metric on a schedule; one Track to Segment when it crosses the threshold, one when it recovers.
        alerts:
          {AlertName}:
            connection: app
            sql: SELECT count(*) FROM sluice.quarantine WHERE sync = '{SyncName}' AND replayed_at IS NULL
            schedule: every 2s
            above: 0
            event: {AlertEvent}
            user_id: ops-alerts
            properties:
              team: catalogue
            destination: segment
            on_recovery: true
        """;

    /// <summary>The catalogue (the gateway's reference table), without <see cref="NewProduct"/> so each run quarantines an order.</summary>
    public static async Task PrepareAsync(LocalCluster cluster, CancellationToken ct)
    {
        await using var dataSource = NpgsqlDataSource.Create(cluster.ConnectionString(DemoEnvironment.Database));
        await using var create = dataSource.CreateCommand($"""
            CREATE TABLE IF NOT EXISTS public.products (sku text PRIMARY KEY, name text NOT NULL);
            INSERT INTO public.products VALUES ('starter', 'Starter'), ('team', 'Team'), ('business', 'Business') ON CONFLICT DO NOTHING;
            DELETE FROM public.products WHERE sku = '{NewProduct}';
            """);
        await create.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Sends <see cref="Orders"/> orders to the shop source and runs the gateway until each is forwarded or
    /// quarantined. With <paramref name="alerting"/> (<c>sluice run</c> serving, so the alert is evaluated), waits for
    /// the alert's Track, then adds the product and releases the quarantine; without, says how to. True when Segment
    /// received every valid order, the unknown one was quarantined, and (when released) it arrived exactly once.
    /// </summary>
    public static async Task<bool> RunAndPrintAsync(SluiceWorkspace workspace, LocalCluster cluster, SegmentEmulator emulator, bool alerting, CancellationToken ct)
    {
        var orders = Enumerable.Range(0, Orders).Select(i => i == Orders - 1 ? NewProduct : Catalogue[i % Catalogue.Length])
            .Select(sku => (MessageId: $"demo-order-{Guid.NewGuid():N}", Sku: sku)).ToList();
        var held = orders[^1].MessageId;
        await using var dataSource = NpgsqlDataSource.Create(cluster.ConnectionString(DemoEnvironment.Database));
        if (alerting)
        {
            // What an earlier demo left quarantined (one that served, and was not released) would keep the alert
            // firing: drop it, and the alert recovers at its next look, before this run's crossing.
            await (await workspace.StateAsync(ct)).Quarantine.DropAsync(SyncName, null, "left by an earlier sluice demo", ct);
            await DemoWait.UntilAsync(async () => await AlertStateAsync(dataSource, ct) is null or "ok", $"alert {AlertName} to be ok", ct);
        }

        var queue = await workspace.IngestQueueAsync(ct);
        await queue.EnqueueAsync([.. orders.Select(o => Order(o.MessageId, o.Sku))], ct);
        int Forwarded() => orders.Count(o => emulator.Messages("track").Any(m => m.MessageId == o.MessageId));
        using (var stop = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            var run = workspace.RunAsync(SyncName, RunKind.Incremental, null, stop.Token);
            await DemoWait.UntilAsync(async () => run.IsCompleted || (Forwarded() == Orders - 1 && await QuarantinedAsync(dataSource, held, ct)), "the shop's orders forwarded or quarantined", ct);
            await stop.CancelAsync();
            try
            {
                await run;
            }
            catch (OperationCanceledException)
            {
                // stopped once every order was settled
            }
        }

        var forwarded = Forwarded();
        var quarantined = await QuarantinedAsync(dataSource, held, ct) ? 1 : 0;
        var fired = 0;
        var released = 0;
        var recovered = 0;
        if (alerting)
        {
            // The alert runs under `sluice run` every 2 s: its first look at the quarantine crosses the threshold.
            await DemoWait.UntilAsync(() => Task.FromResult(AlertTracks(emulator, "fired") > 0), $"alert {AlertName} to fire", ct);
            fired = AlertTracks(emulator, "fired");
            await using (var add = dataSource.CreateCommand($"INSERT INTO public.products VALUES ('{NewProduct}', 'Studio') ON CONFLICT DO NOTHING"))
            {
                await add.ExecuteNonQueryAsync(ct);
            }

            await QuarantineCommand.ReleaseAsync(workspace, SyncName, ids: null, ct);
            released = emulator.Messages("track").Count(m => m.MessageId == held && m.TimesReceived == 1);
            await DemoWait.UntilAsync(() => Task.FromResult(AlertTracks(emulator, "recovered") > 0), $"alert {AlertName} to recover", ct);
            recovered = AlertTracks(emulator, "recovered");
        }

        var table = new Table().Border(TableBorder.Rounded).AddColumn("validation gateway and alert (shop → Segment)").AddColumn(new TableColumn("").RightAligned());
        table.AddRow("Order Completed events sent to the shop source", Orders.ToString("N0", null));
        table.AddRow("forwarded to Segment (their messageIds in the emulator)", forwarded.ToString("N0", null));
        table.AddRow($"quarantined: product '{NewProduct}' is not in public.products", quarantined.ToString("N0", null));
        if (alerting)
        {
            table.AddRow($"{AlertEvent} tracks fired by alert {AlertName} (quarantine above 0)", fired.ToString("N0", null));
            table.AddRow($"released after '{NewProduct}' was added (same messageId, received once)", released.ToString("N0", null));
            table.AddRow($"{AlertEvent} tracks on recovery (quarantine back to 0)", recovered.ToString("N0", null));
        }

        AnsiConsole.Write(table);
        Output.Line($"gateway: {Orders} orders, {forwarded} forwarded, {quarantined} quarantined, {released} released once; alert {AlertName} fired {fired}, recovered {recovered}");
        if (!alerting)
        {
            Output.Hint($"add the product (INSERT INTO products VALUES ('{NewProduct}', 'Studio') in database {DemoEnvironment.Database}), then release: " +
                $"sluice quarantine release {SyncName} --all -c {DemoEnvironment.ConfigPath}; alert {AlertName} fires while it waits");
        }

        return forwarded == Orders - 1 && quarantined == 1 && (!alerting || (fired == 1 && released == 1 && recovered == 1));
    }

    /// <summary>The alert's Tracks the emulator received with <paramref name="transition"/> (<c>fired</c>, <c>recovered</c>).</summary>
    private static int AlertTracks(SegmentEmulator emulator, string transition) =>
        emulator.Messages("track").Count(m => m.Json.Contains($"\"event\":\"{AlertEvent}\"", StringComparison.Ordinal)
            && m.Json.Contains($"\"transition\":\"{transition}\"", StringComparison.Ordinal));

    /// <summary>The alert's state in the state store; null before its first evaluation.</summary>
    private static async Task<string?> AlertStateAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("SELECT state FROM sluice.alerts WHERE name = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = AlertName });
        return await command.ExecuteScalarAsync(ct) as string;
    }

    private static async Task<bool> QuarantinedAsync(NpgsqlDataSource dataSource, string messageId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("SELECT to_regclass('sluice.quarantine') IS NOT NULL AND EXISTS (SELECT 1 FROM sluice.quarantine WHERE message_id = $1)");
        command.Parameters.Add(new NpgsqlParameter { Value = messageId });
        return await command.ExecuteScalarAsync(ct) is true;
    }

    /// <summary>An order as the ingest API stores a track the shop's backend sent.</summary>
    private static IngestEvent Order(string messageId, string sku)
    {
        var now = DateTimeOffset.UtcNow;
        var at = now.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        var payload = new Dictionary<string, object?>
        {
            ["type"] = "track",
            ["messageId"] = messageId,
            ["userId"] = Random.Shared.Next(1, 1_000).ToString(CultureInfo.InvariantCulture),
            ["event"] = "Order Completed",
            ["properties"] = new Dictionary<string, object?> { ["sku"] = sku, ["revenue"] = 49 },
            ["context"] = new { library = new { name = "sluice-demo-shop", version = "1.0" } },
            ["originalTimestamp"] = at,
            ["sentAt"] = at,
            ["receivedAt"] = at,
            ["timestamp"] = at,
        };
        return new IngestEvent(Source, Guid.NewGuid(), IngestEventKind.Segment, "track", "Order Completed", now, JsonSerializer.SerializeToUtf8Bytes(payload));
    }
}
