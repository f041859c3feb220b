using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Sluice.Core.Checkpoints;
using Sluice.Core.Connectors;
using Sluice.Core.Records;
using Sluice.State;
using Sluice.Testing;
using static Sluice.Postgres.Tests.Models.ModelBed;
using static Sluice.Postgres.Tests.TestSql;

namespace Sluice.Postgres.Tests.Models;

/// <summary>After its first read, a model recomputes only the records a changed row belongs to, a batch per statement.</summary>
public sealed class ModelRecomputeTests
{
    private const string Customers = """
        INSERT INTO customers (id, email) SELECT i, 'c' || i || '@example.com' FROM generate_series(1, 30) i;
        INSERT INTO orders (id, customer_id, amount, status, created_at) SELECT i, 1 + i % 30, i, 'paid', now() FROM generate_series(1, 90) i;
        """;

    [Fact]
    public async Task A_new_order_recomputes_only_its_customer_and_moves_every_cursor_with_the_commit()
    {
        await using var db = await DatabaseAsync(nameof(A_new_order_recomputes_only_its_customer_and_moves_every_cursor_with_the_commit));
        var store = await PostgresStateStore.OpenAsync(db);
        await using var lease = (await store.TryAcquireAsync("s", default))!;
        var source = Source(db);
        var request = new ReadRequest(Columns, null) { RecordStates = lease.RecordStates };
        var first = await ReadAsync(source, request);
        Assert.Equal(30, first.Count(c => !c.IsProgress));
        Assert.True(first[^1].IsProgress);
        var checkpoint = await CommitAsync(lease, first);

        await ExecuteAsync(db, "INSERT INTO orders (id, customer_id, amount, status, created_at) VALUES (1000, 7, 40, 'paid', now())");
        var second = await ReadAsync(source, request with { From = checkpoint });

        Assert.Equal(["7"], source.RecomputedKeys);
        var seven = Assert.Single(second, c => !c.IsProgress);
        Assert.Equal(("7", ChangeKinds.Changed, 4L), (seven.Key, seven.Kind, seven.Values[Array.IndexOf(Columns, "lifetime_orders")]));
        var after = await CommitAsync(lease, second);

        // Nothing changed since: nothing is recomputed, and the position stays where it is.
        var third = await ReadAsync(source, request with { From = after });
        Assert.Empty(source.RecomputedKeys);
        Assert.Equal(after, Assert.Single(third).Position.ToCheckpoint());
    }

    [Fact]
    public async Task A_changed_row_that_leaves_its_record_as_it_was_is_recomputed_but_not_handed_on()
    {
        await using var db = await DatabaseAsync(nameof(A_changed_row_that_leaves_its_record_as_it_was_is_recomputed_but_not_handed_on));
        var store = await PostgresStateStore.OpenAsync(db);
        await using var lease = (await store.TryAcquireAsync("s", default))!;
        var source = Source(db);
        var request = new ReadRequest(Columns, null) { RecordStates = lease.RecordStates };
        var checkpoint = await CommitAsync(lease, await ReadAsync(source, request));

        await ExecuteAsync(db, "UPDATE customers SET updated_at = clock_timestamp() WHERE id IN (3, 4); UPDATE orders SET updated_at = clock_timestamp() WHERE customer_id = 5");
        var second = await ReadAsync(source, request with { From = checkpoint });

        Assert.Equal(["3", "4", "5"], source.RecomputedKeys);
        // Only the end of the read: its position carries the cursors forward although no record changed.
        var end = Assert.Single(second);
        Assert.True(end.IsProgress);
        Assert.NotEqual(checkpoint, end.Position.ToCheckpoint());
    }

