using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Engine;
using Sluice.Core.Mapping;
using Sluice.Core.State;
using Sluice.State;
using Sluice.Testing;
using Sluice.Testing.Doubles;
using static Sluice.Postgres.Tests.Models.ModelBed;
using static Sluice.Postgres.Tests.TestSql;

namespace Sluice.Postgres.Tests.Models;

/// <summary>
/// A model's whole read (a first or full run) is sent as soon as the run holds its lease, so that PostgreSQL aggregates
/// while the engine prepares the run (<c>ISource.ReadsEarly</c>); a run that fails while preparing ends that read.
/// </summary>
public sealed class ModelEarlyReadTests
{
    private static readonly ConfigLocation Location = new("sluice.yaml", 1, 1, "syncs.s.mapping");

    /// <summary>
    /// The model's statement (<c>SELECT q.… FROM (…) AS q ORDER BY q.sluice_key</c>, its text cut at 1 KB there), as
    /// pg_stat_activity shows it while its transaction is open; this test's own query excluded.
    /// </summary>
    private const string ModelStatementOpen = """
        SELECT count(*) FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid()
          AND state IN ('active', 'idle in transaction') AND query LIKE 'SELECT q.%'
        """;

    [Fact]
    public async Task A_first_run_sends_its_read_before_the_run_is_recorded_and_a_full_run_too()
    {
        await using var db = await CustomersAsync(nameof(A_first_run_sends_its_read_before_the_run_is_recorded_and_a_full_run_too));
        var store = await PostgresStateStore.OpenAsync(db);
        var destination = new FakeDestination();
        var sync = Sync(Source(db), destination);

        // OnStarted comes after the run is recorded and before its read stage begins: the statement must already be out.
        var first = await new SyncRunner(store, TimeProvider.System, new WaitsForTheRead(db)).RunAsync(sync, RunKind.Incremental, default);
        Assert.Equal((250L, 250L), (first.Read, first.Acknowledged));

        var full = await new SyncRunner(store, TimeProvider.System, new WaitsForTheRead(db)).RunAsync(sync, RunKind.Full, default);
        Assert.Equal((250L, 250L), (full.Read, full.Acknowledged));
        Assert.Equal(500, destination.Calls.Sum(c => c.Keys.Count));
        Assert.Equal(0L, await OpenModelStatementsAsync(db));
    }

    [Fact]
    public async Task A_run_that_fails_while_it_is_prepared_ends_the_read_it_began_and_releases_its_lease()
    {
        await using var db = await CustomersAsync(nameof(A_run_that_fails_while_it_is_prepared_ends_the_read_it_began_and_releases_its_lease));
        var store = await PostgresStateStore.OpenAsync(db);
        var destination = new FakeDestination();
        var sync = Sync(Source(db), destination);

        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            new SyncRunner(store, TimeProvider.System, new WaitsForTheRead(db) { ThenFail = true }).RunAsync(sync, RunKind.Full, default));
        Assert.Equal("preparing failed", failed.Message);
        Assert.Empty(destination.Calls);
        Assert.Equal(0L, await OpenModelStatementsAsync(db));

        var next = await new SyncRunner(store, TimeProvider.System).RunAsync(sync, RunKind.Incremental, default);
        Assert.Equal((250L, 250L), (next.Read, next.Acknowledged));
        Assert.Equal("failed", await ScalarAsync(db, "SELECT status FROM sluice.runs ORDER BY id LIMIT 1"));
    }

    private static async Task<NpgsqlDataSource> CustomersAsync(string name)
    {
        var db = await TestPostgres.CreateDataSourceAsync(name);
        await ExecuteAsync(db, Tables + """
            INSERT INTO customers (id, email) SELECT i, 'c' || i || '@example.com' FROM generate_series(1, 250) i;
            INSERT INTO orders (id, customer_id, amount, status) SELECT i, 1 + i % 250, i, 'paid' FROM generate_series(1, 1000) i;
            """);
        return db;
    }

    private static async Task<long> OpenModelStatementsAsync(NpgsqlDataSource db) => (long)(await ScalarAsync(db, ModelStatementOpen))!;

    private static SyncDefinition Sync(Sluice.Postgres.Sources.Models.ModelSource source, FakeDestination destination) =>
        new("s", source, new MappingSpec(
            [
                new FieldSpec("id", "id", null, Location),
                new FieldSpec("traits", null, [new FieldSpec("lifetime_orders", "lifetime_orders", null, Location), new FieldSpec("lifetime_value", "lifetime_value", null, Location)], Location),
            ], Location),
            destination, new DeliveryGate(new RateLimitOptions(), TimeProvider.System), new SyncRunOptions());

    /// <summary>Holds the run at its start until the model's statement is open in PostgreSQL; then lets it go on, or fails it.</summary>
    private sealed class WaitsForTheRead(NpgsqlDataSource db) : ISyncObserver
    {
        public bool ThenFail { get; init; }

        public void OnStarted(string syncName, long runId, long? estimate)
        {
            Eventually.HoldsAsync(async () => await OpenModelStatementsAsync(db) > 0, "the model's statement open in PostgreSQL while the run is prepared",
                TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
            if (ThenFail)
            {
                throw new InvalidOperationException("preparing failed");
            }
        }
    }
}
