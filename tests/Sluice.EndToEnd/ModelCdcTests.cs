using System.Diagnostics;
using Sluice.Testing;

namespace Sluice.EndToEnd;

/// <summary>
/// A model whose tables are followed by logical replication (<c>model:</c> with <c>cdc:</c>) exported to a records
/// table: each change in the orders table recomputes only the customers it names (a new order, an order moved to another
/// customer, a deleted order), a deleted customer's row goes, and a sync killed with SIGKILL while orders change resumes
/// to a table equal to the model computed from scratch.
/// </summary>
public sealed class ModelCdcTests
{
    private const string Tables = """
        CREATE TABLE customers (id bigint PRIMARY KEY, email text);
        CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, amount numeric(12,2), note text);
        ALTER TABLE orders REPLICA IDENTITY FULL;
        CREATE TABLE customer_stats (id bigint PRIMARY KEY, email text, lifetime_orders bigint, lifetime_value numeric(14,2));
        """;

    /// <summary>The model computed from scratch, as the export should hold it.</summary>
    private const string Expected = """
        SELECT c.id, c.email, count(o.id) AS lifetime_orders, sum(o.amount) AS lifetime_value
        FROM customers c LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.id, c.email
        """;

    private const string Held = "SELECT id, email, lifetime_orders, lifetime_value FROM customer_stats";