    [Fact]
    public async Task Changed_records_are_computed_a_batch_of_keys_per_statement()
    {
        await using var db = await DatabaseAsync(nameof(Changed_records_are_computed_a_batch_of_keys_per_statement));
        var store = await PostgresStateStore.OpenAsync(db);
        await using var lease = (await store.TryAcquireAsync("s", default))!;
        var source = Source(db, Model.Replace("table: public.customers", "table: public.customers\nbatch_size: 4", StringComparison.Ordinal));
        var request = new ReadRequest(Columns, null) { RecordStates = lease.RecordStates };
        var checkpoint = await CommitAsync(lease, await ReadAsync(source, request));
        Assert.Equal(1, source.RecordStatements);

        await ExecuteAsync(db, "INSERT INTO orders (id, customer_id, amount, status) SELECT 1000 + i, i, 1, 'paid' FROM generate_series(11, 20) i");
        var second = await ReadAsync(source, request with { From = checkpoint });

        Assert.Equal(10, second.Count(c => !c.IsProgress));
        // Ten keys in batches of four: three statements, each computing every property of its batch.
        Assert.Equal(3, source.RecordStatements);
        Assert.Equal(Enumerable.Range(11, 10).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Order(StringComparer.Ordinal), source.RecomputedKeys);
    }

