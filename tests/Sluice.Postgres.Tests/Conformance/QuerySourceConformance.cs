using Npgsql;
using Sluice.Core.Connectors;
using Sluice.Postgres.Sources;
using Sluice.Testing;
using Sluice.Testing.Conformance;
using static Sluice.Postgres.Tests.TestSql;

namespace Sluice.Postgres.Tests.Conformance;

/// <summary>
/// The diffing source (a table without a cursor) passes the source conformance suite. Its reads are whole: the
/// checkpoint only marks that it ran before, so a read from one yields every record again for the diff to judge.
/// </summary>
public sealed class QuerySourceConformance : SourceConformance
{
    private NpgsqlDataSource _db = null!;

    protected override IReadOnlyList<string> KeyColumns => ["id"];

    protected override IReadOnlyList<string> SeededColumns => ["id", "name"];

    protected override bool ReadsOnFromItsCheckpoint => false;

    protected override async Task SetUpAsync()
    {
        _db = await TestPostgres.CreateDataSourceAsync(nameof(QuerySourceConformance));
        await ExecuteAsync(_db, "CREATE TABLE items (id text PRIMARY KEY, name text)");
    }

    protected override async Task TearDownAsync() => await _db.DisposeAsync();

    // Keys sort the same in COLLATE "C" (a diffing source's order) as in seeding order.
    protected override Task SeedAsync(int from, int count) => ExecuteAsync(_db, $"""
        INSERT INTO items SELECT 'r' || lpad(i::text, 4, '0'), 'item ' || i FROM generate_series({from}, {from + count - 1}) i
        """);

    protected override string KeyOf(int i) => $"r{i:D4}";

    protected override ISource CreateSource() => Source("items");

    protected override ISource CreateMisconfiguredSource() => Source("missing_items");

    private QuerySource Source(string table) =>
        new(_db, new PostgresConnectionOptions { Name = "app", Database = "test" }, new QuerySourceOptions { Table = table });
}
