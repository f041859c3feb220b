using System.Diagnostics;
using Npgsql;
using Sluice.Bench.Harness;

namespace Sluice.Bench.Records;

/// <summary>
/// The records benchmark's tables and SQL: <c>customers</c> and <c>orders</c> in the app database; the export's
/// <c>customers</c> and <c>customer_groups</c> in the warehouse database, beside an empty copy of <c>customers</c>
/// for PostgreSQL's own COPY and a table of the model's expected result for the correctness check.
/// </summary>
internal static class RecordsData
{
    /// <summary>
    /// The model's result, as the model source compiles it (docs/records.md "How it is read": the secondary table
    /// joins as one grouped subquery): id, email, plan, lifetime order count and spend, last order date.
    /// </summary>
    public const string ModelQuery = """
        SELECT c.id, c.email, c.plan, coalesce(o.lifetime_orders, 0) AS lifetime_orders, o.lifetime_value, o.last_order_at
        FROM public.customers c
        LEFT JOIN (SELECT customer_id, count(*) AS lifetime_orders, sum(amount) AS lifetime_value, max(created_at) AS last_order_at
                   FROM public.orders GROUP BY customer_id) o ON o.customer_id = c.id
        """;

    /// <summary>The group's condition, in the config's words and in SQL for the check.</summary>
    public const string HighValue = "lifetime_value > 1000";