    [Fact]
    public async Task The_compiled_statement_is_one_statement_whatever_the_properties()
    {
        await using var db = await DatabaseAsync(nameof(The_compiled_statement_is_one_statement_whatever_the_properties));
        var source = Source(db);
        await source.CheckAsync(default);

        var model = await ResolvedAsync(db);
        foreach (var batch in new[] { false, true })
        {
            var sql = Sluice.Postgres.Sources.Models.ModelSql.Records(model, null, batch);
            Assert.DoesNotContain(";", sql, StringComparison.Ordinal);
            // PostgreSQL takes it as one prepared statement (a second statement cannot be prepared).
            await using var connection = await db.OpenConnectionAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            if (batch)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = new[] { "1", "2" }, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
            }

            await command.PrepareAsync();
            await using var reader = await command.ExecuteReaderAsync();
            var rows = 0;
            while (await reader.ReadAsync())
            {
                rows++;
            }

            Assert.Equal(batch ? 2 : 30, rows);
        }
    }

    [Fact]
    public async Task A_reconcile_reads_every_record_and_finds_a_deleted_customer()
    {
        await using var db = await DatabaseAsync(nameof(A_reconcile_reads_every_record_and_finds_a_deleted_customer));
        var store = await PostgresStateStore.OpenAsync(db);
        await using var lease = (await store.TryAcquireAsync("s", default))!;
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var source = Source(db, Model, clock, "reconcile: every 1d");
        var request = new ReadRequest(Columns, null) { RecordStates = lease.RecordStates };
        var checkpoint = await CommitAsync(lease, await ReadAsync(source, request));

        await ExecuteAsync(db, "DELETE FROM orders WHERE customer_id = 9; DELETE FROM customers WHERE id = 9; UPDATE customers SET email = 'new', updated_at = clock_timestamp() WHERE id = 2");
        clock.Advance(TimeSpan.FromHours(23));
        var followed = await ReadAsync(source, request with { From = checkpoint });
        Assert.Equal(["2"], followed.Where(c => !c.IsProgress).Select(c => c.Key));
        checkpoint = await CommitAsync(lease, followed);

        clock.Advance(TimeSpan.FromHours(1));
        var reconciled = await ReadAsync(source, request with { From = checkpoint });

        var gone = Assert.Single(reconciled, c => !c.IsProgress);
        Assert.Equal(("9", ChangeKinds.Deleted, ChangeOperation.Delete), (gone.Key, gone.Kind, gone.Operation));
        Assert.True(reconciled[^1].IsProgress);
        checkpoint = await CommitAsync(lease, reconciled);

        // The next reconcile is a day after this one.
        clock.Advance(TimeSpan.FromHours(23));
        await ExecuteAsync(db, "DELETE FROM customers WHERE id = 8");
        Assert.DoesNotContain(await ReadAsync(source, request with { From = checkpoint }), c => !c.IsProgress);
    }

    [Fact]
    public async Task A_read_of_changed_records_that_did_not_end_resumes_after_its_last_committed_key()
    {
        await using var db = await DatabaseAsync(nameof(A_read_of_changed_records_that_did_not_end_resumes_after_its_last_committed_key));
        var store = await PostgresStateStore.OpenAsync(db);
        await using var lease = (await store.TryAcquireAsync("s", default))!;
        var source = Source(db);
        var request = new ReadRequest(Columns, null) { RecordStates = lease.RecordStates };
        var checkpoint = await CommitAsync(lease, await ReadAsync(source, request));
        await ExecuteAsync(db, "INSERT INTO orders (id, customer_id, amount, status) VALUES (1001, 3, 1, 'paid'), (1002, 4, 1, 'paid'), (1003, 5, 1, 'paid')");

        var second = await ReadAsync(source, request with { From = checkpoint });
        Assert.Equal(["3", "4", "5"], second.Where(c => !c.IsProgress).Select(c => c.Key));
        // Only the first record's batch was committed before the process died.
        var midway = await CommitAsync(lease, second.Take(1).ToList());
        await ExecuteAsync(db, "INSERT INTO orders (id, customer_id, amount, status) VALUES (1004, 2, 1, 'paid')");

        var resumed = await ReadAsync(source, request with { From = Through(midway) });

        Assert.Equal(["4", "5"], resumed.Where(c => !c.IsProgress).Select(c => c.Key));
        var next = await ReadAsync(source, request with { From = await CommitAsync(lease, resumed) });
        Assert.Equal(["2"], next.Where(c => !c.IsProgress).Select(c => c.Key));
    }

    [Fact]
    public async Task A_deleted_order_recomputes_exactly_its_customer_on_the_next_run_without_a_reconcile()
    {
        await using var db = await DatabaseAsync(nameof(A_deleted_order_recomputes_exactly_its_customer_on_the_next_run_without_a_reconcile));
        var store = await PostgresStateStore.OpenAsync(db);
        await using var lease = (await store.TryAcquireAsync("s", default))!;
        var source = Source(db);
        var request = new ReadRequest(Columns, null) { RecordStates = lease.RecordStates };
        var checkpoint = await CommitAsync(lease, await ReadAsync(source, request));
        var quiet = await ReadAsync(source, request with { From = checkpoint });
        Assert.Empty(source.RecomputedKeys);
        checkpoint = await CommitAsync(lease, quiet);

        // Customer 7 has orders 6, 36 and 66; one goes. No cursor moves: only the table's delete count shows it.
        var deletesBefore = await DeletesAsync(db);
        await ExecuteAsync(db, "DELETE FROM orders WHERE id = 36");
        await Eventually.HoldsAsync(async () => await DeletesAsync(db) > deletesBefore, "PostgreSQL's statistics count the delete");
        var second = await ReadAsync(source, request with { From = checkpoint });

        Assert.Equal(["7"], source.RecomputedKeys);
        var seven = Assert.Single(second, c => !c.IsProgress);
        Assert.Equal(("7", ChangeKinds.Changed, 2L), (seven.Key, seven.Kind, seven.Values[Array.IndexOf(Columns, "lifetime_orders")]));
        checkpoint = await CommitAsync(lease, second);

        // Found once: the next run recomputes nothing.
        var third = await ReadAsync(source, request with { From = checkpoint });
        Assert.Empty(source.RecomputedKeys);
        Assert.True(Assert.Single(third).IsProgress);
    }

    private static async Task<long> DeletesAsync(NpgsqlDataSource db) =>
        (long)(await ScalarAsync(db, "SELECT n_tup_del FROM pg_stat_user_tables WHERE relid = 'public.orders'::regclass"))!;

    private static Checkpoint Through(Checkpoint checkpoint) => new(checkpoint.Format, checkpoint.Version, checkpoint.Value);

    private static async Task<Sluice.Postgres.Sources.Models.ResolvedModel> ResolvedAsync(NpgsqlDataSource db)
    {
        await using var connection = await db.OpenConnectionAsync();
        return await Sluice.Postgres.Sources.Models.ModelResolver.ResolveAsync(connection, Sluice.Postgres.Sources.Models.ModelSourceOptions.Bind(Sync(Model)), "public", default);
    }

    private static async Task<NpgsqlDataSource> DatabaseAsync(string name)
    {
        var db = await TestPostgres.CreateDataSourceAsync(name);
        await ExecuteAsync(db, Tables + Customers);
        return db;
    }
}