    [Fact]
    public async Task A_new_a_moved_and_a_deleted_order_recompute_only_their_customers_and_a_deleted_customer_goes()
    {
        var sync = TestSlots.Unique("stats_cdc");
        await using var bed = await TestBed.CreateAsync(nameof(A_new_a_moved_and_a_deleted_order_recompute_only_their_customers_and_a_deleted_customer_goes),
            Tables + """
            INSERT INTO customers SELECT i, 'c' || i || '@example.com' FROM generate_series(1, 5) i;
            INSERT INTO orders VALUES (1, 1, 10, NULL), (2, 1, 20, NULL), (3, 2, 5, NULL), (4, 4, 7, NULL);
            """,
            at => Config(at, sync));
        using var process = bed.StartSluice("sync", sync, "-c", bed.ConfigPath);
        var output = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
        await CleanUp.AfterAsync(async () =>
        {
            // The read of every record in the slot's snapshot.
            await EqualAsync(bed, process, "the first read");
            var untouched = await bed.ScalarAsync("SELECT xmin::text FROM customer_stats WHERE id = 5");

            await bed.ExecuteAsync("INSERT INTO orders VALUES (5, 3, 100, NULL)");
            await EqualAsync(bed, process, "a new order for customer 3");
            Assert.Equal(1L, await bed.ScalarAsync("SELECT lifetime_orders FROM customer_stats WHERE id = 3"));

            await bed.ExecuteAsync("UPDATE orders SET customer_id = 2 WHERE id = 2");
            await EqualAsync(bed, process, "order 2 moved from customer 1 to customer 2");
            Assert.Equal(1L, await bed.ScalarAsync("SELECT lifetime_orders FROM customer_stats WHERE id = 1"));
            Assert.Equal(2L, await bed.ScalarAsync("SELECT lifetime_orders FROM customer_stats WHERE id = 2"));

            await bed.ExecuteAsync("DELETE FROM orders WHERE id = 1");
            await EqualAsync(bed, process, "order 1 deleted");
            Assert.Equal(0L, await bed.ScalarAsync("SELECT lifetime_orders FROM customer_stats WHERE id = 1"));

            await bed.ExecuteAsync("DELETE FROM customers WHERE id = 4");
            await EqualAsync(bed, process, "customer 4 deleted");
            Assert.Equal(0L, await bed.ScalarAsync("SELECT count(*) FROM customer_stats WHERE id = 4"));

            // A change that leaves the records as they were writes nothing; customer 5 was never named at all.
            await bed.ExecuteAsync("UPDATE orders SET note = 'gift' WHERE id = 3");
            var written = (string)(await bed.ScalarAsync("SELECT pg_current_wal_insert_lsn()::text"))!;
            await Eventually.HoldsAsync(async () => await ConfirmedAsync(bed, sync, written), "the slot confirms the note's change, which changed no record");
            Assert.Equal(untouched, await bed.ScalarAsync("SELECT xmin::text FROM customer_stats WHERE id = 5"));
        }, async () =>
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync();
            await output;
            await ReplicationSlots.DropAllAsync(bed.Db);
        });
    }

    [Fact]
    public async Task A_model_over_cdc_killed_while_orders_change_resumes_to_a_table_equal_to_the_model()
    {
        const int Customers = 200;
        const int Changes = 600;
        var sync = TestSlots.Unique("stats_cdc_crash");
        await using var bed = await TestBed.CreateAsync(nameof(A_model_over_cdc_killed_while_orders_change_resumes_to_a_table_equal_to_the_model),
            Tables + $"""
            INSERT INTO customers SELECT i, 'c' || i || '@example.com' FROM generate_series(1, {Customers}) i;
            INSERT INTO orders SELECT i, 1 + i % {Customers}, i % 50, NULL FROM generate_series(1, {Customers * 3}) i;
            """,
            at => Config(at, sync));
        Task? writer = null;
        await CleanUp.AfterAsync(async () =>
        {
            // Each statement its own transaction: new orders, moved orders, deleted orders, deleted and new customers.
            writer = Task.Run(async () =>
            {
                for (var i = 1; i <= Changes; i++)
                {
                    await bed.ExecuteAsync((i % 5) switch
                    {
                        0 => $"INSERT INTO orders VALUES ({100_000 + i}, {1 + (i * 7 % Customers)}, {i % 90}, NULL)",
                        1 => $"UPDATE orders SET customer_id = {1 + (i * 13 % Customers)} WHERE id = {i}",
                        2 => $"DELETE FROM orders WHERE id = {i}",
                        3 => $"UPDATE orders SET amount = amount + 1 WHERE customer_id = {1 + (i % Customers)}",
                        _ => i % 20 == 4 ? $"DELETE FROM customers WHERE id = {1 + (i % Customers)}" : $"INSERT INTO customers VALUES ({10_000 + i}, 'new{i}@example.com')",
                    });
                }

                await bed.ExecuteAsync("INSERT INTO customers VALUES (1000000, 'sentinel@example.com')");
            });

            var kills = 0;
            foreach (var threshold in new[] { 40, 250 })
            {
                kills += await RunUntilKilledAsync(bed, sync, async () => (long)(await bed.ScalarAsync("SELECT count(*) FROM customer_stats WHERE id > 10000"))! >= threshold / 5) ? 1 : 0;
            }

            await writer;
            Assert.True(kills == 2, $"the sync stopped on its own before it could be killed ({kills} kills); the test proves nothing");

            using var process = bed.StartSluice("sync", sync, "-c", bed.ConfigPath);
            var output = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
            try
            {
                await EqualAsync(bed, process, "after the restarts");
            }
            finally
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }

                await process.WaitForExitAsync();
                await output;
            }
        }, async () =>
        {
            await Record.ExceptionAsync(() => writer ?? Task.CompletedTask);
            await ReplicationSlots.DropAllAsync(bed.Db);
        });
    }

    [Fact]
    public async Task Check_says_which_table_needs_REPLICA_IDENTITY_FULL_for_deleted_and_moved_orders()
    {
        var sync = TestSlots.Unique("stats_cdc_check");
        await using var bed = await TestBed.CreateAsync(nameof(Check_says_which_table_needs_REPLICA_IDENTITY_FULL_for_deleted_and_moved_orders),
            Tables.Replace("ALTER TABLE orders REPLICA IDENTITY FULL;", "", StringComparison.Ordinal),
            at => Config(at, sync));

        var (exit, output) = await bed.RunSluiceAsync("check", "-c", bed.ConfigPath);

        Assert.True(exit != 0, output);
        Assert.Contains("'customer_id'", output, StringComparison.Ordinal);
        Assert.True(output.Contains("""ALTER TABLE "public"."orders" REPLICA IDENTITY FULL;""", StringComparison.Ordinal), output);
    }

    private static string Config(TestBedEndpoints at, string sync) => $"""
        {at.Connections(segment: false)}
        syncs:
          {sync}:
            source:
              connection: app
              cdc: {"{"}heartbeat: 1s{"}"}
              model:
                table: public.customers
                key: id
                properties:
                  email: {"{"}column: email{"}"}
                  lifetime_orders: {"{"}from: public.orders, foreign_key: customer_id, aggregate: count{"}"}
                  lifetime_value: {"{"}from: public.orders, foreign_key: customer_id, aggregate: sum, column: amount{"}"}
            destination:
              connection: app
              table: public.customer_stats
              key: id
              mode: sync
            mapping:
              id: id
              email: email
              lifetime_orders: lifetime_orders
              lifetime_value: lifetime_value
            batch:
              size: 50

        """;

    /// <summary>Waits until the export equals the model computed from scratch, row by row.</summary>
    private static Task EqualAsync(TestBed bed, Process process, string after) =>
        Eventually.HoldsAsync(async () =>
        {
            Assert.False(process.HasExited, $"sluice sync exited with {(process.HasExited ? process.ExitCode : 0)}");
            return (long)(await bed.ScalarAsync($"SELECT count(*) FROM ((({Expected}) EXCEPT ALL ({Held})) UNION ALL (({Held}) EXCEPT ALL ({Expected}))) d"))! == 0;
        }, $"the export equals the model {after}");

    /// <summary>Whether the sync's slot has confirmed the WAL up to <paramref name="lsn"/>.</summary>
    private static async Task<bool> ConfirmedAsync(TestBed bed, string sync, string lsn) =>
        await bed.ScalarAsync($"SELECT confirmed_flush_lsn >= '{lsn}'::pg_lsn FROM pg_replication_slots WHERE slot_name = 'sluice_{sync}'") is true;

    /// <summary>Starts <c>sluice sync</c>, waits for <paramref name="enough"/>, then kills it (SIGKILL); true when it was still running.</summary>
    private static async Task<bool> RunUntilKilledAsync(TestBed bed, string sync, Func<Task<bool>> enough)
    {
        using var process = bed.StartSluice("sync", sync, "-c", bed.ConfigPath);
        var output = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
        var watch = Stopwatch.StartNew();
        while (!process.HasExited && !await enough() && watch.Elapsed < TimeSpan.FromMinutes(2))
        {
            await Task.Delay(5);
        }

        var running = !process.HasExited;
        if (running)
        {
            process.Kill(entireProcessTree: true); // SIGKILL: no cleanup, nothing confirmed on the way out
        }

        await process.WaitForExitAsync();
        var printed = string.Concat(await output);
        Assert.True(running, $"sluice sync exited with {process.ExitCode}: {printed}");
        return running;
    }
}