    /// <summary>Loads the app's customers and orders (orders spread over customers by a multiplicative hash); returns the seconds.</summary>
    public static async Task<double> LoadAsync(NpgsqlDataSource app, int customers, int orders, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        await ExecuteAsync(app, $"""
            CREATE TABLE public.customers (id bigint PRIMARY KEY, email text NOT NULL, plan text NOT NULL, updated_at timestamptz NOT NULL);
            INSERT INTO public.customers
            SELECT g, 'customer' || g || '@example.com', (ARRAY['free', 'pro', 'team'])[1 + g % 3], timestamptz '2026-01-01' + g * interval '1 second'
            FROM generate_series(1, {customers}) g;
            CREATE TABLE public.orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, amount numeric(10, 2) NOT NULL,
                created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
            {InsertOrders(0, orders, customers, "timestamptz '2025-01-01' + (g % 31536000) * interval '1 second'")}
            CREATE INDEX ON public.customers (updated_at);
            CREATE INDEX ON public.orders (customer_id);
            CREATE INDEX ON public.orders (updated_at);
            """, ct);
        await BenchData.SettleAsync(app, "public.customers, public.orders", ct);
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>The export's tables, the empty copy COPY fills, and the expected table.</summary>
    public static Task CreateWarehouseAsync(NpgsqlDataSource warehouse, CancellationToken ct) => ExecuteAsync(warehouse, """
        CREATE TABLE public.customers (id bigint PRIMARY KEY, email text, plan text, lifetime_orders bigint, lifetime_value numeric, last_order_at timestamptz);
        CREATE TABLE public.customer_groups (customer_id bigint NOT NULL REFERENCES public.customers (id) ON DELETE CASCADE,
            group_name text NOT NULL, PRIMARY KEY (customer_id, group_name));
        CREATE TABLE public.customers_copy (LIKE public.customers INCLUDING ALL);
        CREATE TABLE public.expected (LIKE public.customers INCLUDING ALL);
        """, ct);

    /// <summary>
    /// PostgreSQL's own binary COPY of the model's result from app into <paramref name="table"/> (emptied first),
    /// one stream piped into the other; returns the seconds from the first byte asked for to the import's commit.
    /// </summary>
    public static async Task<double> CopyModelAsync(NpgsqlDataSource app, NpgsqlDataSource warehouse, string table, CancellationToken ct)
    {
        await ExecuteAsync(warehouse, $"TRUNCATE {table}", ct);
        await using var from = await app.OpenConnectionAsync(ct);
        await using var to = await warehouse.OpenConnectionAsync(ct);
        var clock = Stopwatch.StartNew();
        await using (var export = await from.BeginRawBinaryCopyAsync($"COPY ({ModelQuery}) TO STDOUT (FORMAT BINARY)", ct))
        await using (var import = await to.BeginRawBinaryCopyAsync($"COPY {table} FROM STDIN (FORMAT BINARY)", ct))
        {
            await export.CopyToAsync(import, 1 << 16, ct);
        }

        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>Rows of the model's result (copied into <c>expected</c> first) and the export's table that the other lacks, and the same for groups.</summary>
    public static async Task<(long Rows, long Groups)> MismatchesAsync(NpgsqlDataSource app, NpgsqlDataSource warehouse, CancellationToken ct)
    {
        await CopyModelAsync(app, warehouse, "public.expected", ct);
        var rows = await ScalarAsync(warehouse, """
            SELECT (SELECT count(*) FROM (SELECT * FROM public.expected EXCEPT SELECT * FROM public.customers) a)
                 + (SELECT count(*) FROM (SELECT * FROM public.customers EXCEPT SELECT * FROM public.expected) b)
            """, ct);
        var groups = await ScalarAsync(warehouse, $"""
            WITH want AS (SELECT id AS customer_id, 'high_value'::text AS group_name FROM public.expected WHERE {HighValue})
            SELECT (SELECT count(*) FROM (SELECT * FROM want EXCEPT SELECT customer_id, group_name FROM public.customer_groups) a)
                 + (SELECT count(*) FROM (SELECT customer_id, group_name FROM public.customer_groups EXCEPT SELECT * FROM want) b)
            """, ct);
        return (rows, groups);
    }

    /// <summary>Changes the plan of <paramref name="changed"/> customers spread over the table; returns how many.</summary>
    public static Task<int> ChangeCustomersAsync(NpgsqlDataSource app, int customers, int changed, CancellationToken ct) => ExecuteAsync(app, $"""
        UPDATE public.customers SET plan = CASE plan WHEN 'free' THEN 'pro' ELSE 'free' END, updated_at = now()
        WHERE id IN (SELECT id FROM public.customers WHERE id % {Math.Max(1, customers / changed)} = 0 ORDER BY id LIMIT {changed})
        """, ct);

    /// <summary>Inserts <paramref name="count"/> orders for customers spread over the table; returns how many customers they touch.</summary>
    public static async Task<long> AddOrdersAsync(NpgsqlDataSource app, int customers, int count, CancellationToken ct)
    {
        var first = await ScalarAsync(app, "SELECT coalesce(max(id), 0) FROM public.orders", ct);
        await ExecuteAsync(app, InsertOrders(first, count, customers, "now()"), ct);
        return await ScalarAsync(app, $"SELECT count(DISTINCT customer_id) FROM public.orders WHERE id > {first}", ct);
    }

    public static Task<long> ScalarAsync(NpgsqlDataSource db, string sql, CancellationToken ct) => ScalarAsync<long>(db, sql, ct);

    public static async Task<int> ExecuteAsync(NpgsqlDataSource db, string sql, CancellationToken ct)
    {
        await using var command = db.CreateCommand(sql);
        command.CommandTimeout = 0;
        return await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Orders after id <paramref name="after"/>: amounts 1.00–200.99 (about ten orders make a high-value customer).</summary>
    private static string InsertOrders(long after, int count, int customers, string createdAt) => $"""
        INSERT INTO public.orders
        SELECT {after} + g, 1 + ((g::bigint * 2654435761) % {customers}), 1 + ((g::bigint * 37) % 20000) / 100.0, {createdAt}, {createdAt}
        FROM generate_series(1, {count}) g;
        """;

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource db, string sql, CancellationToken ct)
    {
        await using var command = db.CreateCommand(sql);
        command.CommandTimeout = 0;
        return (T)Convert.ChangeType((await command.ExecuteScalarAsync(ct))!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }
}
