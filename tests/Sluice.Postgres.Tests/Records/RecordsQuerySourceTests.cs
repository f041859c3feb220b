using Sluice.Core.Configuration;
using Sluice.Core.Engine;
using Sluice.Core.Records;
using Sluice.Core.State;
using Sluice.Postgres.Destinations.Records;
using Sluice.Postgres.Sources;
using Sluice.State;
using Sluice.Testing;
using static Sluice.Postgres.Tests.TestSql;

namespace Sluice.Postgres.Tests.Records;

/// <summary>
/// A query source (G3) feeds the records export through the engine on real PostgreSQL: the query's key is the row's
/// key, the engine's diff finds what changed, and each mode does what it says with it.
/// </summary>
public sealed class RecordsQuerySourceTests
{
    /// <summary>Users and their orders, summed by a query: the records are the query's rows, keyed by id.</summary>
    private const string Query = "SELECT u.id, u.email, (SELECT sum(o.amount) FROM orders o WHERE o.user_id = u.id) AS ltv, u.plan FROM users u";

    [Theory]
    [InlineData("sync", new[] { "(1,a@x,1500,pro)", "(2,b2@x,,free)" })]
    [InlineData("additive", new[] { "(1,a@x,1500,pro)", "(2,b2@x,,free)", "(3,c@x,10,free)" })]
    public async Task A_query_source_feeds_the_records_export_by_key_and_the_mode_decides_about_deletes(string modeName, string[] expected)
    {
        var mode = modeName == "sync" ? RecordsMode.Sync : RecordsMode.Additive;
        await using var db = await TestPostgres.CreateDataSourceAsync($"records_query_{modeName}");
        var bed = new RecordsBed(db);
        await bed.CreateTablesAsync();
        await ExecuteAsync(db, """
            CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, plan text NOT NULL);
            CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL, amount numeric NOT NULL);
            INSERT INTO users VALUES (1, 'a@x', 'pro'), (2, 'b@x', 'free'), (3, 'c@x', 'free');
            INSERT INTO orders VALUES (1, 1, 500), (2, 1, 600), (3, 3, 10);
            """);
        var store = await PostgresStateStore.OpenAsync(db);
        await using var destination = bed.Destination(mode, new Dictionary<string, string> { ["high_value"] = "lifetime_value > 1000" });
        var sync = Sync(db, destination, mode);

        var first = await new SyncRunner(store, TimeProvider.System).RunAsync(sync, RunKind.Incremental, default);
        Assert.Equal((3L, 3L), (first.Read, first.Acknowledged));
        Assert.Equal(["(1,a@x,1100,pro)", "(2,b@x,,free)", "(3,c@x,10,free)"], await bed.RowsAsync());
        Assert.Equal(["(1,high_value)"], await bed.GroupsAsync());

        // One changed by a secondary row, one by its own, one gone; the unchanged rows are not rewritten.
        await ExecuteAsync(db, "INSERT INTO orders VALUES (4, 1, 400); UPDATE users SET email = 'b2@x' WHERE id = 2; DELETE FROM orders WHERE user_id = 3; DELETE FROM users WHERE id = 3;");
        var second = await new SyncRunner(store, TimeProvider.System).RunAsync(sync, RunKind.Incremental, default);

        Assert.Equal(mode == RecordsMode.Sync ? 3L : 2L, second.Acknowledged);
        Assert.Equal(expected, await bed.RowsAsync());
        Assert.Equal(["(1,high_value)"], await bed.GroupsAsync());
    }

    private static SyncDefinition Sync(Npgsql.NpgsqlDataSource db, RecordsDestination destination, RecordsMode mode)
    {
        var section = ConfigSection.Parse($"syncs:\n  s:\n    source:\n      query: \"{Query}\"\n      key: [id]\n").GetSection("syncs")!.GetSection("s")!.GetSection("source")!;
        var source = new QuerySource(db, new PostgresConnectionOptions { Name = "app", Database = "test" }, QuerySourceOptions.Bind(section));
        var bed = new RecordsBed(db);
        return new SyncDefinition("s", source, bed.Mapping, destination, new DeliveryGate(new RateLimitOptions(), TimeProvider.System),
            new SyncRunOptions { On = mode == RecordsMode.Sync ? ChangeKinds.AddedOrChanged | ChangeKinds.Deleted : ChangeKinds.AddedOrChanged });
    }
}
