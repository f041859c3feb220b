using Npgsql;
using Sluice.Core.Connectors;
using Sluice.Postgres.Sources;
using Sluice.Testing;
using Sluice.Testing.Conformance;
using static Sluice.Postgres.Tests.TestSql;

namespace Sluice.Postgres.Tests.Conformance;

/// <summary>The table source (by cursor) passes the source conformance suite; pages are small so that reads cross them.</summary>
public sealed class TableSourceConformance : SourceConformance
{
    private NpgsqlDataSource _db = null!;

    protected override IReadOnlyList<string> KeyColumns => ["id"];

    protected override IReadOnlyList<string> SeededColumns => ["id", "updated_at", "name"];

    protected override async Task SetUpAsync()
    {
        _db = await TestPostgres.CreateDataSourceAsync(nameof(TableSourceConformance));
        await ExecuteAsync(_db, "CREATE TABLE items (id text PRIMARY KEY, updated_at timestamptz NOT NULL, name text)");
    }

    protected override async Task TearDownAsync() => await _db.DisposeAsync();

    protected override Task SeedAsync(int from, int count) => ExecuteAsync(_db, $"""
        INSERT INTO items SELECT 'r' || lpad(i::text, 4, '0'), '2024-01-01'::timestamptz + i * interval '1 second', 'item ' || i
        FROM generate_series({from}, {from + count - 1}) i
        """);

    protected override string KeyOf(int i) => $"r{i:D4}";

    protected override ISource CreateSource() => Source("items");

    protected override ISource CreateMisconfiguredSource() => Source("missing_items");

    private TableSource Source(string table) =>
        new(_db, new PostgresConnectionOptions { Name = "app", Database = "test" }, new TableSourceOptions { Table = table, Cursor = "updated_at", PageSize = 5 });
}
