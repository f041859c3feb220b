using System.Diagnostics;
using Npgsql;
using Sluice.Testing;

namespace Sluice.EndToEnd;

/// <summary>
/// A records export (a diffed table into a records table with a groups table, sync mode) is killed with SIGKILL
/// mid-run, several times, then allowed to finish: the records table then equals the source row by row, and the groups
/// table the memberships the conditions give, nothing missing and nothing doubled. A later run with updates and
/// deletes at the source leaves them equal again.
/// </summary>
public sealed class RecordsCrashTests
{
    private const int Rows = 60_000;
    private const string SyncName = "customers_export";

    [Fact]
    public async Task A_records_export_killed_mid_run_resumes_to_a_table_equal_to_the_source()
    {
        await using var bed = await TestBed.CreateAsync(nameof(A_records_export_killed_mid_run_resumes_to_a_table_equal_to_the_source),
            $"""
            CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, plan text, spend numeric);
            INSERT INTO users SELECT i, 'user' || i || '@example.com', (ARRAY['free','trial','pro'])[1 + i % 3], CASE WHEN i % 7 = 0 THEN NULL ELSE i % 2000 END
            FROM generate_series(1, {Rows}) i;
            CREATE TABLE customers (id bigint PRIMARY KEY, email text, plan text, lifetime_value numeric);
            CREATE TABLE customer_groups (customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE, group_name text NOT NULL,
                PRIMARY KEY (customer_id, group_name));
            """,
            at => Config(at, batchSize: 500));
        var kills = 0;
        foreach (var threshold in new[] { 8_000, 25_000, 45_000 })
        {
            using var process = bed.StartSluice("sync", SyncName, "-c", bed.ConfigPath);
            var drain = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
            var watch = Stopwatch.StartNew();
            while (!process.HasExited && (long)(await bed.ScalarAsync("SELECT count(*) FROM customers"))! < threshold && watch.Elapsed < TimeSpan.FromMinutes(2))
            {
                await Task.Delay(5);
            }

            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true); // SIGKILL: no cleanup, no finally blocks
                kills++;
            }

