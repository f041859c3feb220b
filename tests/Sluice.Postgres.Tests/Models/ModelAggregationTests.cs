using Npgsql;
using Sluice.Core.Connectors;
using Sluice.Core.Records;
using Sluice.Testing;
using static Sluice.Postgres.Tests.Models.ModelBed;
using static Sluice.Postgres.Tests.TestSql;

namespace Sluice.Postgres.Tests.Models;

/// <summary>Each aggregate of a model on real rows: ties, NULLs, rows of none, filters.</summary>
public sealed class ModelAggregationTests
{
    private const string Rows = """
        SET TIME ZONE 'UTC';
        INSERT INTO customers (id, email) VALUES (1, 'one@example.com'), (2, 'two@example.com'), (3, NULL), (4, 'four@example.com');
        INSERT INTO orders (id, customer_id, amount, status, created_at) VALUES
            (1, 1, 10.00, 'paid', '2024-01-01'), (2, 1, 5.50, 'refunded', '2024-02-01'), (3, 1, 2.50, 'paid', NULL),
            (4, 3, NULL, 'paid', '2024-03-01'),
            (5, 4, 7.00, 'refunded', '2024-04-01'),
            (6, NULL, 99.00, 'paid', '2024-01-01');
        INSERT INTO subscriptions (id, customer_id, plan, started_at) VALUES
            (10, 1, 'free', '2024-01-01'), (12, 1, 'team', '2024-03-01'), (11, 1, 'pro', '2024-03-01'),
            (13, 3, 'pro', NULL), (14, 3, 'free', '2024-01-01'),
            (16, 4, 'b', '2024-05-01'), (15, 4, 'a', '2024-05-01');
        """;

    [Fact]
    public async Task Each_aggregate_gives_what_SQL_gives_with_ties_broken_by_the_tables_key_and_NULLs_last()
    {
        await using var db = await DatabaseAsync(nameof(Each_aggregate_gives_what_SQL_gives_with_ties_broken_by_the_tables_key_and_NULLs_last));

        var records = ByKey(await ReadAsync(Source(db), new ReadRequest(Columns, null)), Columns);

        Assert.Equal(["1", "2", "3", "4"], records.Keys.Order(StringComparer.Ordinal));
        var one = records["1"];
        Assert.Equal(("one@example.com", 3L, 12.50m, 6.00m), (one["email"], one["lifetime_orders"], one["lifetime_value"], Math.Round((decimal)one["average_order"]!, 2)));
        Assert.Equal((Utc("2024-01-01"), Utc("2024-02-01")), (one["first_order_at"], one["last_order_at"]));
        // Two subscriptions started on 2024-03-01: the most recent is the one with the greater id (12), the least recent has none tied.
        Assert.Equal(("team", "free"), (one["last_plan"], one["first_plan"]));
    }

    [Fact]
    public async Task A_record_without_rows_counts_zero_and_its_other_aggregates_are_null()
    {
        await using var db = await DatabaseAsync(nameof(A_record_without_rows_counts_zero_and_its_other_aggregates_are_null));

        var two = ByKey(await ReadAsync(Source(db), new ReadRequest(Columns, null)), Columns)["2"];

        Assert.Equal(0L, two["lifetime_orders"]);
        Assert.All(new[] { "lifetime_value", "first_order_at", "last_order_at", "average_order", "last_plan", "first_plan" }, name => Assert.Null(two[name]));
    }

    [Fact]
    public async Task NULL_values_are_skipped_by_aggregates_and_sorted_last_by_most_and_least_recent()
    {
        await using var db = await DatabaseAsync(nameof(NULL_values_are_skipped_by_aggregates_and_sorted_last_by_most_and_least_recent));

        var records = ByKey(await ReadAsync(Source(db), new ReadRequest(Columns, null)), Columns);

        var three = records["3"];
        Assert.Null(three["email"]);
        Assert.Equal((1L, null, null), (three["lifetime_orders"], three["lifetime_value"], three["average_order"]));
        // Subscription 13 has no start: it is neither the most nor the least recent while another has one.
        Assert.Equal(("free", "free"), (three["last_plan"], three["first_plan"]));
        // The NULL created_at of order 3 is left out of min and max (customer 1's first order is 2024-01-01).
        Assert.Equal(Utc("2024-01-01"), records["1"]["first_order_at"]);
    }

    [Fact]
    public async Task A_where_filters_only_its_own_property_and_ties_on_both_ends_break_by_key()
    {
        await using var db = await DatabaseAsync(nameof(A_where_filters_only_its_own_property_and_ties_on_both_ends_break_by_key));

        var four = ByKey(await ReadAsync(Source(db), new ReadRequest(Columns, null)), Columns)["4"];

        // Its only order is refunded: the paid sum has no row (NULL), the count counts it.
        Assert.Equal((1L, null), (four["lifetime_orders"], four["lifetime_value"]));
        // Subscriptions 15 and 16 started at the same time: most recent takes the greater id, least recent the smaller.
        Assert.Equal(("b", "a"), (four["last_plan"], four["first_plan"]));
    }

    [Fact]
    public async Task An_exact_column_of_a_secondary_table_and_a_count_of_a_column_are_read_as_written()
    {
        await using var db = await DatabaseAsync(nameof(An_exact_column_of_a_secondary_table_and_a_count_of_a_column_are_read_as_written));
        await ExecuteAsync(db, """
            CREATE TABLE profiles (id bigint PRIMARY KEY, customer_id bigint UNIQUE, city text);
            INSERT INTO profiles VALUES (1, 1, 'Lyon'), (2, 3, 'Oslo');
            """);
        const string Model = """
            table: customers
            properties:
              city: {from: profiles, foreign_key: customer_id, column: city}
              dated_orders: {from: orders, foreign_key: customer_id, aggregate: count, column: created_at}
            """;

        var records = ByKey(await ReadAsync(Source(db, Model), new ReadRequest(["city", "dated_orders"], null)), ["city", "dated_orders"]);

        Assert.Equal(("Lyon", 2L), (records["1"]["city"], records["1"]["dated_orders"]));
        Assert.Equal(((object?)null, 0L), (records["2"]["city"], records["2"]["dated_orders"]));
        Assert.Equal("Oslo", records["3"]["city"]);
    }

    [Fact]
    public async Task Discovery_names_the_key_and_every_property_with_its_type()
    {
        await using var db = await DatabaseAsync(nameof(Discovery_names_the_key_and_every_property_with_its_type));

        var schema = await Source(db).DiscoverAsync(default);

        Assert.Equal(Columns, schema.Columns.Select(c => c.Name));
        Assert.Equal(["id"], schema.KeyColumns);
        Assert.Equal([ColumnType.Integer, ColumnType.Text, ColumnType.Integer, ColumnType.Decimal, ColumnType.TimestampWithTimeZone],
            schema.Columns.Take(5).Select(c => c.Type));
    }

    private static DateTime Utc(string date) => DateTime.SpecifyKind(DateTime.Parse(date, System.Globalization.CultureInfo.InvariantCulture), DateTimeKind.Utc);

    private static async Task<NpgsqlDataSource> DatabaseAsync(string name)
    {
        var db = await TestPostgres.CreateDataSourceAsync(name);
        await ExecuteAsync(db, Tables + Rows);
        return db;
    }
}