            await process.WaitForExitAsync();
            await drain;
        }

        Assert.True(kills >= 2, $"the export finished before it could be killed ({kills} kills); the test proves nothing");
        var (exit, output) = await bed.RunSluiceAsync("sync", SyncName, "-c", bed.ConfigPath);
        Assert.True(exit == 0, output);
        await AssertEqualToTheSourceAsync(bed);

        // Updates, deletes and new rows at the source: the next run makes the tables equal again.
        await bed.ExecuteAsync("""
            UPDATE users SET spend = 5000, plan = 'free' WHERE id % 100 = 1;
            UPDATE users SET spend = NULL WHERE id % 100 = 2;
            DELETE FROM users WHERE id % 100 = 3;
            INSERT INTO users SELECT i, 'new' || i || '@example.com', 'pro', 1500 FROM generate_series(100001, 100500) i;
            """);
        (exit, output) = await bed.RunSluiceAsync("sync", SyncName, "-c", bed.ConfigPath);
        Assert.True(exit == 0, output);
        await AssertEqualToTheSourceAsync(bed);
    }

    /// <summary>
    /// The state store is the records table's database, so a batch's rows commit in the transaction that moves the
    /// checkpoint: with the checkpoint held by a lock, the run has written its first batch and waits to commit it, and
    /// none of its rows are to be seen; killed there, it leaves the table as the last commit left it, and the checkpoint
    /// where it was. The next run brings the table level with the source.
    /// </summary>
    [Fact]
    public async Task A_records_export_killed_between_its_write_and_its_checkpoint_leaves_neither()
    {
        const int Initial = 2_000;
        await using var bed = await TestBed.CreateAsync(nameof(A_records_export_killed_between_its_write_and_its_checkpoint_leaves_neither),
            $"""
            CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, plan text, spend numeric);
            INSERT INTO users SELECT i, 'user' || i || '@example.com', (ARRAY['free','trial','pro'])[1 + i % 3], CASE WHEN i % 7 = 0 THEN NULL ELSE i % 2000 END
            FROM generate_series(1, {Initial}) i;
            CREATE TABLE customers (id bigint PRIMARY KEY, email text, plan text, lifetime_value numeric);
            CREATE TABLE customer_groups (customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE, group_name text NOT NULL,
                PRIMARY KEY (customer_id, group_name));
            """,
            at => Config(at, batchSize: 500));
        var (exit, output) = await bed.RunSluiceAsync("sync", SyncName, "-c", bed.ConfigPath);
        Assert.True(exit == 0, output);
        await AssertEqualToTheSourceAsync(bed);
        const string TableNow = "SELECT md5(string_agg(c::text, ',' ORDER BY id)) FROM customers c";
        var before = await bed.ScalarAsync(TableNow);
        var checkpoint = await bed.ScalarAsync("SELECT generation || ':' || value FROM sluice.checkpoints");

        await bed.ExecuteAsync($"""
            UPDATE users SET email = 'changed' || id || '@example.com', spend = coalesce(spend, 0) + 1500;
            INSERT INTO users SELECT i, 'new' || i || '@example.com', 'pro', 1500 FROM generate_series({Initial + 1}, {Initial + 500}) i;
            """);
        await using (var holder = await bed.Db.OpenConnectionAsync())
        {
            // Reads of the checkpoint pass; moving it waits for this transaction.
            await using var hold = await holder.BeginTransactionAsync();
            await using (var command = new NpgsqlCommand("LOCK TABLE sluice.checkpoints IN EXCLUSIVE MODE", holder, hold))
            {
                await command.ExecuteNonQueryAsync();
            }

            using var process = bed.StartSluice("sync", SyncName, "-c", bed.ConfigPath);
            var drain = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
            await Eventually.HoldsAsync(async () => process.HasExited ||
                (long)(await bed.ScalarAsync("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'sluice.checkpoints'::regclass AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"))! > 0,
                "the run waits to move the checkpoint");
            Assert.False(process.HasExited, "the run ended without waiting for the checkpoint: the test proves nothing");

            // Its first batch is written, in the transaction that waits: none of it shows.
            Assert.Equal(before, await bed.ScalarAsync(TableNow));

            process.Kill(entireProcessTree: true); // SIGKILL between the write and the checkpoint
            await process.WaitForExitAsync();
            await drain;
            await hold.RollbackAsync();
        }

        // The server noticed the dead session and rolled its transaction back: still nothing, and the checkpoint did not move.
        await Eventually.HoldsAsync(async () =>
            (long)(await bed.ScalarAsync("SELECT count(*) FROM pg_locks WHERE relation = 'public.customers'::regclass AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND pid <> pg_backend_pid()"))! == 0,
            "the killed run's session let go of the table");
        Assert.Equal(before, await bed.ScalarAsync(TableNow));
        Assert.Equal(checkpoint, await bed.ScalarAsync("SELECT generation || ':' || value FROM sluice.checkpoints"));

        (exit, output) = await bed.RunSluiceAsync("sync", SyncName, "-c", bed.ConfigPath);
        Assert.True(exit == 0, output);
        await AssertEqualToTheSourceAsync(bed);
    }

    /// <summary>
    /// A model's first load into an empty table goes by COPY straight into the table, its groups table and the record
    /// ledger, a batch per transaction with its checkpoint. Killed mid-load, twice, the table holds exactly the batches
    /// that committed; the run that finishes (its table no longer empty: the merge) leaves every record once, with its
    /// groups, and the ledger acknowledging each record once over all the runs.
    /// </summary>
    [Fact]
    public async Task A_model_first_load_killed_mid_copy_resumes_to_every_record_once_with_its_groups()
    {
        const int Customers = 40_000;
        await using var bed = await TestBed.CreateAsync(nameof(A_model_first_load_killed_mid_copy_resumes_to_every_record_once_with_its_groups),
            $"""
            CREATE TABLE app_customers (id bigint PRIMARY KEY, email text NOT NULL, plan text NOT NULL, updated_at timestamptz NOT NULL);
            INSERT INTO app_customers SELECT g, 'c' || g || '@example.com', (ARRAY['free','pro','team'])[1 + g % 3], '2026-01-01'::timestamptz + g * interval '1 second'
            FROM generate_series(1, {Customers}) g;
            CREATE TABLE app_orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, amount numeric(10, 2) NOT NULL, updated_at timestamptz NOT NULL);
            INSERT INTO app_orders SELECT g, 1 + (g::bigint * 2654435761) % {Customers}, 1 + (g::bigint * 37 % 20000) / 100.0, '2025-01-01'::timestamptz + g * interval '1 second'
            FROM generate_series(1, {Customers * 5}) g;
            CREATE INDEX ON app_orders (customer_id);
            CREATE TABLE customers (id bigint PRIMARY KEY, email text, plan text, lifetime_orders bigint, lifetime_value numeric);
            CREATE TABLE customer_groups (customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE, group_name text NOT NULL,
                PRIMARY KEY (customer_id, group_name));
            -- Which statement wrote each batch's rows: COPY (the first load) or INSERT (the merge). Committed with the batch.
            CREATE TABLE writes (id bigserial PRIMARY KEY, statement text NOT NULL);
            CREATE FUNCTION note_write() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN INSERT INTO writes (statement) VALUES (split_part(ltrim(current_query()), ' ', 1)); RETURN NULL; END $$;
            CREATE TRIGGER note_write AFTER INSERT ON customers FOR EACH STATEMENT EXECUTE FUNCTION note_write();
            """,
            at => $$"""
                {{at.Connections(segment: false)}}
                syncs:
                  {{SyncName}}:
                    source:
                      connection: app
                      model:
                        table: public.app_customers
                        key: id
                        cursor: updated_at
                        cursors: { public.app_orders: updated_at }
                        properties:
                          email: { column: email }
                          plan: { column: plan }
                          lifetime_orders: { from: public.app_orders, foreign_key: customer_id, aggregate: count }
                          lifetime_value: { from: public.app_orders, foreign_key: customer_id, aggregate: sum, column: amount }
                    destination:
                      connection: app
                      table: public.customers
                      key: id
                      mode: sync
                      groups:
                        table: public.customer_groups
                        foreign_key: customer_id
                        name_column: group_name
                        define:
                          high_value: "lifetime_value > 500"
                          pro: "plan = 'pro'"
                    mapping: { id: id, email: email, plan: plan, lifetime_orders: lifetime_orders, lifetime_value: lifetime_value }
                    batch:
                      size: 500

                """);
        var kills = 0;
        foreach (var threshold in new[] { 5_000, 15_000 })
        {
            using var process = bed.StartSluice("sync", SyncName, "-c", bed.ConfigPath);
            var drain = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
            var watch = Stopwatch.StartNew();
            while (!process.HasExited && (long)(await bed.ScalarAsync("SELECT count(*) FROM customers"))! < threshold && watch.Elapsed < TimeSpan.FromMinutes(2))
            {
                await Task.Delay(5);
            }

            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true); // SIGKILL mid-load: the batch being written is rolled back by the server
                kills++;
            }

            await process.WaitForExitAsync();
            await drain;
        }

        Assert.True(kills >= 1, "the load finished before it could be killed: the test proves nothing");
        // What committed before the kills went by COPY; the second run found the table not empty and merged.
        Assert.True((long)(await bed.ScalarAsync("SELECT count(*) FROM writes WHERE statement = 'COPY'"))! > 0, "no batch was copied: the first load took the merge");
        var copied = (long)(await bed.ScalarAsync("SELECT count(*) FROM writes"))!;

        var (exit, output) = await bed.RunSluiceAsync("sync", SyncName, "-c", bed.ConfigPath);
        Assert.True(exit == 0, output);

        Assert.Equal(0L, await bed.ScalarAsync($"SELECT count(*) FROM writes WHERE id > {copied} AND statement <> 'INSERT'"));
        const string Expected = """
            SELECT c.id, c.email, c.plan, coalesce(o.n, 0) AS lifetime_orders, o.total AS lifetime_value
            FROM app_customers c LEFT JOIN (SELECT customer_id, count(*) AS n, sum(amount) AS total FROM app_orders GROUP BY customer_id) o ON o.customer_id = c.id
            """;
        const string Held = "SELECT id, email, plan, lifetime_orders, lifetime_value FROM customers";
        const string ExpectedGroups = $"""
            SELECT id, 'high_value' FROM ({Expected}) e WHERE lifetime_value > 500
            UNION ALL SELECT id, 'pro' FROM app_customers WHERE plan = 'pro'
            """;
        const string HeldGroups = "SELECT customer_id, group_name FROM customer_groups";
        Assert.Equal((long)Customers, await bed.ScalarAsync("SELECT count(*) FROM customers"));
        Assert.Equal(0L, await bed.ScalarAsync($"SELECT count(*) FROM (({Expected}) EXCEPT ALL ({Held})) missing"));
        Assert.Equal(0L, await bed.ScalarAsync($"SELECT count(*) FROM (({Held}) EXCEPT ALL ({Expected})) extra"));
        Assert.Equal(0L, await bed.ScalarAsync($"SELECT count(*) FROM (({ExpectedGroups}) EXCEPT ALL ({HeldGroups})) missing"));
        Assert.Equal(0L, await bed.ScalarAsync($"SELECT count(*) FROM (({HeldGroups}) EXCEPT ALL ({ExpectedGroups})) extra"));
        // Each record in the ledger once, and acknowledged once over every batch that committed, killed runs' included.
        Assert.Equal((long)Customers, await bed.ScalarAsync("SELECT count(*) FROM sluice.record_state WHERE status = 'sent'"));
        Assert.Equal((long)Customers, await bed.ScalarAsync("SELECT sum(acknowledged)::bigint FROM sluice.run_batches"));
    }

    /// <summary>The export: users into customers with two groups, in sync mode, on the database that also holds the state.</summary>
    private static string Config(TestBedEndpoints at, int batchSize) =>
        $"""
            {at.Connections(segment: false)}
            syncs:
              {SyncName}:
                source:
                  connection: app
                  table: public.users
                destination:
                  connection: app
                  table: public.customers
                  key: id
                  mode: sync
                  groups:
                    table: public.customer_groups
                    foreign_key: customer_id
                    name_column: group_name
                    define:
                      high_value: "lifetime_value > 1000"
                      pro: "plan = 'pro'"
                mapping:
                  id: id
                  email: email
                  plan: plan
                  lifetime_value: spend
                batch:
                  size: {batchSize}

            """;

    /// <summary>Row by row: what the source says, and nothing else, in both tables.</summary>
    private static async Task AssertEqualToTheSourceAsync(TestBed bed)
    {
        const string Expected = "SELECT id, email, plan, spend FROM users";
        const string Held = "SELECT id, email, plan, lifetime_value FROM customers";
        const string ExpectedGroups = """
            SELECT id, 'high_value' FROM users WHERE spend > 1000
            UNION ALL SELECT id, 'pro' FROM users WHERE plan = 'pro'
            """;
        const string HeldGroups = "SELECT customer_id, group_name FROM customer_groups";
        Assert.Equal(await bed.ScalarAsync("SELECT count(*) FROM users"), await bed.ScalarAsync("SELECT count(*) FROM customers"));
        Assert.Equal(0L, await bed.ScalarAsync($"SELECT count(*) FROM (({Expected}) EXCEPT ALL ({Held})) missing"));
        Assert.Equal(0L, await bed.ScalarAsync($"SELECT count(*) FROM (({Held}) EXCEPT ALL ({Expected})) extra"));
        Assert.Equal(0L, await bed.ScalarAsync($"SELECT count(*) FROM (({ExpectedGroups}) EXCEPT ALL ({HeldGroups})) missing"));
        Assert.Equal(0L, await bed.ScalarAsync($"SELECT count(*) FROM (({HeldGroups}) EXCEPT ALL ({ExpectedGroups})) extra"));
    }
}
